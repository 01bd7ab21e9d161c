"""The stack outputs: what the operations commands, CI and other stacks read from a stack, by
name (never a secret value)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.cache import Cache
from components.cluster import Cluster
from components.database import Database
from components.firewall import Firewall
from components.load_balancer import BlueGreenRouting, LoadBalancer
from components.recovery_site import RecoverySite
from components.service import FargateService


def data_outputs(database: Database, cache: Cache, backup_region: str) -> dict[str, Any]:
    """Stack outputs of the data tier (names other stacks and tools rely on; never a secret value)."""
    replicated = (
        {"databaseReplicatedBackupsArn": database.replicated_backups_arn} if database.replicated_backups_arn else {}
    )
    return {
        **replicated,
        "databaseInstanceId": database.instance_id,
        "databaseEndpoint": database.endpoint,
        "databaseAddress": database.address,
        "databasePort": database.port,
        "databaseName": database.database_name,
        "databaseSecretArn": database.secret_arn,
        "databaseSecurityGroupId": database.security_group_id,
        "databaseSubnetGroupName": database.subnet_group_name,
        "databaseParameterGroupName": database.parameter_group_name,
        "databaseKmsKeyArn": database.key_arn,
        # Where `ops snapshot` copies a release snapshot, and the key it re-encrypts it under.
        **(
            {"databaseBackupRegion": backup_region, "databaseBackupKmsKeyArn": database.backup_key.arn}
            if database.backup_key is not None
            else {}
        ),
        # The read replicas' addresses (empty without replicas); the services get them as DATABASE_READ_HOSTS.
        "databaseReaderEndpoints": database.reader_addresses,
        "cacheReplicationGroupId": cache.replication_group_id,
        # Cluster mode enabled has a configuration endpoint instead of primary and reader endpoints.
        **(
            {"cacheConfigurationEndpoint": cache.configuration_endpoint}
            if cache.clustered
            else {"cachePrimaryEndpoint": cache.primary_endpoint, "cacheReaderEndpoint": cache.reader_endpoint}
        ),
        "cachePort": cache.port,
        "cacheAuthSecretArn": cache.token_secret_arn,
    }


def recovery_outputs(recovery: RecoverySite | None) -> dict[str, Any]:
    """What `python -m ops recover` restores into (nothing without a recovery site)."""
    if recovery is None:
        return {}
    return {
        "recoveryRegion": recovery.region,
        "recoveryVpcId": recovery.vpc_id,
        "recoveryPrivateSubnetIds": recovery.private_subnet_ids,
        "recoveryIsolatedSubnetIds": recovery.isolated_subnet_ids,
        "recoveryDbSubnetGroupName": recovery.db_subnet_group_name,
        "recoveryCacheSubnetGroupName": recovery.cache_subnet_group_name,
        "recoveryDbParameterGroupName": recovery.parameter_group_name,
        "recoveryDbSecurityGroupId": recovery.database_security_group_id,
        "recoveryKmsKeyArn": recovery.key_arn,
        "recoveryLogsKmsKeyArn": recovery.logs_key_arn,
    }


def service_outputs(
    load_balancer: LoadBalancer,
    routing: BlueGreenRouting,
    firewall: Firewall,
    cluster: Cluster,
    services: Sequence[FargateService],
) -> dict[str, Any]:
    """Stack outputs of the service path (names the alarms, operations tools and CI rely on)."""
    web = next(service for service in services if service.kind == "web")
    return {
        "albArn": load_balancer.arn,
        "albArnSuffix": load_balancer.arn_suffix,
        "albDnsName": load_balancer.dns_name,
        "url": load_balancer.url,
        "certificateArn": load_balancer.certificate_arn,
        "httpsListenerArn": load_balancer.https_listener.arn,
        "testListenerArn": load_balancer.test_listener.arn,
        "productionListenerRuleArn": routing.production_rule.arn,
        "testListenerRuleArn": routing.test_rule.arn,
        "blueTargetGroupArn": routing.blue.arn,
        "greenTargetGroupArn": routing.green.arn,
        "blueTargetGroupArnSuffix": routing.blue.arn_suffix,
        "greenTargetGroupArnSuffix": routing.green.arn_suffix,
        "webAclArn": firewall.web_acl_arn,
        "clusterName": cluster.name,
        "clusterArn": cluster.arn,
        "webServiceName": web.service_name,
        "serviceNames": [service.service_name for service in services],
    }

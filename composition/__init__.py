"""Composes the stack from its validated settings: one provider, the keys, then each part of the stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.cache import Cache, CacheArgs
from components.cluster import Cluster
from components.common import AwsContext, Deferred, ServiceLink
from components.database import Database, DatabaseArgs
from components.database_bootstrap import DatabaseBootstrap, DatabaseBootstrapArgs
from components.datastore import KeyAccess
from components.encryption import EncryptionKey, KeyArgs
from components.firewall import Firewall, FirewallArgs
from components.key_admin import KeyAdministrator, KeyAdministratorArgs
from components.load_balancer import BlueGreenRouting, LoadBalancer, LoadBalancerArgs
from components.network import Network, NetworkArgs
from components.recovery_site import RecoverySite, RecoverySiteArgs
from components.service import FargateService, FargateServiceArgs, WebRouting
from components.service_egress import EgressTargets
from components.smoke_test import LifecycleHook, SmokeTestArgs, SmokeTestHook
from components.watched import Watched, WatchedCache, WatchedDatabase, WatchedLoadBalancer, WatchedService
from settings import StackSettings
from settings.functions import FunctionSettings
from settings.instance_classes import db_memory_gib

from .outputs import data_outputs, recovery_outputs, service_outputs


def build(settings: StackSettings) -> dict[str, Any]:
    """Create every resource of the stack; returns the stack outputs."""
    provider = _provider("aws", settings.region, settings)
    invoke = pulumi.InvokeOptions(provider=provider)
    context = AwsContext(
        account_id=aws.get_caller_identity(opts=invoke).account_id,
        region=settings.region,
        partition=aws.get_partition(opts=invoke).partition,
    )
    zones = aws.get_availability_zones(state="available", opts=invoke).names
    opts = pulumi.ResourceOptions(provider=provider)

    # The key policies name their principals. The administrators exist before any key; each data
    # store's consumers are the roles that read its secret, made after the stores: the cache's
    # are the services' execution roles (its AUTH token), the database's only the bootstrap
    # function's role (the master secret; services log in with IAM tokens). Their ARNs reach the
    # key policies through deferred Outputs (each role exists before the key that names it), and
    # so do the interface endpoints' clients (the services' and the bootstrap's security groups,
    # made after the network). Should the program fail before it resolves them, they fail with
    # it: the keys and endpoints waiting for them end the run instead of waiting forever.
    key_admins = _key_administrators(settings, context, opts)
    later = {"database-key": Deferred(), "cache-key": Deferred(), "endpoint-clients": Deferred()}
    try:
        return _build(settings, context, zones, opts, key_admins, later)
    except BaseException as error:
        for deferred in later.values():
            deferred.fail(error)
        raise


def _build(
    settings: StackSettings,
    # What build resolved first: the account, the AZs, the provider, the key administrators.
    context: AwsContext,
    zones: Sequence[str],
    opts: pulumi.ResourceOptions,
    key_admins: Sequence[pulumi.Input[str]],
    later: Mapping[str, Deferred],
) -> dict[str, Any]:
    prod = settings.profile == "prod"
    key_access = {
        "database": KeyAccess(administrators=key_admins, consumers=later["database-key"].output),
        "cache": KeyAccess(administrators=key_admins, consumers=later["cache-key"].output),
    }
    logs_key = EncryptionKey(
        "logs",
        KeyArgs(
            context=context,
            description="CloudWatch Logs of the stack",
            administrators=key_admins,
            logs=True,
            protect=prod,
        ),
        opts=opts,
    )
    network = Network(
        "network",
        NetworkArgs(
            settings=settings.network,
            context=context,
            availability_zones=zones,
            log_key_arn=logs_key.arn,
            endpoint_clients=later["endpoint-clients"].output,
        ),
        opts=opts,
    )
    backup_provider = None
    if settings.database.cross_region_backups:
        backup_provider = _provider("aws-backup-region", settings.database.backup_replication_region, settings)
    database, cache = _data_tier(settings, context, network, logs_key, key_access, opts, backup_provider)
    recovery = _recovery_site(settings, context, backup_provider, key_admins)
    # The application's database role (IAM authentication), created before any service starts.
    bootstrap = DatabaseBootstrap(
        "db-bootstrap",
        DatabaseBootstrapArgs(
            settings=FunctionSettings(log_retention_days=settings.database.log_retention_days),
            context=context,
            database=database,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            log_key_arn=logs_key.arn,
            endpoint_security_group_id=network.endpoint_security_group_id,
        ),
        opts=opts,
    )
    later["database-key"].resolve(pulumi.Output.all(bootstrap.function.role_arn))
    load_balancer, firewall = _edge(settings, context, network, logs_key, opts)
    # Every service (web and workers) uses both data stores: it gets their settings as
    # environment and their credentials as secret references, and each store admits exactly
    # the services' security groups (which may reach the stores and HTTPS, nothing else).
    stores = (database, cache)
    links = {service.name: [store.link for store in stores] for service in settings.services}
    cluster = Cluster("ecs", opts=opts)
    routing = load_balancer.blue_green(settings.web_service)
    # The alarms come before the services: the web service's first deploy is already guarded
    # by the deployment alarm, which watches the blue and green target groups.
    alarms = _alarms(settings, context, load_balancer, routing, firewall, cluster, database, cache, key_admins, opts)
    services = _services(
        settings,
        context,
        network,
        logs_key,
        load_balancer,
        cluster,
        routing,
        opts,
        links=links,
        deployment_alarm_names=alarms.deployment_alarm_names,
        smoke_test=_smoke_test(settings, context, network, logs_key, load_balancer, opts).hook,
        # Tasks log in as the application role, which the bootstrap creates.
        wait_for=[bootstrap.invocation],
    )
    later["cache-key"].resolve(pulumi.Output.all(*[service.execution_role.arn for service in services]))
    # The bootstrap reaches Secrets Manager through its endpoint, like the services.
    clients = [*[service.security_group_id for service in services], bootstrap.function.security_group_id]
    later["endpoint-clients"].resolve(pulumi.Output.all(*clients))
    for service in services:
        for store in stores:
            store.allow_from(service.container_name, service.security_group_id)
            service.allow_to(store.name, store.security_group_id, store.port)

    return {
        "region": settings.region,
        "vpcId": network.vpc_id,
        "publicSubnetIds": network.public_subnet_ids,
        "privateSubnetIds": network.private_subnet_ids,
        "isolatedSubnetIds": network.isolated_subnet_ids,
        **data_outputs(database, cache, settings.database.backup_replication_region),
        **recovery_outputs(recovery),
        "databaseBootstrapFunctionName": bootstrap.function_name,
        **service_outputs(load_balancer, routing, firewall, cluster, services),
        "alarmNames": alarms.alarm_names,
        "deploymentAlarmName": alarms.deployment_alarm_name,
        "criticalTopicArn": alarms.topics["critical"].arn,
        "warningTopicArn": alarms.topics["warning"].arn,
        "dashboardUrl": alarms.dashboard_url,
    }


def _provider(name: str, region: str, settings: StackSettings) -> aws.Provider:
    """An AWS provider for `region` that tags every resource with the stack's tags and refuses
    to touch any account but the allowed ones."""
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=settings.allowed_account_ids or None,
        default_tags={"tags": settings.default_tags()},
    )


def _key_administrators(
    settings: StackSettings, context: AwsContext, opts: pulumi.ResourceOptions
) -> list[pulumi.Input[str]]:
    """The roles every key policy names as administrators: the stack's setting, else a role
    the program creates."""
    if settings.encryption.key_admin_role_arns:
        return list(settings.encryption.key_admin_role_arns)
    return [KeyAdministrator("key-admin", KeyAdministratorArgs(context=context), opts=opts).arn]


def _data_tier(
    settings: StackSettings,
    context: AwsContext,
    network: Network,
    logs_key: EncryptionKey,
    key_access: Mapping[str, KeyAccess],
    opts: pulumi.ResourceOptions,
    backup_provider: aws.Provider | None,
) -> tuple[Database, Cache]:
    """The database and the cache in the isolated subnets; backups copied to a second region
    through `backup_provider` (a provider of that region) when the settings say so."""
    database = Database(
        "database",
        DatabaseArgs(
            settings=settings.database,
            context=context,
            vpc_id=network.vpc_id,
            subnet_ids=network.isolated_subnet_ids,
            log_key_arn=logs_key.arn,
            backup_provider=backup_provider,
            key_access=key_access["database"],
            availability_zones=network.availability_zones,
        ),
        opts=opts,
    )
    cache = Cache(
        "cache",
        CacheArgs(
            settings=settings.cache,
            context=context,
            vpc_id=network.vpc_id,
            subnet_ids=network.isolated_subnet_ids,
            log_key_arn=logs_key.arn,
            key_access=key_access["cache"],
        ),
        opts=opts,
    )
    return database, cache


def _recovery_site(
    settings: StackSettings,
    context: AwsContext,
    backup_provider: aws.Provider | None,
    key_admins: Sequence[pulumi.Input[str]],
) -> RecoverySite | None:
    """The pilot light a region-loss recovery restores the database into, in the region that holds
    the replicated backups (none without cross-region backups)."""
    if backup_provider is None:
        return None
    region = settings.database.backup_replication_region
    zones = aws.get_availability_zones(state="available", opts=pulumi.InvokeOptions(provider=backup_provider)).names
    return RecoverySite(
        "recovery",
        RecoverySiteArgs(
            settings=settings.recovery,
            database=settings.database,
            context=context,
            region=region,
            availability_zones=zones,
            key_administrators=key_admins,
            protect=settings.profile == "prod",
        ),
        opts=pulumi.ResourceOptions(provider=backup_provider),
    )


def _edge(
    settings: StackSettings,
    context: AwsContext,
    network: Network,
    logs_key: EncryptionKey,
    opts: pulumi.ResourceOptions,
) -> tuple[LoadBalancer, Firewall]:
    """The internet-facing ALB (TLS, DNS, access logs) and the web ACL in front of it."""
    load_balancer = LoadBalancer(
        "alb",
        LoadBalancerArgs(
            settings=settings.load_balancer,
            dns=settings.dns,
            context=context,
            vpc_id=network.vpc_id,
            subnet_ids=network.public_subnet_ids,
        ),
        opts=opts,
    )
    firewall = Firewall(
        "waf",
        FirewallArgs(
            settings=settings.firewall, context=context, resource_arn=load_balancer.arn, log_key_arn=logs_key.arn
        ),
        opts=opts,
    )
    return load_balancer, firewall


def _services(
    settings: StackSettings,
    context: AwsContext,
    network: Network,
    logs_key: EncryptionKey,
    load_balancer: LoadBalancer,
    cluster: Cluster,
    routing: BlueGreenRouting,
    opts: pulumi.ResourceOptions,
    links: Mapping[str, Sequence[ServiceLink]] | None = None,
    deployment_alarm_names: Sequence[pulumi.Input[str]] = (),
    smoke_test: LifecycleHook | None = None,
    wait_for: Sequence[pulumi.Resource] = (),
) -> list[FargateService]:
    """One FargateService per configured service in the cluster: the web service behind the ALB
    on its blue/green `routing` (rolled back by `deployment_alarm_names`), workers without it.
    `links` maps a service name to the data stores it uses."""
    return [
        FargateService(
            service.name,
            FargateServiceArgs(
                settings=service,
                context=context,
                cluster_arn=cluster.arn,
                cluster_name=cluster.name,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                log_key_arn=logs_key.arn,
                egress=EgressTargets(
                    s3_prefix_list_id=network.s3_prefix_list_id,
                    endpoint_security_group_id=network.endpoint_security_group_id,
                    endpoints=network.interface_endpoints,
                ),
                links=(links or {}).get(service.name, ()),
                wait_for=wait_for,
                web=WebRouting(load_balancer.target, routing, deployment_alarm_names, smoke_test)
                if service.kind == "web"
                else None,
            ),
            opts=opts,
        )
        for service in settings.services
    ]


def _smoke_test(
    settings: StackSettings,
    context: AwsContext,
    network: Network,
    logs_key: EncryptionKey,
    load_balancer: LoadBalancer,
    opts: pulumi.ResourceOptions,
) -> SmokeTestHook:
    """The web service's smoke-test hook in the private subnets, reaching the test listener
    through the NAT gateways."""
    return SmokeTestHook(
        "smoke-test",
        SmokeTestArgs(
            service=settings.web_service,
            context=context,
            domain=settings.dns.domain,
            test_listener_port=settings.load_balancer.test_listener_port,
            alb_security_group_id=load_balancer.target.security_group_id,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            nat_public_ips=[gateway.public_ip for gateway in network.nat_gateways],
            log_key_arn=logs_key.arn,
        ),
        opts=opts,
    )


def _alarms(
    settings: StackSettings,
    context: AwsContext,
    load_balancer: LoadBalancer,
    routing: BlueGreenRouting,
    firewall: Firewall,
    cluster: Cluster,
    database: Database,
    cache: Cache,
    key_admins: Sequence[pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> Alarms:
    """Alarms on everything that can fail, the topics they notify and the dashboard."""
    web = settings.web_service
    return Alarms(
        "alarms",
        AlarmsArgs(
            settings=settings.alarms,
            context=context,
            watched=Watched(
                load_balancer=WatchedLoadBalancer(
                    arn_suffix=load_balancer.arn_suffix,
                    target_groups={"blue": routing.blue.arn_suffix, "green": routing.green.arn_suffix},
                    minimum_healthy_hosts=web.min_count,
                ),
                services=[
                    WatchedService(
                        name=service.name,
                        cluster_name=cluster.name,
                        service_name=service.name,
                        minimum_tasks=service.min_count,
                    )
                    for service in settings.services
                ],
                # AWS/WAFV2 metrics name the ACL by its visibility config's metric name.
                web_acl_metric_name=firewall.metric_name,
                database=WatchedDatabase(
                    identifier=database.instance_id,
                    allocated_storage_gb=settings.database.allocated_storage_gb,
                    memory_gib=db_memory_gib(settings.database.instance_class),
                    replicas=database.replica_ids,
                ),
                cache=WatchedCache(
                    replication_group_id=cache.replication_group_id,
                    nodes=settings.cache.num_nodes,
                    shards=settings.cache.shards if settings.cache.clustered else 0,
                    replicas_per_shard=settings.cache.replicas_per_shard,
                ),
            ),
            protect_key=settings.profile == "prod",
            key_administrators=key_admins,
        ),
        opts=opts,
    )

"""What the provider calls for the data tier and its keys: the database, its parameter and subnet
groups and the replication of its backups (components/database.py), the cache
(components/cache.py), the KMS keys (components/encryption.py) and the secrets."""

from __future__ import annotations

from tools.iam_actions.model import Actions, service_actions

DATA: dict[str, Actions] = {
    # Data stores
    "aws:rds/instance:Instance": service_actions(
        "rds",
        # The monitoring role is passed; the caller's grant lets RDS use the customer-managed key.
        "CreateDBInstance AddTagsToResource iam:PassRole iam:CreateServiceLinkedRole kms:CreateGrant kms:DescribeKey",
        "DescribeDBInstances ListTagsForResource",
        "ModifyDBInstance RebootDBInstance AddTagsToResource RemoveTagsFromResource iam:PassRole kms:CreateGrant "
        "kms:DescribeKey",
        "DeleteDBInstance",
    ),
    "aws:rds/parameterGroup:ParameterGroup": service_actions(
        "rds",
        "CreateDBParameterGroup ModifyDBParameterGroup AddTagsToResource",
        "DescribeDBParameterGroups DescribeDBParameters ListTagsForResource",
        "ModifyDBParameterGroup ResetDBParameterGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteDBParameterGroup",
    ),
    "aws:rds/subnetGroup:SubnetGroup": service_actions(
        "rds",
        "CreateDBSubnetGroup AddTagsToResource",
        "DescribeDBSubnetGroups ListTagsForResource",
        "ModifyDBSubnetGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteDBSubnetGroup",
    ),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": service_actions(
        "rds",
        "StartDBInstanceAutomatedBackupsReplication kms:CreateGrant kms:DescribeKey",
        "DescribeDBInstanceAutomatedBackups",
        "StartDBInstanceAutomatedBackupsReplication kms:CreateGrant kms:DescribeKey",
        "StopDBInstanceAutomatedBackupsReplication",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": service_actions(
        "elasticache",
        "CreateReplicationGroup AddTagsToResource iam:CreateServiceLinkedRole kms:CreateGrant kms:DescribeKey",
        "DescribeReplicationGroups DescribeCacheClusters ListTagsForResource",
        "ModifyReplicationGroup IncreaseReplicaCount DecreaseReplicaCount AddTagsToResource RemoveTagsFromResource",
        "DeleteReplicationGroup CreateSnapshot",
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": service_actions(
        "elasticache",
        "CreateCacheParameterGroup ModifyCacheParameterGroup AddTagsToResource",
        "DescribeCacheParameterGroups DescribeCacheParameters ListTagsForResource",
        "ModifyCacheParameterGroup ResetCacheParameterGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteCacheParameterGroup",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": service_actions(
        "elasticache",
        "CreateCacheSubnetGroup AddTagsToResource",
        "DescribeCacheSubnetGroups ListTagsForResource",
        "ModifyCacheSubnetGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteCacheSubnetGroup",
    ),
    # Keys and secrets
    "aws:kms/key:Key": service_actions(
        "kms",
        "CreateKey EnableKeyRotation PutKeyPolicy TagResource",
        "DescribeKey GetKeyPolicy GetKeyRotationStatus ListResourceTags",
        "PutKeyPolicy EnableKeyRotation UpdateKeyDescription EnableKey DisableKey TagResource UntagResource",
        "ScheduleKeyDeletion",
    ),
    "aws:kms/alias:Alias": service_actions(
        "kms",
        "CreateAlias",
        "ListAliases",
        "UpdateAlias",
        "DeleteAlias",
    ),
    "aws:secretsmanager/secret:Secret": service_actions(
        "secretsmanager",
        "CreateSecret TagResource kms:DescribeKey",
        "DescribeSecret GetResourcePolicy",
        "UpdateSecret TagResource UntagResource",
        "DeleteSecret",
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": service_actions(
        "secretsmanager",
        # Secrets Manager encrypts and decrypts with the secret's key on the caller's behalf.
        "PutSecretValue kms:GenerateDataKey kms:Decrypt",
        # Refreshing a version reads its value; the policies limit this to the project's secrets.
        "GetSecretValue DescribeSecret ListSecretVersionIds kms:Decrypt",
        "PutSecretValue UpdateSecretVersionStage kms:GenerateDataKey kms:Decrypt",
        "UpdateSecretVersionStage",
    ),
}

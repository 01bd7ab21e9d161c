"""What the provider calls for monitoring: log groups and their resource policy, the alarms and
dashboard (components/alarms.py, dashboard.py) and the SNS topics and subscriptions they notify."""

from __future__ import annotations

from tools.iam_actions.model import LOGS_TAGS, Actions, service_actions

MONITORING: dict[str, Actions] = {
    # Monitoring
    "aws:cloudwatch/logGroup:LogGroup": service_actions(
        "logs",
        f"CreateLogGroup PutRetentionPolicy {LOGS_TAGS}",
        "DescribeLogGroups ListTagsForResource",
        f"PutRetentionPolicy DeleteRetentionPolicy AssociateKmsKey DisassociateKmsKey {LOGS_TAGS}",
        "DeleteLogGroup",
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": service_actions(
        "logs",
        "PutResourcePolicy",
        "DescribeResourcePolicies",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": service_actions(
        "cloudwatch",
        "PutMetricAlarm TagResource",
        "DescribeAlarms ListTagsForResource",
        "PutMetricAlarm TagResource UntagResource",
        "DeleteAlarms",
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": service_actions(
        "cloudwatch",
        "PutCompositeAlarm TagResource",
        "DescribeAlarms ListTagsForResource",
        "PutCompositeAlarm TagResource UntagResource",
        "DeleteAlarms",
    ),
    "aws:cloudwatch/dashboard:Dashboard": service_actions(
        "cloudwatch",
        "PutDashboard",
        "GetDashboard",
        "PutDashboard",
        "DeleteDashboards",
    ),
    "aws:sns/topic:Topic": service_actions(
        "sns",
        "CreateTopic SetTopicAttributes TagResource",
        "GetTopicAttributes ListTagsForResource",
        "SetTopicAttributes TagResource UntagResource",
        "DeleteTopic",
    ),
    "aws:sns/topicSubscription:TopicSubscription": service_actions(
        "sns",
        "Subscribe",
        "GetSubscriptionAttributes ListSubscriptionsByTopic",
        "SetSubscriptionAttributes",
        "Unsubscribe",
    ),
}

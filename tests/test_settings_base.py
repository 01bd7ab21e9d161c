"""What every settings model shares: the log retention periods CloudWatch Logs accepts."""

from __future__ import annotations

import pytest

from settings import load_settings
from tests.support import config_with, rejection

DAYS = "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"webapp:network": {"flowLogRetentionDays": 100}}, "network.flowLogRetentionDays"),
        ({"webapp:database": {"logRetentionDays": 100}}, "database.logRetentionDays"),
    ],
)
def test_a_log_retention_cloudwatch_logs_does_not_offer_is_rejected(overrides, key):
    # PutRetentionPolicy accepts only these periods: any other would fail `pulumi up`.
    assert rejection("prod", overrides) == [
        f"prod: {key}: must be one of {DAYS} days, the retention periods CloudWatch Logs accepts (got 100)"
    ]


@pytest.mark.parametrize("days", [1, 3653])
def test_the_shortest_and_the_longest_retention_are_accepted(days):
    settings = load_settings("prod", config_with("prod", {"webapp:network": {"flowLogRetentionDays": days}}))
    assert settings.network.flow_log_retention_days == days

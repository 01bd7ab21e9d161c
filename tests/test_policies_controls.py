"""The control catalogue's links (policies/webapp_policies/controls.py): each policy's URL, which the
PR report and docs/policies.md show next to its Security Hub control, is the control's anchor on
its service's page of the Security Hub user guide. The pack computes these when it loads, so they
are checked here by calling the function itself."""

import pytest

from policies.webapp_policies.controls import security_hub_url

GUIDE = "https://docs.aws.amazon.com/securityhub/latest/userguide"


@pytest.mark.parametrize(
    ("control", "url"),
    [
        ("EC2.18", f"{GUIDE}/ec2-controls.html#ec2-18"),
        ("ElastiCache.5", f"{GUIDE}/elasticache-controls.html#elasticache-5"),
        ("SecretsManager.1", f"{GUIDE}/secretsmanager-controls.html#secretsmanager-1"),
    ],
)
def test_a_control_links_to_its_anchor_on_its_services_page(control, url):
    assert security_hub_url(control) == url


def test_a_control_of_a_service_without_a_page_is_refused():
    with pytest.raises(KeyError):
        security_hub_url("Lambda.1")

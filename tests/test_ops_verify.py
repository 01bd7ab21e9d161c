"""`python -m ops verify` against a moto ALB, ECS service and alarms, with the health path served
by a real HTTPS server on loopback (a self-signed certificate the test trusts).

Moto 5.2.5 lacks ECS's service-deployment calls and composite alarms (`FakeEcsDeployments`,
`composite_alarm`), reports every registered target healthy (a patched DescribeTargetHealth
makes one fail) and always reports one deployment per service (a patched DescribeServices adds
a second).
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from ops import verify
from tests.ops_builders import _certificate_key, web_stack
from tests.ops_fakes import FakeDeployment, FakeEcsDeployments, Patched, composite_alarm
from tests.ops_support import client, run_cli

HEALTH = "/healthz"


class Site:
    """What the loopback server answers on the health path, and the requests it got."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"ok"
        self.paths: list[str] = []


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = _certificate_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def site(tls) -> Iterator[tuple[Site, str]]:
    """An HTTPS server on 127.0.0.1; yields what it answers and its base URL."""
    answers = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answers.paths.append(self.path)
            self.send_response(answers.status)
            self.send_header("Content-Length", str(len(answers.body)))
            self.end_headers()
            self.wfile.write(answers.body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    # shutdown() waits for the serve loop to look again: every 0.5 s by default, a 0.5 s teardown.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield answers, f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def trusting(tls) -> verify.Fetch:
    return verify.https_get(ssl.create_default_context(cafile=tls[0]))


def deployed(url: str) -> dict[str, Any]:
    values = {**web_stack(), "url": url}
    client("elbv2").modify_target_group(TargetGroupArn=values["blueTargetGroupArn"], HealthCheckPath=HEALTH)
    return values


def run(tmp_path, values, tls, ecs: FakeEcsDeployments | None = None, wrap: dict | None = None, json: bool = True):
    wrap = {
        "ecs": (ecs or FakeEcsDeployments()).wrap,
        "cloudwatch": composite_alarm("webapp-prod-deployment"),
        **(wrap or {}),
    }
    argv = ["verify", "--stack", "prod"] + (["--json"] if json else [])
    return run_cli(argv, tmp_path, values=values, wrap=wrap, fetch=trusting(tls))


def failed(result) -> list[str]:
    return result.json()["reasons"]


def test_a_healthy_settled_stack_passes_every_check(aws, tmp_path, site, tls):
    answers, url = site
    result = run(tmp_path, deployed(url), tls)
    assert result.code == 0, result.stdout
    assert [c["ok"] for c in result.json()["checks"]] == [True] * 4
    assert answers.paths == [HEALTH]


def test_each_check_is_shown_as_it_runs(aws, tmp_path, site, tls):
    _, url = site
    progress = run(tmp_path, deployed(url), tls).stderr
    assert f"ok: GET {url}{HEALTH}: 200" in progress
    assert "ok: live target group (blue): 2 healthy" in progress
    assert "ok: services: 1 at desired count, one deployment each" in progress


def test_a_health_path_that_is_not_200_fails_after_retrying(aws, tmp_path, site, tls):
    answers, url = site
    answers.status, answers.body = 503, b"Service Unavailable\nretry later"
    result = run(tmp_path, deployed(url), tls, json=False)
    assert result.code == 1
    assert f"GET {url}{HEALTH}: answered 503: Service Unavailable after 3 attempts" in result.stdout
    assert len(answers.paths) == verify.HTTP_ATTEMPTS


def test_a_certificate_the_client_does_not_trust_fails_the_health_check(aws, tmp_path, site, tls):
    _, url = site
    values = deployed(url)
    wrap = {"ecs": FakeEcsDeployments().wrap, "cloudwatch": composite_alarm("webapp-prod-deployment")}
    result = run_cli(["verify", "--stack", "prod", "--json"], tmp_path, values=values, wrap=wrap)
    assert result.code == 1
    assert "CERTIFICATE_VERIFY_FAILED" in failed(result)[0]


def test_an_http_url_is_refused(aws, tmp_path, tls):
    result = run(tmp_path, deployed("http://127.0.0.1:9"), tls)
    assert failed(result) == [f"GET http://127.0.0.1:9{HEALTH}: the stack's url is not HTTPS"]


def test_an_unhealthy_target_in_the_live_group_fails(aws, tmp_path, site, tls):
    _, url = site
    values = deployed(url)

    def wrap(real):
        def describe_target_health(TargetGroupArn: str):
            response = real.describe_target_health(TargetGroupArn=TargetGroupArn)
            if TargetGroupArn == values["blueTargetGroupArn"]:
                response["TargetHealthDescriptions"][0]["TargetHealth"] = {"State": "unhealthy"}
            return response

        return Patched(real, describe_target_health=describe_target_health)

    result = run(tmp_path, values, tls, wrap={"elbv2": wrap})
    assert failed(result) == ["live target group (blue): 1 healthy, 1 unhealthy"]


def test_an_alarm_in_alarm_fails_with_its_reason(aws, tmp_path, site, tls):
    _, url = site
    values = deployed(url)
    client("cloudwatch").set_alarm_state(
        AlarmName="webapp-prod-alb-5xx", StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [42.0]"
    )
    result = run(tmp_path, values, tls)
    assert failed(result) == ["alarms: in ALARM: webapp-prod-alb-5xx (Threshold Crossed: 1 datapoint [42.0])"]


def test_a_service_with_two_deployments_or_a_deployment_in_progress_fails(aws, tmp_path, site, tls):
    _, url = site
    values = deployed(url)

    def wrap(real):
        def describe_services(**kwargs):
            response = real.describe_services(**kwargs)
            for service in response["services"]:
                service["deployments"] = service["deployments"] * 2
            return response

        return Patched(real, describe_services=describe_services)

    active = FakeDeployment("arn:aws:ecs:us-east-1:123456789012:service-deployment/webapp/web/d1", ["IN_PROGRESS"])
    ecs = FakeEcsDeployments([active])
    result = run(tmp_path, values, tls, ecs=ecs, wrap={"ecs": lambda real: wrap(ecs.wrap(real))})
    assert failed(result) == ["services: web has 2 deployments; the web service's deployment is IN_PROGRESS"]


def test_a_service_below_its_desired_count_fails(aws, tmp_path, site, tls, monkeypatch):
    _, url = site
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    result = run(tmp_path, deployed(url), tls)
    assert failed(result) == ["services: web runs 1 of 2 tasks"]


def test_a_failed_verify_says_why_in_the_job_summary(aws, tmp_path, site, tls):
    answers, url = site
    answers.status = 502
    summary = tmp_path / "summary.md"
    wrap = {"ecs": FakeEcsDeployments().wrap, "cloudwatch": composite_alarm("webapp-prod-deployment")}
    argv = ["verify", "--stack", "prod", "--summary", str(summary)]
    result = run_cli(argv, tmp_path, values=deployed(url), wrap=wrap, fetch=trusting(tls))
    assert result.code == 1
    text = summary.read_text()
    assert text.startswith("### `ops verify` on prod: FAILED")
    assert f"  - GET {url}{HEALTH}: answered 502: ok after 3 attempts" in text

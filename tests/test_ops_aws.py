"""AWS errors as one line: real botocore parsing of what a proxy or load balancer in front of an
AWS endpoint answers, served by a loopback HTTP server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ops.aws import describe_error

GATEWAY_PAGE = (
    "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center></body>\n</html>\n"
)


class Answer(http.server.BaseHTTPRequestHandler):
    status = 502
    body = GATEWAY_PAGE
    url = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        payload = self.body.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[type[Answer]]:
    handler = type("Handler", (Answer,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # shutdown() waits for the serve loop to look again: every 0.5 s by default, a 0.5 s teardown.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler
    server.shutdown()
    server.server_close()


# One session for the module's clients: a session loads the service's API model once.
SESSION = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="example")


def error_from(endpoint: type[Answer]) -> ClientError:
    ecs = SESSION.client(
        "ecs",
        region_name="us-east-1",
        endpoint_url=endpoint.url,
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as raised:
        ecs.describe_services(cluster="webapp", services=["web"])
    return raised.value


def test_an_html_error_page_is_the_status_and_its_first_line(endpoint):
    assert describe_error(error_from(endpoint)) == "DescribeServices failed: HTTP 502 Bad Gateway"


def test_a_plain_text_5xx_body_gives_its_first_line(endpoint):
    endpoint.status, endpoint.body = 503, "upstream connect error or disconnect/reset before headers\nretried 3x\n"
    assert describe_error(error_from(endpoint)) == (
        "DescribeServices failed: HTTP 503 Service Unavailable: upstream connect error or disconnect/reset before headers"
    )


def test_an_aws_error_document_keeps_its_code_and_message(endpoint):
    endpoint.status = 400
    endpoint.body = '{"__type": "ClusterNotFoundException", "message": "Cluster not found."}'
    assert (
        describe_error(error_from(endpoint)) == "DescribeServices failed (ClusterNotFoundException): Cluster not found."
    )

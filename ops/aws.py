"""boto3 clients with throttling retries, and AWS errors turned into one-line messages.

Every client retries in botocore's `adaptive` mode (exponential backoff with jitter plus a
client-side rate limiter that slows down after throttling), up to MAX_ATTEMPTS per call. Waits
(`progress.poll`) add their own backoff on top for throttling that outlasts those attempts.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable
from typing import Any

from boto3.session import Session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

MAX_ATTEMPTS = 10
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="webapp-ops",
)

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "PriorRequestNotComplete",
    }
)
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "UnauthorizedException",
        "NotAuthorized",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)

# Exit statuses of every command.
EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and found a problem (a failed check, a failed rollback or drill)
EXIT_ERROR = 2  # the command could not run (usage, config, missing outputs, permissions, AWS errors)


class OpsError(Exception):
    """Something that stops a command; the message is shown as is, without a traceback."""


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_throttling(error: BaseException) -> bool:
    return error_code(error) in THROTTLING_CODES


def describe_error(error: BaseException) -> str:
    """One line saying what went wrong with an AWS call and what to do about it."""
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "") or code
        operation = error.operation_name
        if code in ACCESS_DENIED_CODES:
            return (
                f"access denied calling {operation}: {message} "
                "(see docs/operations.md: the IAM permissions each command needs)"
            )
        if code in CREDENTIAL_CODES:
            return f"AWS rejected the credentials calling {operation} ({code}): {message}"
        if code in THROTTLING_CODES:
            return f"AWS kept throttling {operation} after {MAX_ATTEMPTS} attempts: {message}"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or (
            int(code) if code.isdigit() else 0
        )
        if code.isdigit() or "\n" in message or message.lstrip().startswith("<"):
            # Not an AWS error document: a proxy's or load balancer's page (HTML), after botocore's retries.
            reason, first = _reason(status), _first_line(message)
            return f"{operation} failed: HTTP {status} {reason}" + (
                f": {first}" if first and first not in (reason, f"{status} {reason}") else ""
            )
        return f"{operation} failed ({code}): {message}"
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return "no AWS credentials found (set AWS_PROFILE, or run inside a role, e.g. `aws sso login` first)"
    if isinstance(error, NoRegionError):
        return "no AWS region: the stack outputs and config name none"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach AWS: {error}"
    if isinstance(error, BotoCoreError):
        return f"AWS SDK error: {error}"
    return str(error)


def _reason(status: int) -> str:
    return http.client.responses.get(status, "")


def _first_line(text: str, limit: int = 200) -> str:
    """The first line of `text` with text in it, markup removed, at most `limit` characters."""
    for line in text.splitlines():
        line = " ".join(re.sub(r"<[^>]*>", " ", line).split())
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


class Aws:
    """The AWS clients of one command run, created once per (service, region).

    `wrap` maps a service name to a function applied to each new client of that service; tests
    use it to put a thin fake in front of the one call moto does not implement.
    """

    def __init__(
        self,
        region: str,
        session: Session | None = None,
        wrap: dict[str, Callable[[Any], Any]] | None = None,
    ):
        self.region = region
        self._session = session or Session()
        self._wrap = dict(wrap or {})
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            client = self._session.client(service, region_name=key[1], config=CLIENT_CONFIG)
            wrapper = self._wrap.get(service)
            self._clients[key] = wrapper(client) if wrapper else client
        return self._clients[key]


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item under `key` across the pages of a paginated call."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


DESCRIBE_SERVICES_MAX = 10  # ECS DescribeServices takes at most 10 services


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]

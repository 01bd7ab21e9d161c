"""Settings of the stack's own Lambda functions (components/vpc_function.py): the production
defaults in one place."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import LogRetentionDays, Model


class FunctionSettings(Model):
    # The newest Python runtimes Lambda offers on Graviton (arm64: cheaper per GB-second).
    runtime: Literal["python3.12", "python3.13"] = "python3.13"
    architecture: Literal["arm64", "x86_64"] = "arm64"
    memory_mb: int = Field(default=256, ge=128, le=10240)
    # Lambda allows up to 900 s; a deploy-time function that hangs should fail the deploy fast.
    timeout_seconds: int = Field(default=60, ge=1, le=900)
    log_retention_days: LogRetentionDays = 365

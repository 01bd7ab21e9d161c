"""Where alarm notifications go."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Model

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s]+$")]


class AlarmSettings(Model):
    emails: list[Email] = []
    https_endpoints: list[HttpsUrl] = []

"""Shared pieces of the settings model: the pydantic base class and the problem type."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Base of every settings model: camelCase keys as in `Pulumi.<stack>.yaml`, typos rejected,
    immutable once validated so no component can change what another one sees."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )

    def problems(self, profile: str) -> Iterator[Problem]:
        """Cross-field rules pydantic cannot express field by field. Keys are relative to
        this model; the caller prefixes them."""
        return iter(())


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a stack config: the dotted key, what is wrong, and the value."""

    key: str
    message: str
    value: Any

    def under(self, prefix: str) -> Problem:
        """The problem with its key prefixed: `network` + `azCount`, `services` + `[1].name`, or the
        prefix alone for a problem of the whole section (an empty key)."""
        separator = "." if self.key and not self.key.startswith("[") else ""
        return Problem(f"{prefix}{separator}{self.key}", self.message, self.value)


def alias(model: type[BaseModel], field: str) -> str:
    """The YAML key of a field, for error messages."""
    info = model.model_fields[field]
    return info.alias or field


# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        days = ", ".join(map(str, LOG_RETENTION_DAYS))
        raise ValueError(f"must be one of {days} days, the retention periods CloudWatch Logs accepts")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]

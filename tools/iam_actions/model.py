"""One resource type's IAM actions (create, read, update, delete) and the short way the area
tables of tools/iam_actions write them: the actions of one service prefix as space-separated names."""

from __future__ import annotations

from dataclasses import dataclass

# The tagging actions of the APIs whose resources the provider tags with their own calls (every
# resource carries the provider's default tags, so tagging is part of creating and updating it).
EC2_TAGS = "CreateTags DeleteTags"
ELB_TAGS = "AddTags RemoveTags"
LOGS_TAGS = "TagResource UntagResource"


@dataclass(frozen=True)
class Actions:
    create: tuple[str, ...]
    read: tuple[str, ...]
    update: tuple[str, ...]
    delete: tuple[str, ...]


def service_actions(prefix: str, create: str, read: str, update: str, delete: str) -> Actions:
    """Actions of one IAM service prefix, each group a space-separated list of action names (an
    action of another service is written with its own prefix); an empty group calls nothing."""

    def group(names: str) -> tuple[str, ...]:
        return tuple(name if ":" in name else f"{prefix}:{name}" for name in names.split())

    return Actions(group(create), group(read), group(update), group(delete))

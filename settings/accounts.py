"""One account per environment: two stack files of different profiles must not allow the same
AWS account (`aws:allowedAccountIds`), unless both say it is intended
(`webapp:sharedAccountIntentional: true`).

Sharing an account puts staging's mistakes (an IAM change, a quota exhausted, a service-wide
setting, a leaked credential) within reach of prod; separate accounts are AWS's recommended
isolation boundary (AWS Well-Architected, "SEC01-BP01 Separate workloads using accounts"). The
check reads the stack files themselves, so it also runs when a stack's settings are invalid.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import LEGACY_PROFILE_KEY, PROJECT
from .stack_config import ROOT, read_stack_config, stack_names

INTENTIONAL_KEY = f"{PROJECT}:sharedAccountIntentional"


def shared_account_problems(configs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per pair of stacks of different profiles allowing a common account without both
    saying it is intended; `configs` maps a stack name to its stack file's config."""
    lines = []
    stacks = sorted(configs)
    for index, first in enumerate(stacks):
        for second in stacks[index + 1 :]:
            a, b = configs[first], configs[second]
            if _profile(a) == _profile(b):
                continue
            shared = sorted(set(_accounts(a)) & set(_accounts(b)))
            if not shared or (a.get(INTENTIONAL_KEY) is True and b.get(INTENTIONAL_KEY) is True):
                continue
            lines.append(
                f"Pulumi.{first}.yaml ({_profile(a)}) and Pulumi.{second}.yaml ({_profile(b)}) both allow account "
                f"{', '.join(shared)} in aws:allowedAccountIds: give each environment its own account, or set "
                f"{INTENTIONAL_KEY}: true in both files"
            )
    return lines


def stack_file_problems(root: Path = ROOT) -> list[str]:
    """`shared_account_problems` of every stack file under `root`."""
    return shared_account_problems({stack: read_stack_config(stack, root=root) for stack in stack_names(root)})


def _profile(config: Mapping[str, Any]) -> Any:
    return config.get(f"{PROJECT}:profile", config.get(f"{PROJECT}:{LEGACY_PROFILE_KEY}"))


def _accounts(config: Mapping[str, Any]) -> list[str]:
    accounts = config.get("aws:allowedAccountIds") or []
    return [str(account) for account in accounts] if isinstance(accounts, list) else []

"""Pulumi entry point: stack config -> validated settings -> composition -> stack outputs."""

import pulumi

from composition import build
from settings.runtime import settings_or_exit

for name, value in build(settings_or_exit()).items():
    pulumi.export(name, value)

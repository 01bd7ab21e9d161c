"""`python -m tools.ops <command> --stack NAME`: see tools/ops/cli.py."""

import sys

from .cli import main

sys.exit(main())

"""`python -m ops <command> --stack NAME`: see ops/cli.py."""

import sys

from .cli import main

sys.exit(main())

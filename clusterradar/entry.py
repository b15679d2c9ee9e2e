"""Console-script entry point that stays quiet on Ctrl-C even while the CLI is still importing
(the stages' modules load before any command runs)."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from clusterradar.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)

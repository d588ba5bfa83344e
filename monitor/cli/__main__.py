"""`python -m monitor.cli`: the same command line as the `monitor` script."""

from __future__ import annotations

from . import cli

cli()

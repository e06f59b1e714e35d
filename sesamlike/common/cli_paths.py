"""A command's output file, checked before the command does its work.

`catalogue export` and `followup register-export` wrote to a folder that did
not exist with a traceback, the register export after it had committed an
audit row per patient for a file nobody got (the bad-input review). The folder
is asked for first: a usage error (exit 2), nothing read, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import click


def output_file(_ctx: click.Context, _param: click.Parameter, value: Path) -> Path:
    """A click callback: `value` ('-' for stdout) goes in a folder that exists."""
    if str(value) == "-" or value.parent.is_dir():
        return value
    raise click.BadParameter(f"mappen {value.parent} finns inte; inget skrevs.")

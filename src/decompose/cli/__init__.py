"""The command line: parse arguments, call one stage, print. No logic lives here.

Each command is its own module in this package; this one assembles them and
turns a :class:`~decompose.errors.DecomposeError` into one line on stderr and
an exit code (2 for usage/input, 1 for findings). ``--debug`` keeps tracebacks.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from decompose import __version__
from decompose.errors import DecomposeError


class _Group(click.Group):
    """Commands are imported when used (``decompose analyze`` never loads propose's or graph's imports)."""

    lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(__import__(self.lazy[cmd_name], fromlist=["command"]).command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DecomposeError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"decompose: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="decompose")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Map a Django monolith, propose service boundaries, extract services."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    # One line per command module; each module defines `command` (imported on first use).
    _Group.lazy["analyze"] = "decompose.cli.analyze"
    _Group.lazy["check"] = "decompose.cli.check"
    _Group.lazy["graph"] = "decompose.cli.graph"
    _Group.lazy["extract"] = "decompose.cli.extract"
    _Group.lazy["propose"] = "decompose.cli.propose"


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):
        # a name that is not valid UTF-8 (a surrogate from os.fsdecode) is printed escaped, never a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        cli.main(args=argv, prog_name="decompose", standalone_mode=True)
    except SystemExit as exc:
        # `analyze` may end the process without freeing what it built (see decompose.cli.analyze.end_process)
        analyze = sys.modules.get("decompose.cli.analyze")
        if analyze is not None and analyze.FINISHED:
            analyze.end_process(exc.code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])

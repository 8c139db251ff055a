"""The command line: parse arguments, call one stage, print. No logic lives here.

Each command is its own module in this package; this one assembles them and
turns a :class:`~decompose.errors.DecomposeError` into one line on stderr and
an exit code (2 for usage/input, 1 for findings). ``--debug`` keeps tracebacks.
"""

from __future__ import annotations

import sys

import click

from decompose import __version__
from decompose.errors import DecomposeError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[override]
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
    # One line per command module; each module defines `command`.
    from decompose.cli import analyze

    for module in (analyze,):
        cli.add_command(module.command)
    cli.add_command(__import__("decompose.cli.graph", fromlist=["command"]).command)
    cli.add_command(__import__("decompose.cli.extract", fromlist=["command"]).command)
    cli.add_command(__import__("decompose.cli.propose", fromlist=["command"]).command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="decompose", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])

"""`decompose analyze`: build the dependency graph of a Django project and summarise it."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from decompose.analysis import Analysis
    from decompose.builder import PlainGraph
    from decompose.graph import DependencyGraph

#: set when the command has written all it had to; the console-script entry point may then end the
#: process at once (:func:`end_process`) instead of freeing a large graph object by object
FINISHED = False

#: stands for the run's figures in a kept rendering of the headline
_STATS = "@@decompose-stats@@"
#: the summary's text form: bump when it changes, so a kept rendering of an unchanged project is not reused
_SUMMARY_FORM = 2  # 2: app cycles from decompose.cycles (the groups, cycles and cut `graph` draws)
#: what rich's rendering depends on besides the summary (a kept rendering is reused only when all are equal)
_RENDER_ENV = (
    "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR",
    "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS",
)  # fmt: skip


def _render_key(quiet: bool) -> str:
    """The terminal the summary is rendered for: a kept rendering is valid for an identical one only."""
    tty = sys.stderr.isatty()
    try:
        size = tuple(os.get_terminal_size(sys.stderr.fileno())) if tty else None
    except (OSError, ValueError, AttributeError):
        size = None
    env = tuple(os.environ.get(k) for k in _RENDER_ENV)
    return repr((_SUMMARY_FORM, quiet, tty, size, env, getattr(sys.stderr, "encoding", None)))


def _console() -> Console:
    from decompose.cli.output import err_console

    return err_console()


class _LazyProgress:
    """A progress bar that appears only on a terminal and only once scanning takes more than a moment."""

    DELAY = 0.4

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.preloaded = False

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if done < total and not self.preloaded:
                # files are being scanned by the pool: this process waits, so it loads what the summary
                # will need now rather than after the build
                self.preloaded = True
                if _is_terminal():
                    import rich.console
                    import rich.table  # noqa: F401

                import decompose.summary  # noqa: F401
            if not sys.stderr.isatty() or time.perf_counter() - self.start < self.DELAY or done >= total:
                return
            console = _console()
            if not console.is_terminal:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self.bar = Progress(*columns, console=console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("scan", total=total)
        if self.task is not None:
            self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.command("analyze")
@click.argument("path", required=False, default=".", type=click.Path(file_okay=True, dir_okay=True))
@click.option(
    "--settings", default=None, metavar="MODULE", help="Dotted name of the Django settings module (default: found)."
)
@click.option(
    "-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write the graph as JSON to this file."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the graph on stdout.",
)
@click.option("--hide-external", is_flag=True, help="Leave third-party and stdlib packages out of the graph.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache.")
@click.option(
    "--cache-dir", default=None, type=click.Path(file_okay=False), help="Cache folder (default: PATH/.decompose-cache)."
)
@click.option("--jobs", "-j", default=None, type=click.IntRange(min=1), help="Worker processes (default: the cores).")
@click.option("-q", "--quiet", is_flag=True, help="No summary, only errors.")
def command(
    path: str,
    settings: str | None,
    output: str | None,
    fmt: str,
    hide_external: bool,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    quiet: bool,
) -> None:
    """Map the modules and apps of the Django project at PATH and how they depend on each other.

    Nothing of the project is imported or run: every file is read as text.
    """
    import gc

    from decompose.analysis import run_analysis
    from decompose.cli.paths import check_output_file

    if output:
        check_output_file(output, "--output")  # before the analysis, not after it

    # a short run that builds a big acyclic structure: the cyclic GC would only re-traverse it, over and over
    gc.disable()
    progress = _LazyProgress()
    try:
        result = run_analysis(
            path,
            settings=settings,
            use_cache=not no_cache,
            cache_dir=cache_dir,
            jobs=jobs,
            progress=progress,
            hide_external=hide_external,
        )
    finally:
        progress.close()
    key = _render_key(quiet)
    kept = result.rendering(key)
    writer = None
    if output:
        # a fresh graph is both serialised and summarised: on a second core when one is free
        writer = _write_graph_aside(result, output) if kept is None else None
        if writer is None:
            _write_graph(result, output)
    if fmt == "json":
        sys.stdout.write(result.to_json())
        sys.stdout.flush()
    if kept is None:
        kept = _render(result.summary_source(), quiet)
        result.remember_rendering(key, kept)
    headline, tables, warnings = kept
    s = result.stats
    out = sys.stderr
    if not quiet:
        figures = f"{s.scanned} files scanned, {s.cached} from cache in {s.seconds:.2f}s"
        out.write(headline.replace(_STATS, figures) + tables)
        out.flush()
    if writer is not None and output:
        _, status = os.waitpid(writer, 0)
        if status != 0:
            _write_graph(result, output)  # say why, from this process
    if output and not quiet:
        out.write(f"wrote {output}\n")
    out.write(warnings)
    out.flush()
    global FINISHED
    FINISHED = True


def end_process(code: object) -> None:
    """Flush and leave without tearing down the interpreter (0.1 s on wagtail's graph; nothing to clean up).

    Only called from the console-script entry point, after this command finished; never in-process.
    """
    status = code if isinstance(code, int) else (0 if code is None else 1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def _write_graph(result: Analysis, output: str) -> None:
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(result.to_json())
    except OSError as exc:
        from decompose.errors import InputError

        raise InputError(f"{output}: cannot write the graph ({exc.strerror or exc})") from None


def _write_graph_aside(result: Analysis, output: str) -> int | None:
    """Write the graph file from a forked child while this process renders the summary; its pid.

    None (write it here) where fork is unavailable or unsafe (other threads running), or on one core.
    """
    import threading

    if not hasattr(os, "fork") or threading.active_count() != 1 or (os.cpu_count() or 1) < 2:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        return pid
    code = 1
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(result.to_json())  # also kept in the cache for the next unchanged run
        code = 0
    finally:
        os._exit(code)


def _is_terminal() -> bool:
    """Whether the summary goes to a terminal (rich tables) rather than a pipe or a log (plain text)."""
    from decompose.cli.output import stderr_is_terminal

    return stderr_is_terminal()


def _settings(graph: DependencyGraph | PlainGraph) -> str:
    """The settings module and why it was used (``shop.settings (DJANGO_SETTINGS_MODULE in manage.py)``)."""
    reason = graph.meta.get("settings_reason")
    if not graph.settings_module:
        return f"(not found: {reason})" if reason else "(not found)"
    return f"{graph.settings_module} ({reason})" if reason else graph.settings_module


def _render(graph: DependencyGraph | PlainGraph, quiet: bool) -> tuple[str, str, str]:
    """(headline with a stand-in for the run's figures, tables, warning line), rendered for stderr.

    On a terminal with rich; otherwise as plain text (:func:`decompose.summary.format_plain`), which
    keeps every cell whole and does not need rich at all.
    """
    from decompose.summary import format_plain, print_summary, summarize

    summary = summarize(graph)
    figures = (
        f": {summary.modules} modules, {summary.lines:,} lines, {len(graph.apps)} apps, "
        f"{summary.externals} external packages; settings {_settings(graph)}; {_STATS}"
    )
    count = f"{summary.warning_count} warning(s)"
    detail = f": {len(summary.skipped)} file(s) skipped, {len(summary.warnings)} other"
    if not _is_terminal():
        headline, tables = ("", "") if quiet else (f"{graph.root}{figures}\n", format_plain(summary))
        return headline, tables, f"{count}{detail}\n" if summary.warning_count else ""
    console = _console()
    headline = tables = warnings = ""
    if not quiet:
        with console.capture() as cap:
            console.print(f"[bold]{graph.root}[/]{figures}", highlight=False, soft_wrap=True)
        headline = cap.get()
        with console.capture() as cap:
            print_summary(summary, console)
        tables = cap.get()
    if summary.warning_count:
        with console.capture() as cap:
            console.print(f"[yellow]{count}[/]{detail}", highlight=False)
        warnings = cap.get()
    return headline, tables, warnings

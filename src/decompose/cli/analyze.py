"""`decompose analyze`: build the dependency graph of a Django project and summarise it."""

from __future__ import annotations

import sys
import time

import click
from rich.console import Console


class _LazyProgress:
    """A progress bar that appears only on a terminal and only once scanning takes more than a moment."""

    DELAY = 0.4

    def __init__(self, console: Console) -> None:
        self.console = console
        self.start = time.perf_counter()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not self.console.is_terminal or time.perf_counter() - self.start < self.DELAY or done >= total:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=self.console, transient=True
            )
            self.bar.start()
            self.task = self.bar.add_task("scan", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.command("analyze")
@click.argument("path", required=False, default=".", type=click.Path(file_okay=True, dir_okay=True))
@click.option("--settings", default=None, metavar="MODULE", help="Dotted name of the Django settings module (default: found).")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write the graph as JSON to this file.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: the graph on stdout.")
@click.option("--hide-external", is_flag=True, help="Leave third-party and stdlib packages out of the graph.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache.")
@click.option("--cache-dir", default=None, type=click.Path(file_okay=False), help="Cache folder (default: PATH/.decompose-cache).")
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
    from decompose.analysis import run_analysis
    from decompose.graph import dump
    from decompose.summary import print_summary, summarize

    console = Console(stderr=True)
    progress = _LazyProgress(console)
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
    graph = result.graph
    if output:
        dump(graph, output)
    if fmt == "json":
        sys.stdout.write(graph.to_json())
        sys.stdout.flush()
    summary = summarize(graph)
    if not quiet:
        s = result.stats
        head = (
            f"[bold]{graph.root}[/]: {summary.modules} modules, {summary.lines:,} lines, {len(graph.apps)} apps, "
            f"{summary.externals} external packages; settings {graph.settings_module or '(not found)'}; "
            f"{s.scanned} files scanned, {s.cached} from cache in {s.seconds:.2f}s"
        )
        print_summary(summary, console, headline=head)
    if output and not quiet:
        console.print(f"wrote {output}", highlight=False)
    if summary.warning_count:
        console.print(
            f"[yellow]{summary.warning_count} warning(s)[/]: {len(summary.skipped)} file(s) skipped, {len(summary.warnings)} other",
            highlight=False,
        )

"""Run one command in a child process and measure it: wall time, peak memory.

CPU time (user + system, the child and its descendants, from ``os.wait4``) is
kept next to wall time: on a machine shared with other work it is the steadier
of the two, since waiting for a core does not count.

Two memory figures per run:

- ``max_rss``: the largest resident set of any single process in the child's
  tree: each process's ``VmHWM`` (its peak since it started its program),
  sampled from ``/proc`` with the tree. Not ``os.wait4``'s ``ru_maxrss`` (what
  ``/usr/bin/time -v`` prints): Linux carries the *parent's* peak into a child
  that forks and then runs a program, so that figure is never below the size of
  the process that launched the command (a large test runner, say). Where
  ``/proc`` is missing, ``ru_maxrss`` it is.
- ``tree_rss``: the peak of the *sum* of the resident sets of the child and all
  its live descendants, sampled every 20 ms from ``/proc`` (new descendants are
  looked for every 100 ms). This is what a multi-process tool really costs; it
  can miss a spike shorter than the sampling period.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured run of one command."""

    wall: float  # seconds
    max_rss: int  # bytes, largest single process
    tree_rss: int  # bytes, peak sum over the process tree (sampled; 0 if /proc is unavailable)
    cpu: float  # seconds of user + system CPU of the child and its waited-for descendants
    stdout: str


class MeasureError(RuntimeError):
    """The measured command failed; the message holds its exit status and the end of its stderr."""


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...  -- comm may hold spaces or parentheses
        ppid = int(stat[stat.rindex(b")") + 2 :].split(None, 2)[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _descendants(pid: int) -> list[int]:
    kids = _children_map()
    out, todo = [pid], [pid]
    while todo:
        for c in kids.get(todo.pop(), ()):
            out.append(c)
            todo.append(c)
    return out


def _hwm(pid: int) -> int:
    """The peak resident set of ``pid`` since it started its program (``VmHWM``), in bytes; 0 if gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.process_peak = 0
        self.stop = threading.Event()
        self.available = os.path.isdir("/proc/self")

    def run(self) -> None:
        if not self.available:
            return
        pids = [self.pid]
        tick = 0
        while not self.stop.is_set():
            if tick % 5 == 0:
                pids = _descendants(self.pid)
            self.peak = max(self.peak, sum(_rss(p) for p in pids))
            self.process_peak = max(self.process_peak, *(_hwm(p) for p in pids))
            tick += 1
            self.stop.wait(0.02)


def run(cmd: list[str], *, cwd: str | None = None, env: dict[str, str] | None = None, check: bool = True) -> Sample:
    """Run ``cmd`` to completion and measure it (stdout captured, stderr kept for errors)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if check and proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise MeasureError(f"{' '.join(cmd)}\n  exited with {proc.returncode}:\n{tail}")
    return Sample(
        wall=wall,
        max_rss=sampler.process_peak or usage.ru_maxrss * 1024,
        tree_rss=sampler.peak,
        cpu=usage.ru_utime + usage.ru_stime,
        stdout=stdout,
    )

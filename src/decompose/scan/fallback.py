"""LibCST's parser for syntax newer than this interpreter, run in a helper process of its own.

LibCST's parser is native code: on hostile input (brackets nested thousands deep, a chain of
100,000 unary minus signs) it overflows its stack and kills the process, or runs for minutes.
So it never runs in the scanning process. One helper process per scanning process parses on
request: the scanner sends a file's bytes and gets back the file rewritten in syntax this
interpreter's ``ast`` reads (``type X = v`` -> ``X = v``, PEP 695 type parameters dropped, PEP 701
f-strings -> tuples of their expressions), or a reason it cannot. If the helper dies or takes too
long, that one file is skipped with the reason and the next request starts a new helper.

Run as a script (``python fallback.py``), this file is the helper: it imports LibCST and the
standard library only, and answers frames on stdin/stdout until stdin closes.

Frames: request = 8-byte little-endian length + source bytes; answer = 1 status byte
(``b"+"``: rewritten code follows, UTF-8; ``b"-"``: a reason follows) + 8-byte length + payload.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from typing import Any

__all__ = ["FallbackError", "FallbackParser", "downgrade", "fallback_parser", "max_bracket_depth"]

#: deeper bracket nesting than this is never given to LibCST (CPython's own tokenizer stops at 200)
MAX_BRACKET_DEPTH = 200
#: seconds the helper may take on one file: a floor plus a share for its size
TIMEOUT_FLOOR = 10.0
TIMEOUT_PER_MB = 40.0

# bytes -> +1 for an opening bracket, -1 for a closing one (other bytes are removed first)
_KEEP = bytes(range(256)).translate(None, b"()[]{}")
_DELTA = tuple(1 if b in b"([{" else -1 for b in range(256))


def max_bracket_depth(source: bytes) -> int:
    """The deepest nesting of ``()[]{}`` in ``source``, counted on the bytes (strings and comments too).

    An upper bound of the real nesting, cheap (the bytes are filtered in C, then summed), so it can
    guard a parser that must not see deep input. ``max_bracket_depth(b"f([1, (2,)])") == 3``.
    """
    from itertools import accumulate, chain
    from operator import sub

    brackets = source.translate(None, _KEEP)
    if not brackets:
        return 0
    # the running sum minus its lowest point so far: a closing bracket with nothing open counts for nothing
    sums = list(accumulate(map(_DELTA.__getitem__, brackets)))
    return max(0, max(map(sub, sums, accumulate(chain((0,), sums), min))))


class FallbackError(Exception):
    """The fallback parser could not read the file; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FallbackParser:
    """A LibCST helper process owned by one process (a forked child starts its own)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = 0

    def downgrade(self, source: bytes) -> str:
        """``source`` rewritten for this interpreter's ``ast``; :class:`FallbackError` if LibCST cannot read it."""
        depth = max_bracket_depth(source)
        if depth > MAX_BRACKET_DEPTH:
            raise FallbackError(f"brackets nested {depth} deep (more than {MAX_BRACKET_DEPTH})")
        proc = self._helper()
        timeout = TIMEOUT_FLOOR + TIMEOUT_PER_MB * len(source) / 1_000_000
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(len(source).to_bytes(8, "little") + source)
            proc.stdin.flush()
            head = _read_exact(proc.stdout.fileno(), 9, time.monotonic() + timeout)
            payload = _read_exact(proc.stdout.fileno(), int.from_bytes(head[1:], "little"), time.monotonic() + timeout)
        except TimeoutError:
            self.close()
            raise FallbackError(f"the fallback parser (LibCST) gave up after {timeout:.0f} s") from None
        except (OSError, EOFError, ValueError):
            self.close()
            raise FallbackError("the fallback parser (LibCST) crashed on this file") from None
        if head[:1] != b"+":
            raise FallbackError(payload.decode("utf-8", "replace"))
        return payload.decode("utf-8")

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or self._owner != os.getpid():
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.kill()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def _helper(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._owner == os.getpid() and self._proc.poll() is None:
            return self._proc
        if self._owner == os.getpid():
            self.close()
        # a helper inherited through fork belongs to the parent: leave it alone, start our own
        self._proc = subprocess.Popen(
            [sys.executable, "-P", __file__],  # -P: this folder's modules (django.py...) stay off sys.path
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self._owner = os.getpid()
        return self._proc


def _read_exact(fd: int, size: int, deadline: float) -> bytes:
    out = bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while len(out) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError
            block = os.read(fd, min(size - len(out), 1 << 20))
            if not block:
                raise EOFError
            out += block
    return bytes(out)


_PARSER: FallbackParser | None = None


def fallback_parser() -> FallbackParser:
    """This process's helper (created on first use)."""
    global _PARSER
    if _PARSER is None:
        _PARSER = FallbackParser()
    return _PARSER


# -- the helper's side -------------------------------------------------------------


def downgrade(source: bytes) -> str:
    """Parse ``source`` with LibCST and rewrite newer syntax (runs in the helper; raises on failure)."""
    import libcst as cst

    module = cst.parse_module(source)
    return str(module.visit(_downgrader(cst)).code)


def _downgrader(cst: Any) -> Any:
    empty = cst.Module(body=[])

    def expr_code(node: Any) -> str:
        return str(empty.code_for_node(node))

    class Downgrade(cst.CSTTransformer):
        """``type X = v`` -> ``X = v``; drop PEP 695 type parameters; f-strings -> tuples of their expressions."""

        def leave_TypeAlias(self, original: Any, updated: Any) -> Any:
            return cst.Assign(targets=[cst.AssignTarget(target=updated.name)], value=updated.value)

        def leave_FunctionDef(self, original: Any, updated: Any) -> Any:
            return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

        def leave_ClassDef(self, original: Any, updated: Any) -> Any:
            return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

        def leave_FormattedString(self, original: Any, updated: Any) -> Any:
            exprs: list[str] = []

            def collect(parts: Any) -> None:
                for part in parts:
                    if isinstance(part, cst.FormattedStringExpression):
                        exprs.append(expr_code(part.expression))
                        if part.format_spec:
                            collect(part.format_spec)

            collect(updated.parts)
            missing = expr_code(original).count("\n") - sum(e.count("\n") for e in exprs)
            if missing > 0:
                exprs.append('"""' + "\n" * missing + '"""')
            return cst.parse_expression("(" + "".join(f"{e}, " for e in exprs) + ")")

    return Downgrade()


def _serve() -> None:  # pragma: no cover - runs in the helper process
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = stdin.read(8)
        if len(head) < 8:
            return
        source = stdin.read(int.from_bytes(head, "little"))
        try:
            status, payload = b"+", downgrade(source).encode("utf-8")
        except Exception as exc:  # LibCST's ParserSyntaxError and friends: a reason, not a crash
            status, payload = b"-", f"LibCST cannot parse it either: {type(exc).__name__}".encode()
        stdout.write(status + len(payload).to_bytes(8, "little") + payload)
        stdout.flush()


if __name__ == "__main__":  # pragma: no cover - the helper process
    _serve()

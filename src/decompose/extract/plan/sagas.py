"""Saga steps: where the moved code makes an external side effect that a later failure does not undo.

Once the apps run as a service, a database rollback undoes only the service's rows: a payment
gateway's capture, an e-mail, an HTTP call, a queued task or a call back to the monolith stays done.
For each function of the moved code (read as text: its syntax tree, nothing is run) the plan lists,
with ``path:line``, every such effect followed by a step that can still fail:

- a later external effect of the same function (the sample's ``capture_payment``: the gateway's
  ``capture``, then the call back to ``orders.services.mark_paid``), or
- a later ``transaction.atomic()`` block (its rollback leaves the effect done), or
- a later statement of the ``transaction.atomic()`` block the effect is in (the block may roll back
  after it: the call back ``mark_paid`` inside the block, then ``audit(...)``).

Each step names what compensates the effect when a function of that name exists (``refund_*`` or
``void_*`` for a capture, ``void_*``/``cancel_*``/``release_*`` for an authorisation...: same
module, same object as the function that makes the effect), else a TODO to write it.

What counts as an external effect: a call back (a staying function the plan calls over HTTP), an
HTTP client call (requests, httpx, urllib), Django's e-mail functions, a Celery ``.delay`` /
``.apply_async``, and a call on a payment gateway or API client (a receiver whose name says
gateway/client/provider/api...) that is not a read (``get_*``, ``list_*``...).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from decompose.extract.plan.index import Module, ModuleUnreadable
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import Dependency, ManualStep

#: HTTP clients' calls that may write (a GET is a read: not an effect)
_HTTP = frozenset(
    f"{lib}.{verb}" for lib in ("requests", "httpx") for verb in ("post", "put", "patch", "delete", "request")
) | {"urllib.request.urlopen"}
_MAIL = frozenset(f"django.core.mail.{f}" for f in ("send_mail", "send_mass_mail", "mail_admins", "mail_managers"))
_CALL_BACK = "call back to the monolith"
#: effects that are sent after the commit rather than compensated
_AFTER_COMMIT = frozenset({"e-mail", "queued task"})
_TASK_METHODS = frozenset({"delay", "apply_async"})
#: words in a receiver's name that make it an outside system
_OUTSIDE = ("gateway", "client", "provider", "api", "stripe", "paypal", "braintree", "adyen", "psp", "processor")
#: method names that only read
_READS = ("get", "list", "fetch", "retrieve", "find", "read", "search", "lookup", "check", "validate", "is", "has")
#: an effect's verb → the verbs of what undoes it
COMPENSATIONS: dict[str, tuple[str, ...]] = {
    "capture": ("refund", "void", "reverse"),
    "charge": ("refund", "reverse", "void"),
    "pay": ("refund", "reverse"),
    "authorize": ("void", "cancel", "release"),
    "authorise": ("void", "cancel", "release"),
    "reserve": ("release", "cancel", "unreserve"),
    "hold": ("release", "cancel"),
    "allocate": ("release", "deallocate", "cancel"),
    "book": ("cancel", "release"),
    "place": ("cancel",),
    "create": ("cancel", "delete", "void"),
    "add": ("remove", "cancel"),
    "mark": ("unmark", "revert", "undo"),
    "close": ("reopen",),
    "open": ("close",),
    "transfer": ("reverse", "refund"),
    "subscribe": ("unsubscribe", "cancel"),
    "activate": ("deactivate",),
    "enable": ("disable",),
    "ship": ("cancel", "recall"),
    "dispatch": ("cancel", "recall"),
}
#: verbs of compensations for an effect whose own verb is not in the table
_GENERIC = ("cancel", "revert", "undo", "compensate", "rollback")


def plan_sagas(part: PlannerState, dependencies: Sequence[Dependency]) -> list[ManualStep]:
    """The saga steps of the module docstring, one per effect, in source order of the moved modules."""
    callbacks = {f"{d.module}.{d.symbol}" for d in dependencies if d.classification == "callback"}
    out: list[ManualStep] = []
    for name in sorted(part.moved):
        m = part.p.modules[name]
        if m.test or m.migration:
            continue
        try:
            tree = m.tree
        except ModuleUnreadable:
            continue
        for fn in _functions(tree):
            out += _steps(part, m, fn, callbacks)
    return out


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``fn``'s body, not those of functions or classes defined in it."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _dotted(m: Module, node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names whose head is imported or defined in ``m`` (resolved)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    head = m.imports.get(node.id) or (f"{m.name}.{node.id}" if node.id in m.defs else None)
    return ".".join([head, *reversed(parts)]) if head else None


def _is_atomic(m: Module, node: ast.AST) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return _dotted(m, target) == "django.db.transaction.atomic"


def _effect(part: PlannerState, m: Module, call: ast.Call, callbacks: set[str]) -> tuple[str, str] | None:
    """(kind, what) when ``call`` is an external effect, else None."""
    dotted = _dotted(m, call.func)
    if dotted is not None:
        canonical = part.canonical(dotted) if part.is_internal(dotted) else None
        qual = canonical[1] if canonical is not None and not canonical[2] else dotted
        if qual in callbacks:
            return _CALL_BACK, qual
        if dotted in _HTTP:
            return "HTTP call", dotted
        if dotted in _MAIL:
            return "e-mail", dotted
    if not isinstance(call.func, ast.Attribute):
        return None
    method, receiver = call.func.attr, call.func.value
    try:
        text = ast.unparse(receiver)
        said = ast.unparse(receiver.func if isinstance(receiver, ast.Call) else receiver).lower()
    except (RecursionError, ValueError):  # an expression too deep to print: not read
        return None
    if method in _TASK_METHODS:
        return "queued task", f"{text}.{method}"
    if method.startswith("_") or method.split("_")[0] in _READS:
        return None
    if any(word in said for word in _OUTSIDE) and "objects" not in said:
        return "outside system", f"{text}.{method}"
    return None


def _steps(
    part: PlannerState, m: Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, callbacks: set[str]
) -> list[ManualStep]:
    blocks: list[tuple[int, int]] = []  # (first line, last line) of each transaction.atomic() block
    if any(_is_atomic(m, d) for d in fn.decorator_list):
        blocks.append((fn.body[0].lineno, fn.end_lineno or fn.lineno))
    effects: list[tuple[int, str, str, ast.Call]] = []
    calls: list[int] = []  # the lines of every call (a later one in a block can fail and roll it back)
    for node in _own_nodes(fn):
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(_is_atomic(m, i.context_expr) for i in node.items):
            blocks.append((node.lineno, node.end_lineno or node.lineno))
        elif isinstance(node, ast.Call):
            calls.append(node.lineno)
            found = _effect(part, m, node, callbacks)
            if found is not None:
                effects.append((node.lineno, found[0], found[1], node))
    effects.sort(key=lambda e: (e[0], e[2]))
    out: list[ManualStep] = []
    for i, (line, kind, what, _call) in enumerate(effects):
        then = _what_fails_after(line, effects[i + 1 :], blocks, calls)
        if then is None:
            continue
        out.append(
            ManualStep(
                m.path,
                line,
                "saga step",
                f"{fn.name}: {kind} {what} at line {line}, then {then}: a failure there leaves the {kind} "
                f"done (a rollback of the service's database does not undo it); "
                f"{_compensation(part, m, fn.name, what, kind)}",
            )
        )
    return out


def _what_fails_after(
    line: int, later: Sequence[tuple[int, str, str, ast.Call]], blocks: list[tuple[int, int]], calls: list[int]
) -> str | None:
    after = [e for e in later if e[0] > line]
    if after:
        return f"the {after[0][1]} {after[0][2]} at line {after[0][0]} can fail"
    for start, end in sorted(blocks):
        if start <= line <= end and any(line < c <= end for c in calls):
            failing = min(c for c in calls if line < c <= end)
            return f"line {failing} of the transaction.atomic() block of line {start} can fail and roll it back"
    for start, _end in sorted(blocks):
        if start > line:
            return f"the transaction.atomic() block at line {start} can fail and roll back"
    return None


def _compensation(part: PlannerState, m: Module, function: str, what: str, kind: str) -> str:
    """What undoes ``what`` (an effect made in ``function`` of ``m``): functions found by name, or a TODO.

    A call back is undone by a function of the monolith module it belongs to; anything else by one
    of ``m``. An e-mail or a queued task cannot be undone: it is sent after the commit instead."""
    if kind in _AFTER_COMMIT:
        return f"an {kind} cannot be taken back: send it once the work is committed (transaction.on_commit, an outbox)"
    effect = what.rsplit(".", 1)[-1].lstrip("_")
    verb, _, noun = effect.partition("_")
    owner = part.p.module_of(what) if kind == _CALL_BACK else None
    home = part.p.modules[owner] if owner is not None else m
    if not noun:  # a method such as gateway.capture: undone as the function that called it names its object
        noun = function.partition("_")[2]
    verbs = COMPENSATIONS.get(verb.lower(), _GENERIC)
    names = sorted(
        n
        for n, node in home.defs.items()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and n.partition("_")[0] in verbs
        and (not noun or n.partition("_")[2] in (noun, f"{verb}_{noun}"))
    )
    if names:
        return "compensate with " + ", ".join(f"{home.name}.{n}" for n in names)
    wanted = ", ".join(f"{v}_{noun}" if noun else v for v in verbs)
    return f"TODO: write its compensation (no {wanted} in {home.name}) and call it when the later step fails"

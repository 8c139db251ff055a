"""Signals whose senders and receivers end up on different sides: bridges, or a manual step."""

from __future__ import annotations

import ast

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import ManualStep, SignalBridge
from decompose.graph import Evidence


class SignalsPart(PlannerState):
    def signals_in(
        self,
        m: F.Module,
        side: str,
        sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]],
        receivers: dict[str, list[tuple[str, str, Evidence]]],
    ) -> None:
        if m.migration:
            return
        for n in ast.walk(m.tree):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("send", "send_robust"):
                sig = self.p.signal_of(m, n.func.value)
                if sig:
                    args = tuple(sorted(k.arg for k in n.keywords if k.arg and k.arg != "sender"))
                    sends[sig].append((side, Evidence(m.path, n.lineno, sig), args))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "connect" and n.args:
                sig = self.p.signal_of(m, n.func.value)
                target = self.p.resolve(m, n.args[0])
                if sig and target:
                    receivers[sig].append((side, target, Evidence(m.path, n.lineno, sig)))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in n.decorator_list:
                    if (
                        isinstance(dec, ast.Call)
                        and dec.args
                        and (self.p.resolve(m, dec.func) or "").endswith("receiver")
                    ):
                        first = dec.args[0]
                        sigs = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
                        for s in sigs:
                            sig = self.p.signal_of(m, s)
                            if sig:
                                sender = next((k.value for k in dec.keywords if k.arg == "sender"), None)
                                sym = sig
                                if sig in F.BUILTIN_SIGNALS and sender is not None:
                                    sd = self.p.resolve(m, sender)
                                    mf = self.p.model_by_name(sd) if sd else None
                                    sym = f"{sig}:{mf.label if mf else ast.unparse(sender)}"
                                receivers[sig].append((side, f"{m.name}.{n.name}", Evidence(m.path, n.lineno, sym)))

    def bridges(
        self,
        sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]],
        receivers: dict[str, list[tuple[str, str, Evidence]]],
    ) -> tuple[SignalBridge, ...]:
        out: list[SignalBridge] = []
        for sig in sorted(set(sends) | set(receivers)):
            if sig in F.BUILTIN_SIGNALS:
                for side, target, ev in receivers.get(sig, []):
                    label = ev.symbol.split(":", 1)[1] if ":" in ev.symbol else ""
                    mf = self.p.model_by_label(label) if label else None
                    if mf is not None and self.model_side(mf) != side:
                        self.manual.append(
                            ManualStep(
                                ev.path,
                                ev.line,
                                "domain event / outbox",
                                f"{target} receives {sig.rsplit('.', 1)[1]} of {label}, which is saved on the "
                                "other side: send an explicit domain event (bridged signal) or use an outbox",
                            )
                        )
                continue
            send_sides = {s for s, _, _ in sends.get(sig, [])}
            recv = receivers.get(sig, [])
            for sender_side in sorted(send_sides):
                far = sorted({t for s, t, _ in recv if s != sender_side})
                if not far:
                    continue
                evs = [e for s, e, _ in sends[sig] if s == sender_side] + [e for s, _, e in recv if s != sender_side]
                args = sorted({a for s, _, aa in sends[sig] if s == sender_side for a in aa})
                out.append(SignalBridge(sig, sender_side, tuple(far), tuple(sorted(set(evs))), tuple(args)))
        return tuple(out)

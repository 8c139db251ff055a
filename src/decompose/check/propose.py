"""Contracts written for the user: from the current graph, from a proposal, after an extraction.

- :func:`propose_contracts` (``check --init``): contracts the code keeps *today*, so that CI
  fails on the next coupling that breaks them: per app (or per proposed service) a ``public_api``
  of the modules other code uses now; ``layers`` from the dependency order of the apps (apps in one
  cycle share a layer); ``acyclic``, with the hops that close today's cycles as ``ignore`` entries
  (the ones to cut, each with its reason).
- :func:`extraction_contract`: after ``extract --apply``, staying code may reach the moved apps
  only through the generated client package.
- :func:`merge_contracts`: put contracts into a pyproject.toml / decompose.toml text (a contract of
  the same name is replaced), keeping everything else of the file as it was (tomlkit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from decompose.check.contracts import ANY, DEFAULT_KINDS, Contract, Ignore, Layer
from decompose.errors import ConfigError
from decompose.graph import OUTSIDE_APPS

if TYPE_CHECKING:  # pragma: no cover
    from decompose.check.engine import GraphView

INIT_REASON = "present when `decompose check --init` wrote this contract: cut it"


def extraction_contract(
    service: str,
    apps: Sequence[str],
    client_module: str,
    *,
    settings_modules: Sequence[str] = (),
    urlconf: str | None = None,
) -> dict[str, Any]:
    """The contract that keeps staying code off the apps moved to ``service``.

    Everything outside ``apps`` may reach them only through ``client_module`` (the generated
    client package, e.g. ``shop.services``, which imports them in local mode); any other import,
    call, foreign key, ORM query, signal, URL include or string reference to a moved app is a
    violation. Migrations are not checked (old migrations keep naming the moved app).

    The wiring the rewired monolith keeps for local mode is tolerated, and only that: string
    references from ``settings_modules`` (e.g. ``PAYMENT_GATEWAY_BACKEND = "payments.gateway..."``)
    and URL includes from ``urlconf`` (the root URLconf includes the moved app's URLs while the
    service runs in local mode), as ignore entries with their reason.

    Returns the contract as a TOML table (a dict), ready for :func:`merge_contracts`::

        >>> c = extraction_contract("payments", ["payments"], "shop.services", urlconf="shop.urls")
        >>> c["type"], c["from"], c["to"], c["allow"]
        ('forbidden', ['*'], ['payments'], ['shop.services'])
        >>> c["ignore"][0]["from"], c["ignore"][0]["kinds"]
        ('shop.urls', ['url'])
    """
    if not service or not apps or not client_module:
        raise ConfigError("an extraction contract needs a service name, its apps and the client module")
    moved = sorted(dict.fromkeys(apps))
    ignore = []
    for app in moved:
        for module in sorted(dict.fromkeys(settings_modules)):
            reason = f"settings of the moved app, read while {service} runs in local mode"
            ignore.append(Ignore(module, app, reason, kinds=("string_ref",)))
        if urlconf:
            reason = f"the moved app's URLs stay included while {service} runs in local mode"
            ignore.append(Ignore(urlconf, app, reason, kinds=("url",)))
    return Contract(
        name=f"extracted service {service}: reached only through {client_module}",
        type="forbidden",
        description=f"written by `decompose extract --apply`: {', '.join(moved)} moved to the {service} service",
        sources=(ANY,),
        targets=tuple(moved),
        allow=(client_module,),
        ignore=tuple(ignore),
    ).to_dict()


def merge_contracts(
    text: str,
    contracts: Iterable[dict[str, Any]],
    *,
    pyproject: bool,
    replace_all: bool = False,
    groups: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """``text`` (a pyproject.toml or decompose.toml) with ``contracts`` in its check section.

    A contract whose name is already there is replaced in place; others are appended in the order
    given. The rest of the file (comments, order, other tables) is kept. The same input always gives
    the same text, and merging the same contracts again changes nothing. ``replace_all`` drops the
    contracts (and with ``groups``, the groups) already there first; ``groups`` (name -> members) are
    set in the section's ``groups``.

        >>> contract = extraction_contract("payments", ["payments"], "shop.services")
        >>> merged = merge_contracts("", [contract], pyproject=False)
        >>> merge_contracts(merged, [contract], pyproject=False) == merged
        True
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"cannot edit the configuration: invalid TOML ({exc})") from None
    table: Any = doc
    for part in ("tool", "decompose", "check") if pyproject else ("check",):
        if part not in table:
            table[part] = tomlkit.table(is_super_table=part != "check")
        table = table[part]
        if not isinstance(table, dict):
            raise ConfigError(f"cannot edit the configuration: `{part}` is not a table")
    if groups:
        if replace_all and "groups" in table:
            del table["groups"]
        if "groups" not in table:
            table["groups"] = tomlkit.table()
        for name, members in sorted(groups.items()):
            if _plain(table["groups"].get(name)) != list(members):
                table["groups"][name] = list(members)
    existing = table.get("contracts")
    if existing is None or replace_all:
        if existing is not None:
            del table["contracts"]
        existing = tomlkit.aot()
        table.append("contracts", existing)
    if not isinstance(existing, list):
        raise ConfigError("cannot edit the configuration: `contracts` is not an array of tables")
    for contract in contracts:
        item = _toml_table(contract)
        for i, old in enumerate(existing):
            if isinstance(old, dict) and old.get("name") == contract.get("name"):
                if _plain(old) != _plain(contract):
                    existing[i] = item
                break
        else:
            existing.append(item)
    return tomlkit.dumps(doc)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return getattr(value, "unwrap", lambda: value)()


def _toml_table(contract: dict[str, Any]) -> Any:
    import tomlkit

    t = tomlkit.table()
    for key, value in contract.items():
        if key == "ignore":
            arr = tomlkit.array()
            for entry in value:
                inline = tomlkit.inline_table()
                inline.update(entry)
                arr.append(inline)
            arr.multiline(True)
            t[key] = arr
        elif isinstance(value, list) and len(value) > 4:
            arr = tomlkit.array()
            arr.extend(value)
            arr.multiline(True)
            t[key] = arr
        else:
            t[key] = value
    return t


# -- check --init -----------------------------------------------------------------------------------


def _unit_graph(
    view: GraphView, unit_of: Mapping[str, str], kinds: frozenset[str]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(unit, unit) -> the (source module, target module) edges behind it, tests left out."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for u, v, evs in view.edges():
        if u in view.tests or v in view.tests:
            continue
        a, b = unit_of.get(u), unit_of.get(v)
        if a is None or b is None or a == b:
            continue
        n = sum(1 for e in evs if e[3] in kinds)
        if n:
            out.setdefault((a, b), []).extend([(u, v)] * n)
    return out


def _components(nodes: list[str], succ: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), each sorted, in a deterministic order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out


def propose_contracts(
    view: GraphView,
    *,
    services: Mapping[str, Iterable[str]] | None = None,
    shared_kernel: Iterable[str] = (),
    level: str = "app",
) -> tuple[list[Contract], dict[str, tuple[str, ...]]]:
    """Contracts the code keeps today, and the groups they name.

    Units are the Django apps, or with ``services`` (a proposal: service -> apps or modules) the
    services, each a group (``level="module"``: the members are modules, named exactly). Per unit
    other code uses: a ``public_api`` of the modules used now. Then
    ``layers`` (the units in dependency order, a unit's layer above every unit it uses; units in
    one cycle share a layer with ``:``), and ``acyclic`` whose ``ignore`` entries are the hops that
    close today's cycles. The shared kernel of a proposal is a unit of its own (the bottom layer).
    """
    from decompose.check.engine import _shortest_cycle

    groups: dict[str, tuple[str, ...]] = {}
    unit_of: dict[str, str] = {}
    if services is not None:
        members = {name: tuple(sorted(m)) for name, m in sorted(services.items())}
        kernel = tuple(sorted(shared_kernel))
        if kernel:
            members["shared_kernel"] = kernel
        labels = set(view.app_labels)
        by_app: dict[str | None, list[str]] = {}
        for mod, app in view.module_app.items():
            by_app.setdefault(app, []).append(mod)
        for name, ms in members.items():
            group = name if name not in labels and name not in view.module_app else f"service_{name}"
            if level == "module":  # members are modules, each on its own
                apps, modules = [], {m for m in ms if m in view.module_app}
            else:
                apps = [m for m in ms if m in labels or m in view.app_names]
                modules = {m for m in ms if m not in apps and m in view.module_app}
            for m in apps:
                for mod in by_app.get(view.app_names.get(m, m), ()):
                    unit_of[mod] = group
            for mod in modules:
                unit_of[mod] = group
            named = tuple(m for m in ms if m in apps) + _exact_names(modules, view)
            if named:
                groups[group] = named
        units = sorted(groups)
    else:
        for mod, app in view.module_app.items():
            if app is not None:
                unit_of[mod] = app
        units = sorted(set(unit_of.values()))
    kinds = frozenset(DEFAULT_KINDS)
    hops = _unit_graph(view, unit_of, kinds)
    everyone = {m: (unit_of.get(m) or view.module_app.get(m) or OUTSIDE_APPS) for m in view.module_app}
    contracts: list[Contract] = []
    # public APIs: what other code (tests aside) uses of each unit today
    used: dict[str, set[str]] = {}
    for u, v, evs in view.edges():
        if u in view.tests or v in view.tests or not any(e[3] in kinds for e in evs):
            continue
        b = unit_of.get(v)
        if b is not None and everyone[u] != b:
            used.setdefault(b, set()).add(v)
    for unit in units:
        if unit in used:
            contracts.append(
                Contract(
                    name=f"{unit}: used only through its public modules",
                    type="public_api",
                    app=unit,
                    api=tuple(sorted(used[unit])),
                )
            )
    # layers and cycles
    succ: dict[str, set[str]] = {}
    for a, b in hops:
        succ.setdefault(a, set()).add(b)
    comps = _components(units, succ)
    comp_of = {u: i for i, comp in enumerate(comps) for u in comp}
    depth_of: dict[int, int] = {}

    def depth(i: int) -> int:  # longest path down the condensation (Tarjan's order: sinks first)
        if i not in depth_of:
            below = {comp_of[b] for u in comps[i] for b in succ.get(u, ()) if comp_of[b] != i}
            depth_of[i] = 1 + max((depth_of[j] for j in below), default=-1)
        return depth_of[i]

    for i in range(len(comps)):
        depth(i)
    top = max(depth_of.values(), default=0)
    layers = []
    for lv in range(top, -1, -1):
        at = sorted(u for i, comp in enumerate(comps) if depth_of[i] == lv for u in comp)
        cyclic = any(len(comps[i]) > 1 for i in range(len(comps)) if depth_of[i] == lv)
        if at:
            layers.append(Layer(tuple(at), independent=not cyclic))
    if len(layers) >= 2:
        contracts.append(Contract(name="layers: dependency order", type="layers", layers=tuple(layers)))
    # acyclic: ignore the hops that close today's cycles (lightest first, as check reports them)
    weights = {k: len(v) for k, v in hops.items()}
    cut: list[tuple[str, str]] = []
    while True:
        cycle = _shortest_cycle(succ)
        if cycle is None:
            break
        pairs = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
        a, b = min(pairs, key=lambda p: (weights[p], p))
        cut.append((a, b))
        succ[a].discard(b)
    contracts.append(
        Contract(
            name="no cycles between " + ("services" if services is not None else "apps"),
            type="acyclic",
            units=tuple(units) if services is not None else (),
            ignore=tuple(Ignore(a, b, INIT_REASON) for a, b in sorted(cut)),
        )
    )
    return contracts, groups


def _exact_names(modules: set[str], view: GraphView) -> tuple[str, ...]:
    """Names that stand for exactly ``modules``: a package when the name resolves to a subtree that is
    all there, else ``=module`` (the module alone)."""
    import bisect

    everything = sorted(view.module_app)
    labels = set(view.app_labels)
    out: list[str] = []
    for m in sorted(modules):
        if any(m.startswith(p + ".") for p in out if not p.startswith("=")):
            continue
        i = bisect.bisect_left(everything, m)
        subtree = set()
        while i < len(everything) and (everything[i] == m or everything[i].startswith(m + ".")):
            subtree.add(everything[i])
            i += 1
        if m in labels or m in view.app_names:  # the name would stand for the app, not the package
            label = view.app_names.get(m, m)
            resolved = {x for x, app in view.module_app.items() if app == label}
        else:
            resolved = subtree
        out.append(m if resolved == subtree and subtree <= modules else f"={m}")
    return tuple(out)

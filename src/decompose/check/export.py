"""The import-only part of the contracts, for teams that already run import-linter or tach.

Both tools see imports only: every other kind a contract checks (fk, orm, signal, url, string_ref,
call, inherit, migration) is lost, and each such loss is returned as a note (the CLI prints them).
What each tool cannot say at all is a note too, and the contract is left out:

- import-linter: ``acyclic`` (its ``acyclic_siblings`` needs one parent package), closed layers;
  ``public_api`` becomes a ``protected`` contract on the app's other modules (``forbidden`` with ``from``).
- tach: indirect chains, ignore entries (tach ignores with comments in the code), acyclic over
  a subset (``forbid_circular_dependencies`` covers every module), closed layers.
"""

from __future__ import annotations

from typing import Any

from decompose.check.contracts import ANY, CheckConfig, Contract, Ignore
from decompose.check.engine import GraphView, resolver_for
from decompose.errors import InputError


class _Names:
    """Unit names -> the module expressions the other tools take (a package stands for its subtree)."""

    def __init__(self, view: GraphView, config: CheckConfig) -> None:
        self.view = view
        self.resolver = resolver_for(view, config)
        self.all = sorted(view.module_app)
        self.notes: list[str] = []
        #: top-level packages (a top-level module such as manage.py is no package of import-linter's)
        self.packages = sorted({m.split(".", 1)[0] for m in self.all if "." in m})

    def modules(self, name: str, where: str) -> frozenset[str]:
        if name == ANY:
            return frozenset(self.all)
        return self.resolver.resolve(name, where)

    def exprs(self, modules: frozenset[str] | set[str]) -> list[str]:
        """The fewest packages/modules whose subtrees are exactly ``modules`` (as near as it gets)."""
        out: list[str] = []
        for m in sorted(modules):
            if m.split(".", 1)[0] not in self.packages:
                continue
            if any(m == p or m.startswith(p + ".") for p in out):
                continue
            below = [x for x in self.all if x.startswith(m + ".")]
            if all(x in modules for x in below):
                out.append(m)
            else:
                out.append(m)
                self.notes.append(f"{m} stands for its whole subtree there, though part of it is another unit")
        return out

    def names(self, names: tuple[str, ...], where: str) -> list[str]:
        mods: set[str] = set()
        for n in names:
            mods |= self.modules(n, where)
        return self.exprs(mods)


def _lost_kinds(c: Contract) -> list[str]:
    return [k for k in c.kinds if k != "import"]


def _lost_notes(lost_by: dict[tuple[str, ...], list[str]], notes: list[str]) -> None:
    for kinds, contracts in sorted(lost_by.items()):
        if kinds:
            shown = ", ".join(repr(n) for n in contracts[:3]) + (
                f" and {len(contracts) - 3} more" if len(contracts) > 3 else ""
            )
            notes.insert(
                0, f"{', '.join(kinds)} edges of {len(contracts)} contract(s) ({shown}): imports only are exported"
            )


def _import_ignores(names: _Names, c: Contract, where: str) -> list[str]:
    out = []
    for i in c.ignore:
        if i.kinds and "import" not in i.kinds:
            continue
        if i.path:
            names.notes.append(
                f"contract {c.name!r}: ignore entry {i.source} -> {i.target} is limited to {i.path};"
                " exported for every file"
            )
        out += _pairs(names.exprs(names.modules(i.source, where)), names.exprs(names.modules(i.target, where)))
    return out


def _pairs(sources: list[str], targets: list[str]) -> list[str]:
    out = []
    for s in sources:
        for t in targets:
            out += [f"{s} -> {t}", f"{s} -> {t}.**", f"{s}.** -> {t}", f"{s}.** -> {t}.**"]
    return out


def to_import_linter(view: GraphView, config: CheckConfig) -> tuple[dict[str, Any], list[str]]:
    """``[tool.importlinter]`` as a dict, and the notes."""
    names = _Names(view, config)
    notes = names.notes
    contracts: list[dict[str, Any]] = []
    lost_by: dict[tuple[str, ...], list[str]] = {}
    if not config.include_tests:
        notes.append("test modules: import-linter checks them too (decompose leaves them out unless include_tests)")
    for c in config.contracts:
        where = f"{config.source} contract {c.name!r}"
        if "import" not in c.kinds:
            notes.append(f"contract {c.name!r} ({c.type}): checks no imports ({', '.join(c.kinds)}); left out")
            continue
        lost_by.setdefault(tuple(_lost_kinds(c)), []).append(c.name)
        d: dict[str, Any] = {"name": c.name}
        ignores = _import_ignores(names, c, where)
        if c.type == "forbidden":
            to = set().union(*(names.modules(n, where) for n in c.targets))
            src = (
                set(names.modules(ANY, where)) - to
                if ANY in c.sources
                else set().union(*(names.modules(n, where) for n in c.sources))
            )
            d.update(
                type="forbidden",
                source_modules=names.exprs(src),
                forbidden_modules=names.exprs(to),
                allow_indirect_imports=not c.indirect,
            )
            if c.allow:
                ignores += _pairs(names.names(c.allow, where), names.exprs(to))
        elif c.type == "independent":
            d.update(type="independence", modules=[e for u in c.units for e in names.names((u,), where)])
            if not c.indirect:
                notes.append(f"contract {c.name!r}: import-linter's independence also forbids indirect imports")
        elif c.type == "layers":
            layers = []
            for layer in c.layers:
                parts = [e for u in layer.units for e in names.names((u,), where)]
                layers.append((" | " if layer.independent else " : ").join(parts))
            d.update(type="layers", layers=layers)
            if c.closed:
                notes.append(f"contract {c.name!r}: closed layers are not expressed (import-linter's layers are open)")
            if not c.indirect:
                notes.append(f"contract {c.name!r}: import-linter's layers also forbid indirect imports")
        elif c.type == "public_api":
            inside = names.modules(c.app, where)
            api: set[str] = set()
            for n in c.api:
                mods = names.modules(n, where)
                api |= {n} if mods == inside and n in view.module_app else set(mods)
            private = set(inside) - api
            if not private:
                notes.append(f"contract {c.name!r}: every module of {c.app} is public; left out")
                continue
            if ANY in c.sources:  # import-linter's protected contract: only the app itself may import them
                d.update(
                    type="protected",
                    protected_modules=sorted(private),
                    allowed_importers=sorted(inside),
                    as_packages=False,
                )
            else:
                users = set().union(*(names.modules(n, where) for n in c.sources))
                d.update(
                    type="forbidden",
                    source_modules=names.exprs(users),
                    forbidden_modules=sorted(private),
                    allow_indirect_imports=True,
                    as_packages=False,
                )
        else:
            notes.append(
                f"contract {c.name!r} (acyclic): not expressed"
                " (import-linter's acyclic_siblings needs one parent package)"
            )
            continue
        if ignores:
            d["ignore_imports"] = sorted(set(ignores))
            d["unmatched_ignore_imports_alerting"] = "none"
        contracts.append(d)
    _lost_notes(lost_by, notes)
    return {"root_packages": names.packages, "contracts": contracts}, notes


def to_tach(view: GraphView, config: CheckConfig) -> tuple[dict[str, Any], list[str]]:
    """tach.toml as a dict, and the notes."""
    names = _Names(view, config)
    notes = names.notes
    modules: dict[str, dict[str, Any]] = {}
    interfaces: list[dict[str, Any]] = []
    layer_names: list[str] = []
    circular = False
    lost_by: dict[tuple[str, ...], list[str]] = {}

    def module(path: str) -> dict[str, Any]:
        return modules.setdefault(path, {"path": path})

    def forbid(src: list[str], dst: list[str]) -> None:
        for s in src:
            m = module(s)
            for t in dst:
                module(t)
                if t != s and t not in m.setdefault("cannot_depend_on", []):
                    m["cannot_depend_on"].append(t)

    for c in config.contracts:
        where = f"{config.source} contract {c.name!r}"
        if "import" not in c.kinds:
            notes.append(f"contract {c.name!r} ({c.type}): checks no imports ({', '.join(c.kinds)}); left out")
            continue
        lost_by.setdefault(tuple(_lost_kinds(c)), []).append(c.name)
        if c.ignore:
            notes.append(
                f"contract {c.name!r}: {len(c.ignore)} ignore entr{'y' if len(c.ignore) == 1 else 'ies'}"
                " (tach ignores with `# tach-ignore` comments in the code)"
            )
        if getattr(c, "indirect", False):
            notes.append(f"contract {c.name!r}: indirect chains (tach checks direct imports)")
        if c.type == "forbidden":
            to = names.names(c.targets, where)
            if ANY in c.sources:
                notes.append(f'contract {c.name!r}: `from = ["*"]` becomes every top-level package')
                frm = sorted({m.split(".", 1)[0] for m in view.module_app} - set(to))
            else:
                frm = names.names(c.sources, where)
            if c.allow:
                notes.append(f"contract {c.name!r}: `allow` ({', '.join(c.allow)})")
            forbid(frm, to)
        elif c.type == "independent":
            units = [names.names((u,), where) for u in c.units]
            for i, a in enumerate(units):
                for j, b in enumerate(units):
                    if i != j:
                        forbid(a, b)
        elif c.type == "layers":
            if layer_names:
                notes.append(f"contract {c.name!r}: tach has one layer stack; left out")
                continue
            for n, layer in enumerate(c.layers):
                name = f"layer{n + 1}"
                layer_names.append(name)
                parts = [names.names((u,), where) for u in layer.units]
                for part in parts:
                    for p in part:
                        module(p)["layer"] = name
                if layer.independent:
                    for i, a in enumerate(parts):
                        for j, b in enumerate(parts):
                            if i != j:
                                forbid(a, b)
            if c.closed:
                notes.append(f"contract {c.name!r}: closed layers (tach's layers are open)")
        elif c.type == "public_api":
            inside = names.names((c.app,), where)
            if len(inside) != 1:
                notes.append(f"contract {c.name!r}: {c.app} is not one package; left out")
                continue
            pkg = inside[0]
            module(pkg)
            expose = []
            for api_name in c.api:
                rel = api_name[len(pkg) + 1 :] if api_name.startswith(pkg + ".") else ""
                expose.append(rf"{rel.replace('.', chr(92) + '.')}(\..*)?" if rel else ".*")
            if ANY not in c.sources:
                notes.append(f"contract {c.name!r}: `from` (tach interfaces apply to every user)")
            interfaces.append({"expose": expose, "from": [pkg]})
        else:
            circular = True
            if c.units:
                notes.append(
                    f"contract {c.name!r}: acyclic over some units only (tach forbids cycles between every module)"
                )
    _lost_notes(lost_by, notes)
    if not modules:
        raise InputError("no contract can be expressed in tach")
    import_root = view.import_root
    out: dict[str, Any] = {
        "source_roots": [import_root],
        "exclude": ["**/tests", "**/migrations"] if not config.include_tests else ["**/migrations"],
    }
    if layer_names:
        out["layers"] = layer_names
    if circular:
        out["forbid_circular_dependencies"] = True
    out["modules"] = [modules[k] for k in sorted(modules)]
    if interfaces:
        out["interfaces"] = interfaces
    return out, notes


def export(view: GraphView, config: CheckConfig, tool: str) -> tuple[str, list[str]]:
    """The configuration text for ``tool`` (``import-linter``: a pyproject.toml fragment; ``tach``: tach.toml)."""
    import tomlkit

    if tool == "import-linter":
        data, notes = to_import_linter(view, config)
        doc: Any = tomlkit.document()
        tool_t = tomlkit.table(is_super_table=True)
        il = tomlkit.table()
        il["root_packages"] = data["root_packages"]
        aot = tomlkit.aot()
        for c in data["contracts"]:
            aot.append(_table(c))
        il["contracts"] = aot
        tool_t["importlinter"] = il
        doc["tool"] = tool_t
    elif tool == "tach":
        data, notes = to_tach(view, config)
        doc = tomlkit.document()
        for key, value in data.items():
            if key in ("modules", "interfaces"):
                aot = tomlkit.aot()
                for item in value:
                    aot.append(_table(item))
                doc[key] = aot
            else:
                doc[key] = value
    else:
        raise InputError(f"unknown export format {tool!r}", hint="import-linter or tach")
    header = f"# written by `decompose check --export {tool}`: imports only\n"
    for note in dict.fromkeys(notes):
        header += f"# not expressed: {note}\n"
    return header + "\n" + tomlkit.dumps(doc), list(dict.fromkeys(notes))


def _table(d: dict[str, Any]) -> Any:
    import tomlkit

    t = tomlkit.table()
    for k, v in d.items():
        if isinstance(v, list) and len(v) > 3:
            arr = tomlkit.array()
            arr.extend(v)
            arr.multiline(True)
            t[k] = arr
        else:
            t[k] = v
    return t


__all__ = ["Ignore", "export", "to_import_linter", "to_tach"]

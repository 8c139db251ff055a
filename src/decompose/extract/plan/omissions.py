"""What staying code does with the moved apps that no import-level use shows: steps the plan lists with
``path:line`` so nothing breaks silently when the apps run remote or their folders go.

- a staying module (the settings above all) that star-imports a moved module;
- a staying migration that imports a moved module (remote mode still loads every migration);
- a staying template that ``{% include %}``\\ s or ``{% extends %}`` a template that moves;
- a hard-coded URL string (Python or template) under a path the moved URLconfs are mounted at;
- ``GenericRelation`` / ``GenericForeignKey`` across the boundary;
- moved code that still queries a many-to-many relation to a staying model (the service's model drops it).

Everything is read as text (facts, syntax trees, template files); nothing of the project is run.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from collections.abc import Iterable, Sequence

from decompose.extract.plan.index import ModelFacts, Module
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import ForeignKeyCut, ManualStep, WebFace
from decompose.scan.source import read_text

#: folders never searched for templates (the same spirit as the analysis's skips)
_SKIP = {"node_modules", "__pycache__", "venv", ".venv", "env", "site-packages", "build", "dist"}
_TEMPLATE_TAG = re.compile(r"""{%-?\s*(include|extends)\s+(["'])([^"']+)\2""")
_TEMPLATE_SUFFIXES = (".html", ".htm", ".txt", ".xml", ".jinja", ".jinja2", ".j2")
#: where a route stops being a literal prefix (a converter, a regex)
_ROUTE_END = re.compile(r"[<(\[\\$?*+{|.]")


def plan_omissions(
    part: PlannerState, web: WebFace, fk_cuts: Sequence[ForeignKeyCut], moved_files: Iterable[str]
) -> list[ManualStep]:
    """The steps of the module docstring, in a stable order."""
    moved_files = tuple(moved_files)
    steps = [*_star_imports(part), *_migration_imports(part), *_generic_relations(part)]
    steps += [*_generic_relation_fields(part), *_m2m_queries(part, fk_cuts)]
    prefixes = _url_prefixes(web)
    steps += _hard_coded_urls(part, prefixes)
    steps += _templates(part, moved_files, prefixes)
    return steps


def _staying(part: PlannerState) -> list[str]:
    return [
        n
        for n in sorted(part.p.modules)
        if n not in part.moved and n not in part.outside_test_modules and not part.p.modules[n].migration
    ]


def _moved_module(part: PlannerState, dotted: str) -> str | None:
    mod = part.p.module_of(dotted)
    return mod if mod is not None and mod in part.moved else None


def _star_imports(part: PlannerState) -> list[ManualStep]:
    settings = part.p.settings_module or ""
    out: list[ManualStep] = []
    for name in _staying(part):
        m = part.p.modules[name]
        for imp in m.facts.imports:
            if imp.name != "*" or _moved_module(part, imp.module) is None:
                continue
            if settings and (name == settings or name.startswith(settings + ".")):
                message = (
                    f"the monolith's settings star-import {imp.module}, which moves to service {part.service!r}: "
                    "the settings must not need the app's code (a cut-over that removes its folder stops the "
                    "monolith from starting); the rewire puts the module's statements in place of the import "
                    "(unless it defines __all__, imports relatively or imports moved code: then by hand)"
                )
            else:
                message = (
                    f"star-imports {imp.module}, which moves to service {part.service!r}: every name it takes "
                    "from there is moved code; import what it needs by name (or copy it here)"
                )
            out.append(ManualStep(m.path, imp.line, "star import", message))
    return out


def _migration_imports(part: PlannerState) -> list[ManualStep]:
    out: list[ManualStep] = []
    for name in sorted(part.p.modules):
        m = part.p.modules[name]
        if not m.migration or name in part.moved:
            continue
        found: dict[tuple[int, str], list[str]] = {}
        for imp in m.facts.imports:
            target = f"{imp.module}.{imp.name}" if imp.name and imp.name != "*" else imp.module
            mod = _moved_module(part, target)
            if mod is not None:
                found.setdefault((imp.line, mod), []).append(target)
        for (line, mod), targets in sorted(found.items()):
            out.append(
                ManualStep(
                    m.path,
                    line,
                    "migration",
                    f"this staying migration imports {', '.join(sorted(set(targets)))} ({mod} moves to service "
                    f"{part.service!r}): every mode loads the migration history, so keep that module importable "
                    "in the monolith (a copy beside the migration, or inline what it uses)",
                )
            )
    return out


def _generic_relations(part: PlannerState) -> list[ManualStep]:
    out: list[ManualStep] = []
    for q in sorted(part.p.models):
        mf = part.p.models[q]
        moved = mf.module in part.moved
        for fl in mf.fields:
            if fl.type == "GenericForeignKey" and moved:
                out.append(
                    ManualStep(
                        part.p.modules[mf.module].path,
                        fl.line,
                        "generic relation",
                        f"{mf.label}.{fl.name} is a GenericForeignKey: it can point to the monolith's objects, "
                        "whose content types and rows the service's database does not have; keep the "
                        "(content type, id) pair as plain values and read the object through the monolith's API",
                    )
                )
    return out


def _generic_relation_target(part: PlannerState, m: Module, arg: ast.expr) -> ModelFacts | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return part.p.model_by_label(arg.value)
    dotted = part.p.resolve(m, arg) if isinstance(arg, (ast.Name, ast.Attribute)) else None
    return part.p.models.get(dotted) if dotted else None


def _generic_relation_fields(part: PlannerState) -> list[ManualStep]:
    """``GenericRelation(<model>)`` in a model class whose target is on the other side (read from the trees:
    the scan's facts record no GenericRelation)."""
    out: list[ManualStep] = []
    for name in sorted(part.p.modules):
        m = part.p.modules[name]
        if m.migration or m.test or "GenericRelation" not in m.source:
            continue
        for cls in (n for n in m.tree.body if isinstance(n, ast.ClassDef)):
            for stmt in cls.body:
                call = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
                if not isinstance(call, ast.Call) or not call.args:
                    continue
                func = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                target = _generic_relation_target(part, m, call.args[0]) if func == "GenericRelation" else None
                if target is None or (target.module in part.moved) == (name in part.moved):
                    continue
                out.append(
                    ManualStep(
                        m.path,
                        stmt.lineno,
                        "generic relation",
                        f"{cls.name} has a GenericRelation to {target.label} across the boundary: the content "
                        "types and rows live in different databases; query the other side's API instead",
                    )
                )
    return out


def _m2m_queries(part: PlannerState, fk_cuts: Sequence[ForeignKeyCut]) -> list[ManualStep]:
    cuts = [c for c in fk_cuts if c.direction == "from_moved" and "ManyToMany" in c.field_type]
    out: list[ManualStep] = []
    for c in cuts:
        uses = re.compile(rf"\b{re.escape(c.field)}__\w+|['\"]{re.escape(c.field)}['\"]|\.{re.escape(c.field)}\.")
        for name in sorted(part.moved):
            m = part.p.modules[name]
            if m.migration or c.field not in m.source:
                continue
            for no, line in enumerate(m.source.splitlines(), 1):
                if no != c.evidence.line and uses.search(line):
                    out.append(
                        ManualStep(
                            m.path,
                            no,
                            "API composition",
                            f"the moved code still uses {c.model}.{c.field}, a many-to-many relation to "
                            f"{c.target} that stays in the monolith: "
                            + (
                                f"the service keeps its join table {c.join_table} with the ids of {c.target} and "
                                f"the field over it (cut_relations.ManyToManyToMonolith): its members are "
                                f"references of {c.target}, whose fields and lookups through them are read from "
                                f"the monolith where it serves {c.target} to the service; check this use"
                                if c.join_table
                                else "the service's model does not have it: keep the ids on the service's side, "
                                "or ask the monolith's API"
                            ),
                        )
                    )
                    break
    return out


def _url_prefixes(web: WebFace) -> list[tuple[str, str]]:
    """(literal path prefix with a leading slash, the include it comes from) of each moved mount."""
    out: set[tuple[str, str]] = set()
    for r in web.routes:
        parts = []
        for mount in (*r.parents, r.mount):
            route = mount.route
            if mount.function == "re_path":
                route = route.removeprefix("^")
            cut = _ROUTE_END.search(route)
            parts.append(route[: cut.start()] if cut else route)
            if cut:
                break
        prefix = "".join(parts).lstrip("/")
        if prefix.strip("/"):
            out.add(("/" + prefix, f"{r.evidence.path}:{r.evidence.line}"))
    return sorted(out)


@functools.lru_cache(maxsize=64)
def _path_in(prefix: str) -> re.Pattern[str]:
    """A path starting with ``prefix`` inside a text (not the tail of a longer path or of a word)."""
    return re.compile(rf"(?:^|(?<=[\s'\"(=,]))({re.escape(prefix)}[^\s'\"<>]*)")


def _url_step(path: str, line: int, text: str, prefix: str, where: str, service: str) -> ManualStep:
    return ManualStep(
        path,
        line,
        "hard-coded URL",
        f"{text[:60]!r} is a path under {prefix!r}, served by service {service!r} (mounted at {where}): "
        "build it with reverse() / {% url %} so it follows the mount, and keep the path forwarded",
    )


def _hard_coded_urls(part: PlannerState, prefixes: Sequence[tuple[str, str]]) -> list[ManualStep]:
    if not prefixes:
        return []
    out: list[ManualStep] = []
    for name in _staying(part):
        m = part.p.modules[name]
        if not any(p in m.source for p, _ in prefixes):
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for prefix, where in prefixes:
                    found = _path_in(prefix).search(node.value)
                    if found is not None:
                        out.append(_url_step(m.path, node.lineno, found.group(1), prefix, where, part.service))
                        break
    return out


def _template_files(part: PlannerState) -> list[str]:
    """Staying template files (under a ``templates`` folder, outside the moved apps), POSIX paths."""
    root = str(part.root)
    moved = [part.app_paths[a].rstrip("/") + "/" for a in part.apps]
    out: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP)
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        rel = "" if rel == "." else rel + "/"
        if any(rel.startswith(m) for m in moved) or "templates/" not in f"/{rel}":
            continue
        out.extend(rel + f for f in sorted(files) if f.endswith(_TEMPLATE_SUFFIXES))
    return out


def _templates(part: PlannerState, moved_files: Sequence[str], prefixes: Sequence[tuple[str, str]]) -> list[ManualStep]:
    names = {f"/{f}".split("/templates/", 1)[1] for f in moved_files if "/templates/" in f"/{f}"}
    out: list[ManualStep] = []
    for rel in _template_files(part):
        text = read_text(part.root, rel)
        if text is None:
            continue
        for no, line in enumerate(text.splitlines(), 1):
            for tag in _TEMPLATE_TAG.finditer(line):
                if tag.group(3) in names:
                    out.append(
                        ManualStep(
                            rel,
                            no,
                            "web face",
                            f"{{% {tag.group(1)} {tag.group(3)!r} %}}: a template of the moved app, which a staying "
                            f"template uses; in remote mode it is served by service {part.service!r} only: keep a "
                            "copy in the monolith's templates (or render that part through the service)",
                        )
                    )
            for prefix, where in prefixes:
                for found in _path_in(prefix).finditer(line):
                    out.append(_url_step(rel, no, found.group(1), prefix, where, part.service))
    return out


__all__ = ["plan_omissions"]

"""What remote mode breaks in the staying code: uses of the moved code that no codemod can rewrite.

Found once, by the planner, and listed in the plan as manual steps with ``path:line``; the rewiring
puts a ``# TODO(decompose): ...`` comment at each. A staying module is read only when its text names
something that could be such a use (a moved module, a moved URL namespace, a cut relation, a moved
table, ``get_model``): most modules of a large project are never parsed here.
"""

from __future__ import annotations

import ast
import os
import re

from decompose.extract.api_spec import model_endpoints
from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import ForeignKeyCut, InterfaceFunction, InterfaceModel, ManualStep, SignalBridge
from decompose.scan.source import absolute_module

#: manager/queryset methods called through a reverse relation (``order.payments.filter(...)``)
#: queryset methods whose keyword arguments / strings are lookups that may join through a relation
LOOKUP_METHODS = frozenset({"filter", "exclude", "get", "get_or_create", "update_or_create", "values", "values_list",
                            "order_by", "annotate", "aggregate", "only", "defer", "distinct"})  # fmt: skip
#: files read as templates (text, never rendered)
TEMPLATE_SUFFIXES = (".html", ".htm", ".txt", ".xml", ".jinja", ".jinja2", ".j2", ".email")
_URL_TAG = re.compile(r"""\{%-?\s*url\s+(['"])([^'"]+)\1""")
MANAGER_METHODS = ("all", "filter", "exclude", "get", "count", "exists", "first", "last", "create", "add", "remove",
                   "aggregate", "annotate", "values", "values_list", "order_by", "update", "delete")  # fmt: skip
#: what the remote ORM (the client's orm.py, the service's query.py) pushes down to a service: lookups,
#: date parts, aggregates and the functions it computes over them
PUSHED_LOOKUPS = frozenset({"exact", "iexact", "in", "gt", "gte", "lt", "lte", "contains", "icontains", "startswith",
                            "istartswith", "endswith", "iendswith", "isnull", "range"})  # fmt: skip
PUSHED_DATE_PARTS = frozenset({"year", "iso_year", "month", "day", "week", "week_day", "iso_week_day", "quarter",
                               "hour", "minute", "second", "date", "time"})  # fmt: skip
PUSHED_FUNCTIONS = frozenset({"Count", "Sum", "Min", "Max", "Avg", "Coalesce", "Value", "F", "Q"})
#: Django lookups the remote ORM does not push down (a query using one raises RemoteQueryError)
UNPUSHED_LOOKUPS = frozenset({"regex", "iregex", "search", "contained_by", "overlap", "has_key", "has_keys",
                              "has_any_keys", "trigram_similar", "trigram_word_similar", "unaccent",
                              "isempty"})  # fmt: skip
#: queryset methods the remote ORM does not push down, and why
UNPUSHED_METHODS = {
    "extra": "extra() adds SQL",
    "raw": "raw() runs SQL",
    "select_for_update": "select_for_update() locks rows, which cannot be done across the boundary",
    "union": "set operations are not pushed down",
    "intersection": "set operations are not pushed down",
    "difference": "set operations are not pushed down",
    "dates": "dates() is not pushed down",
    "datetimes": "datetimes() is not pushed down",
    "alias": "alias() is not pushed down",
    "bulk_update": "bulk_update() is not pushed down",
}


class RemotePart(PlannerState):
    def url_namespaces(self) -> tuple[str, ...]:
        """``app_name`` of the moved apps' URLconfs."""
        out: set[str] = set()
        for name in sorted(self.moved):
            if name.rsplit(".", 1)[-1] != "urls":
                continue
            for node in self.p.modules[name].tree.body:
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "app_name" for t in node.targets
                ):
                    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                        out.add(node.value.value)
        return tuple(sorted(out))

    def remote_breaks(
        self,
        functions: tuple[InterfaceFunction, ...],
        models: tuple[InterfaceModel, ...],
        bridges: tuple[SignalBridge, ...],
        fk_cuts: tuple[ForeignKeyCut, ...],
        moved_tables: tuple[str, ...],
        namespaces: tuple[str, ...],
        importers: set[str],
    ) -> list[ManualStep]:
        """Every use of moved code in staying modules that remote mode breaks and no codemod rewrites.

        ``importers``: the staying modules the graph says use moved code (imports, calls, ORM...).
        """
        mapped: dict[str, set[str]] = {}
        for f in functions:
            mapped.setdefault(f.module, set()).add(f.name)
        for mdl in models:
            mapped.setdefault(mdl.module, set()).add(mdl.name)
        for b in bridges:
            if b.sender_side == "service":
                mod, name = b.signal.rsplit(".", 1)
                mapped.setdefault(mod, set()).add(name)
        reverse = {n for c in fk_cuts if c.direction == "from_moved" and (n := c.reverse_name)}
        joins = {n for c in fk_cuts if c.direction == "from_moved" and (n := c.reverse_query_name)}
        cut_fields = {c.field for c in fk_cuts if c.direction == "to_moved"}
        staying_fks: dict[str, dict[str, str]] = {}  # moved model → its relation that stays → target
        for c in fk_cuts:
            if c.direction == "from_moved":
                staying_fks.setdefault(c.model, {})[c.field] = c.target
        url_names = self.moved_url_names(namespaces)
        # a module uses moved code in a way found here if the graph says so (imports of moved modules), or
        # if its text names the app's label (get_model), a URL namespace or name, a cut relation or a table
        words = set(self.apps) | reverse | joins | cut_fields | set(moved_tables) | set(namespaces) | url_names
        hint = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")\b")
        out: list[ManualStep] = []
        for name in sorted(self.p.modules):
            m = self.p.modules[name]
            if name in self.moved or m.migration or name in self.outside_test_modules:
                continue
            if name not in importers:
                text = m.source
                if not any(w in text for w in words) or not hint.search(text):  # substring first: regex is slow
                    continue
            finder = _Finder(self, m, mapped, reverse, cut_fields, set(moved_tables), set(namespaces), models)
            finder.joins = joins
            finder.staying_fks = staying_fks
            finder.url_names = url_names
            finder.visit(m.tree)
            out += finder.steps
        out += self.dotted_path_breaks()
        out += self.template_breaks(set(namespaces), url_names)
        return out

    def moved_url_names(self, namespaces: tuple[str, ...]) -> set[str]:
        """URL names the moved apps define, as staying code reverses them (``ns:name`` when namespaced)."""
        out: set[str] = set()
        for name in sorted(self.moved):
            if name.rsplit(".", 1)[-1] != "urls":
                continue
            tree = self.p.modules[name].tree
            ns = next(
                (
                    n.value.value
                    for n in tree.body
                    if isinstance(n, ast.Assign)
                    and isinstance(n.value, ast.Constant)
                    and isinstance(n.value.value, str)
                    and any(isinstance(t, ast.Name) and t.id == "app_name" for t in n.targets)
                ),
                None,
            )  # fmt: skip
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                            out.add(f"{ns}:{kw.value.value}" if ns else kw.value.value)
        return out

    def dotted_path_breaks(self) -> list[ManualStep]:
        """Staying module-level strings that name moved code by dotted path (settings: LOGGING handlers,
        context processors, middleware, backends): the monolith cannot import them once the app is remote."""
        out: list[ManualStep] = []
        # the rewiring switches INSTALLED_APPS entries and URL includes; a setting the moved code reads
        # itself goes with it to the service: neither is a break
        app_modules = {a.name for a in self.p.apps if a.label in self.apps}
        handled = app_modules | {f"{a}.urls" for a in app_modules}
        moved_reads = {r for n in self.moved for r, _line in self.p.modules[n].facts.settings_reads}
        for name in sorted(self.p.modules):
            m = self.p.modules[name]
            if name in self.moved or m.migration:
                continue
            for key, value in m.facts.constants:
                if key in moved_reads:
                    handled |= {value} if isinstance(value, str) else set(value) if isinstance(value, tuple) else set()
            for text, line in m.facts.dotted_strings:
                if text in handled or any(text.startswith(f"{a}.apps.") for a in app_modules):
                    continue
                if self.p.module_of(text) in self.moved:
                    message = (
                        f"{text!r} names code of the {self.service} service by dotted path: in remote mode the "
                        "monolith cannot import it; keep a copy here, point it at the client, or drop it"
                    )
                    out.append(ManualStep(m.path, line, "configuration", message))
        return out

    def template_breaks(self, namespaces: set[str], url_names: set[str]) -> list[ManualStep]:
        """``{% url %}`` tags in staying templates (read as text) that name the moved apps' URLs."""
        from decompose.scan.source import read_text, walk_files

        moved_dirs = tuple(self.app_paths[a].rstrip("/") + "/" for a in self.apps)
        max_bytes = self.p.project.config.max_file_bytes
        out: list[ManualStep] = []
        for top in sorted(os.listdir(self.root)):
            if top.startswith(".") or not os.path.isdir(self.root / top) or top in ("node_modules", "venv", ".venv"):
                continue
            for rel in walk_files(self.root, top, max_bytes)[0]:
                if not rel.endswith(TEMPLATE_SUFFIXES) or "templates/" not in rel or rel.startswith(moved_dirs):
                    continue
                text = read_text(self.root, rel, max_bytes)
                if text is None or "url" not in text:
                    continue
                for match in _URL_TAG.finditer(text):
                    ref = match.group(2)
                    if ref in url_names or ref.split(":", 1)[0] in namespaces and ":" in ref:
                        line = text.count("\n", 0, match.start()) + 1
                        message = (
                            f"{{% url {ref!r} %}} names a URL of the moved app, served by the {self.service} service "
                            "when remote: keep the name reversible here (a forwarding route) and route the path to it"
                        )
                        out.append(ManualStep(rel, line, "API gateway", message))
        return out


def _outer_refs(expr: ast.AST) -> list[ast.Call]:
    """The ``OuterRef(...)`` calls in ``expr``."""
    return [n for n in ast.walk(expr) if isinstance(n, ast.Call) and _called_name(n) == "OuterRef"]


def _outer_ref_problems(lookup: str | None, value: ast.expr, method: str) -> list[str]:
    """Why a correlation with an outer query in ``method(lookup=value)`` (or a positional ``Q`` when ``lookup`` is
    None) cannot be pushed down: the remote ORM matches a moved queryset's rows to the outer rows by equality
    only, ANDed in ``filter()`` (orm.RemoteSubquery)."""
    refs = _outer_refs(value)
    if not refs:
        return []
    if method != "filter":
        return [f"OuterRef() in {method}() is not pushed down (only filter(field=OuterRef(...)) is)"]
    out = []
    if any(_outer_refs(a) for r in refs for a in r.args):
        out.append("OuterRef(OuterRef(...)) is not pushed down")
    if lookup is not None:
        if not (isinstance(value, ast.Call) and _called_name(value) == "OuterRef"):
            out.append(f"{lookup}=<an expression with OuterRef()> is not pushed down (only equality with it is)")
        elif lookup.rsplit("__", 1)[-1] in (PUSHED_LOOKUPS | PUSHED_DATE_PARTS) - {"exact"}:
            out.append(f"{lookup}=OuterRef(): only equality with the outer query is pushed down")
        return out
    for n in ast.walk(value):
        negated = isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Invert)
        combined = isinstance(n, ast.BinOp) and isinstance(n.op, (ast.BitOr, ast.BitXor))
        if (negated or combined) and _outer_refs(n):
            out.append("OuterRef() under OR, XOR or NOT is not pushed down (only ANDed equality is)")
            break
    return out


def _called_name(call: ast.Call) -> str:
    """``Sum`` for ``Sum(...)`` and ``models.Sum(...)``; empty for anything else called."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


class _Finder(ast.NodeVisitor):
    """Cross-boundary uses in one staying module that no codemod can rewrite."""

    def __init__(self, planner: RemotePart, m: F.Module, mapped: dict[str, set[str]], reverse: set[str],
                 cut_fields: set[str], moved_tables: set[str], namespaces: set[str],
                 models: tuple[InterfaceModel, ...]) -> None:  # fmt: skip
        self.pl = planner
        self.m = m
        self.service = planner.service
        self.mapped = mapped
        self.reverse = reverse
        self.cut_fields = cut_fields
        self.moved_tables = moved_tables
        self.namespaces = namespaces
        self.models = {mdl.name: mdl for mdl in models}
        self.moved_names: dict[str, str] = {}  # local name → dotted moved symbol
        self.joins: set[str] = set()
        self.url_names: set[str] = set()
        self.imported_models: dict[str, str] = {}
        self.staying_fks: dict[str, dict[str, str]] = {}
        #: local names bound to moved models with a stand-in in the client (imports, ``get_model``)
        self.model_vars: dict[str, str] = {}
        self.steps: list[ManualStep] = []

    def add(self, node: ast.AST, pattern: str, message: str) -> None:
        self.steps.append(ManualStep(self.m.path, getattr(node, "lineno", 1), pattern, message))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = absolute_module(self.m.package, node.module, node.level or 0)
        if base and self.pl.is_moved(base):
            for a in node.names:
                if a.name in self.mapped.get(base, set()):
                    if a.name in self.models:
                        self.imported_models[a.asname or a.name] = self.models[a.name].label
                        self.model_vars[a.asname or a.name] = self.models[a.name].label
                    continue
                if a.name == "*":
                    continue
                self.moved_names[a.asname or a.name] = f"{base}.{a.name}"
                model = self.models.get(a.name)
                if model is not None:
                    eps = model_endpoints(model)
                    self.add(
                        node,
                        "API composition",
                        f"{base}.{a.name} moved into the {self.service} service: replace ORM queries by "
                        f"GET {eps[0].path} (filters: {', '.join(model.lookups) or 'none'}) / GET {eps[1].path}",
                    )
                else:
                    self.add(
                        node,
                        "API composition",
                        f"{base}.{a.name} moved into the {self.service} service and has no endpoint: "
                        "add it to the service's API or keep a copy here",
                    )
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if self.pl.is_moved(a.name):
                self.add(
                    node,
                    "API composition",
                    f"import of {a.name}, which moved into the {self.service} service: use its client module",
                )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        strs = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "get_model" and strs:
            app = strs[0].split(".", 1)[0]
            label = strs[0] if len(strs) == 1 else f"{strs[0]}.{strs[1]}"
            if app in self.pl.apps and label not in {m.label for m in self.models.values()}:
                self.add(
                    node,
                    "API composition",
                    f"apps.get_model({', '.join(map(repr, strs))}): that model moved into the {self.service} "
                    "service and the client has no stand-in for it: when remote this raises LookupError",
                )
        queried = self.queryset_model(func)
        if queried is not None:
            self.unpushed(node, queried, name)
        if name in ("reverse", "reverse_lazy", "redirect", "resolve_url") and strs:
            if strs[0] in self.url_names or (":" in strs[0] and strs[0].split(":", 1)[0] in self.namespaces):
                self.add(
                    node,
                    "API gateway",
                    f"{name}({strs[0]!r}) names a URL of the moved app, served by the {self.service} service "
                    "when remote: route that path to the service (gateway / reverse proxy) or link to the service",
                )
        if name in ("select_related", "prefetch_related"):
            for s in strs:
                head = s.split("__", 1)[0]
                if head in self.cut_fields or head in self.reverse:
                    self.add(
                        node,
                        "API composition",
                        f"{name}({s!r}) joins across the boundary to the {self.service} service: "
                        "fetch the related rows from the service's API and combine them here",
                    )
        if name in LOOKUP_METHODS and self.joins:
            paths = [k.arg for k in node.keywords if k.arg] + [x.lstrip("-") for x in strs]
            for lookup in paths:
                if lookup.split("__", 1)[0] in self.joins:
                    self.add(
                        node,
                        "API composition",
                        f"{name}({lookup}...) joins through a relation to a model of the {self.service} service: "
                        "the join cannot cross databases; query the service for the ids, then filter here",
                    )
                    break
        if name in ("execute", "raw", "executemany", "extra"):
            for s in strs:
                hits = sorted(t for t in self.moved_tables if re.search(rf"\b{re.escape(t)}\b", s))
                if hits:
                    self.add(
                        node,
                        "API composition",
                        f"raw SQL on {', '.join(hits)}, which moved into the {self.service} service: "
                        "call its API instead (or keep a read model fed by its events)",
                    )
        if (
            isinstance(func, ast.Attribute)
            and func.attr in MANAGER_METHODS
            and isinstance(func.value, ast.Attribute)
            and func.value.attr in self.reverse
        ):
            self.add(
                node,
                "API composition",
                f".{func.value.attr}.{func.attr}(): a reverse relation to a model of the {self.service} "
                "service: ask the service (its list endpoint filtered by this id)",
            )
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if isinstance(value, ast.Call) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            func = value.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            strs = [a.value for a in value.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if called == "get_model" and strs:
                label = strs[0] if len(strs) == 1 else f"{strs[0]}.{strs[1]}"
                if label in {m.label for m in self.models.values()}:
                    self.model_vars[node.targets[0].id] = label
        self.generic_visit(node)

    # -- the remote ORM: what a queryset on a moved model cannot push down to the service -------------

    def queryset_model(self, func: ast.expr) -> str | None:
        """The moved model a method call is made on (``Payment.objects.filter(...).values``), if any."""
        if not isinstance(func, ast.Attribute):
            return None
        node = func.value
        while True:
            if isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            elif isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager"):
                base = node.value
                return self.model_vars.get(base.id) if isinstance(base, ast.Name) else None
            elif isinstance(node, ast.Attribute):
                node = node.value
            else:
                return None

    def unpushed(self, node: ast.Call, label: str, method: str) -> None:
        """Steps for the parts of one queryset call on ``label`` the remote ORM cannot push down."""
        where = f"{label.split('.', 1)[1]}.objects...{method}()"
        if method in UNPUSHED_METHODS:
            self.add(node, "API composition", f"{where}: {UNPUSHED_METHODS[method]}: {label} lives in the "
                                              f"{self.service} service when remote (RemoteQueryError)")  # fmt: skip
            return
        staying = self.staying_fks.get(label, {})
        problems: list[str] = []

        def path(text: str, lookups: bool, what: str) -> None:
            parts = text.lstrip("-").split("__")
            if parts[0] in staying:
                rest = parts[1:]
                if rest and rest[0] in ("pk", "id"):
                    rest = rest[1:]
                if rest and not (lookups and len(rest) == 1 and rest[0] in PUSHED_LOOKUPS):
                    if lookups:  # a condition: one query of the monolith's rows for the ids, sent as <fk>_id__in
                        return
                    problems.append(f"{what} {text!r} joins into {staying[parts[0]]}, which stays in the monolith "
                                    f"(query its ids here, then filter by {parts[0]}_id__in)")  # fmt: skip
                    return
            if lookups and len(parts) > 1 and parts[-1] in UNPUSHED_LOOKUPS:
                problems.append(f"lookup __{parts[-1]} is not pushed down")

        def expression(expr: ast.expr, top: bool) -> None:
            for sub in ast.walk(expr):
                if not isinstance(sub, ast.Call):
                    continue
                fn = _called_name(sub)
                first = sub.args[0] if sub.args else None
                text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
                if fn == "F" and text:
                    path(text, False, "F()")
                elif fn in ("Count", "Sum", "Min", "Max", "Avg") and text:
                    path(text, False, fn)
                elif fn == "Q":
                    for kw in sub.keywords:
                        if kw.arg:
                            path(kw.arg, True, "lookup")
                elif top and fn and fn[:1].isupper() and fn not in PUSHED_FUNCTIONS:
                    problems.append(f"{fn}() cannot be computed by the service (Count, Sum, Min, Max, Avg, "
                                    "Coalesce and Value over them can)")  # fmt: skip

        lookup_methods = {"filter", "exclude", "get", "get_or_create", "update_or_create"}
        for kw in node.keywords:
            if kw.arg is None:
                continue
            if method in lookup_methods and kw.arg not in ("defaults", "create_defaults"):
                path(kw.arg, True, "lookup")
                problems.extend(_outer_ref_problems(kw.arg, kw.value, method))
            elif _outer_refs(kw.value):
                problems.append(f"OuterRef() in {method}() is not pushed down")
            expression(kw.value, method in ("annotate", "aggregate"))
        for arg in node.args:
            text = arg.value if isinstance(arg, ast.Constant) else None
            if isinstance(text, str) and method in ("values", "values_list", "order_by"):
                path(text, False, method)
            else:
                if _outer_refs(arg):
                    problems.extend(_outer_ref_problems(None, arg, method))
                expression(arg, method in ("annotate", "aggregate"))
        for problem in dict.fromkeys(problems):
            self.add(node, "API composition", f"{where}: {problem}: the remote ORM cannot push this down to the "
                                              f"{self.service} service (RemoteQueryError when remote)")  # fmt: skip

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.attr == "objects":
            local = node.value.id
            if local in self.moved_names:
                self.add(
                    node,
                    "API composition",
                    f"ORM query on {self.moved_names[local]}, whose table moved into the {self.service} "
                    "service: query its API instead (joins and aggregates must be composed here)",
                )
        self.generic_visit(node)

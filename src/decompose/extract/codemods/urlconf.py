"""Codemod for the monolith's root URLconf: moved apps' URLs only in local mode.

``path("api/payments/", include("payments.urls"))`` becomes
``*([path("api/payments/", include("payments.urls"))] if service_is_local("payments") else [])``
(the URLs stay where they were, in order; in remote mode the moved app's code is not
even imported), and ``path("api/v1/", include("shop.services.urls"))`` is mounted
first: the events and call backs the monolith serves to its services.

With ``mirrors`` (the package of the service's route mirrors, see
:func:`decompose.extract.client.web.mirror_module`), the remote branch mounts the same
pattern with each moved URLconf replaced by its generated mirror (same routes, names and
namespace, every route forwarded to the service):
``... else [path("api/payments/", include("shop.services.routes.payments.payments__urls"))]``.

Example::

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> src = 'urlpatterns = [path("p/", include("payments.urls"))]\\n'
    >>> cmd = ServiceSwitchUrls(CodemodContext(), "payments", ("payments",), "shop.services")
    >>> out = cmd.transform_module(cst.parse_module(src)).code
    >>> 'if service_is_local("payments") else []' in out and 'include("shop.services.urls")' in out
    True
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeVar

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node


def _included_module(node: cst.CSTNode) -> str | None:
    """``include("payments.urls")`` (possibly inside ``path(...)``) → ``payments.urls``."""
    for call in m.findall(node, m.Call(func=m.Name("include") | m.Attribute(attr=m.Name("include")))):
        assert isinstance(call, cst.Call)
        if call.args:
            first = call.args[0].value
            if isinstance(first, cst.Tuple) and first.elements:
                first = first.elements[0].value
            if isinstance(first, cst.SimpleString):
                return str(first.evaluated_value)
            name = get_full_name_for_node(first)
            if name:
                return name
    return None


_INCLUDE = m.Name("include") | m.Attribute(attr=m.Name("include"))
_URLPATTERNS_WRITE = (
    m.Assign(targets=[m.AssignTarget(target=m.Name("urlpatterns"))])
    | m.AugAssign(target=m.Name("urlpatterns"))
    | m.AnnAssign(target=m.Name("urlpatterns"))
)
_URL_FUNCS = ("path", "re_path", "url")
_Write = TypeVar("_Write", cst.Assign, cst.AugAssign, cst.AnnAssign)


def _is_switch(node: cst.CSTNode) -> bool:
    """``[...] if service_is_local("x") else []``: a moved route switched by an earlier run."""
    return m.matches(node, m.IfExp(test=m.Call(func=m.Name("service_is_local"))))


def _snippet(node: cst.CSTNode, limit: int = 100) -> str:
    code = " ".join(cst.Module([]).code_for_node(node).split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


class _MirrorIncludes(cst.CSTTransformer):
    """``include(<moved URLconf>)`` → ``include("<its mirror>")``; the rest of the pattern unchanged."""

    def __init__(self, owner: ServiceSwitchUrls) -> None:
        super().__init__()
        self.owner = owner

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if not m.matches(updated_node.func, _INCLUDE) or not updated_node.args:
            return updated_node
        module = self.owner._module_of(updated_node)
        if not self.owner._moved(module):
            return updated_node
        mirror = cst.SimpleString(json.dumps(self.owner.mirror_of(module or "")))
        first = updated_node.args[0]
        if isinstance(first.value, cst.Tuple) and first.value.elements:
            elements = list(first.value.elements)
            elements[0] = elements[0].with_changes(value=mirror)
            value: cst.BaseExpression = first.value.with_changes(elements=elements)
        else:
            value = mirror
        return updated_node.with_changes(args=[first.with_changes(value=value), *updated_node.args[1:]])


class ServiceSwitchUrls(VisitorBasedCodemodCommand):
    """Mount moved apps' URLconfs in local mode only (and, with ``mount_inbound``, the inbound endpoints).

    Switched wherever ``urlpatterns`` is assigned (also under ``if``/``try``/``with``): a list literal,
    ``i18n_patterns(...)``, ``urlpatterns += [...]``, ``[...] + static(...)``. After the transform,
    :attr:`unswitched` lists each ``include`` of a moved app left in another form (a loop,
    ``urlpatterns.append(...)``, a helper function) with that form, for an error: nothing is left silently.
    """

    DESCRIPTION = "Mount moved apps' URLconfs in local mode only; serve events and call backs."

    def __init__(
        self,
        context: CodemodContext,
        service: str,
        app_modules: Sequence[str],
        services_package: str,
        mount_inbound: bool = True,
        mirrors: str | None = None,
    ) -> None:
        super().__init__(context)
        #: package of the remote-mode mirrors (``shop.services.routes.payments``); None: nothing mounted when remote
        self.mirrors = mirrors
        self.service = service
        self.app_modules = tuple(app_modules)
        self.package = services_package
        self.mount_inbound = mount_inbound
        self.switched: list[str] = []
        #: local names (import heads) of moved views and URLconfs the switches use: imported in local mode only
        self.view_names: set[str] = set()
        self._asked: set[tuple[str, str, str | None]] = set()
        #: moved URLconfs under a switch of this service (switched now or by an earlier run): their mirrors are mounted
        self.mounted: list[str] = []
        #: ``(included module, the statement's form)`` of moved includes not switched
        self.unswitched: list[tuple[str, str]] = []
        self.has_urlpatterns = False
        self.aliases: dict[str, str] = {}

    def visit_Module(self, node: cst.Module) -> None:
        # ``from payments import urls as payment_urls`` then ``include(payment_urls)``
        for imp in m.findall(node, m.ImportFrom() | m.Import()):
            if (
                isinstance(imp, cst.ImportFrom)
                and not imp.relative
                and imp.module is not None
                and not isinstance(imp.names, cst.ImportStar)
            ):
                base = get_full_name_for_node(imp.module) or ""
                for alias in imp.names:
                    name = get_full_name_for_node(alias.name) or ""
                    local = get_full_name_for_node(alias.asname.name) if alias.asname else name
                    if local:
                        self.aliases[local] = f"{base}.{name}"
            elif isinstance(imp, cst.Import):
                for alias in imp.names:
                    name = get_full_name_for_node(alias.name) or ""
                    if alias.asname:
                        local = get_full_name_for_node(alias.asname.name)
                        if local:
                            self.aliases[local] = name

    def _module_of(self, node: cst.CSTNode) -> str | None:
        module = _included_module(node)
        if module is None:
            return None
        head, _, rest = module.partition(".")
        if module in self.aliases:
            return self.aliases[module]
        if head in self.aliases:
            return f"{self.aliases[head]}.{rest}" if rest else self.aliases[head]
        return module

    def _moved(self, module: str | None) -> bool:
        return module is not None and any(module == a or module.startswith(a + ".") for a in self.app_modules)

    def _wrap(self, value: cst.BaseExpression) -> cst.IfExp:
        wrapped = cst.parse_expression(f'[x] if service_is_local("{self.service}") else []')
        assert isinstance(wrapped, cst.IfExp)
        body = cst.ensure_type(wrapped.body, cst.List).with_changes(elements=[cst.Element(value)])
        self._need_import(f"{self.package}.runtime", "is_local", "service_is_local")
        wrapped = wrapped.with_changes(body=body, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return self._remote_branch(wrapped)

    def _remote_branch(self, switch: cst.IfExp) -> cst.IfExp:
        """The switch with its ``else`` mounting the mirrors of what its local branch mounts (when asked)."""
        if self.mirrors is None:
            return switch
        local = cst.ensure_type(switch.body, cst.List)
        for call in m.findall(local, m.Call(func=_INCLUDE)):
            # include(billing_urls): the mirror is named by a string, so the module's import can be local-only
            first = cst.ensure_type(call, cst.Call).args[0].value if cst.ensure_type(call, cst.Call).args else None
            if isinstance(first, cst.Tuple) and first.elements:
                first = first.elements[0].value
            if isinstance(first, (cst.Name, cst.Attribute)):
                self.view_names.add((get_full_name_for_node(first) or "").split(".")[0])
        self.mounted.extend(
            module
            for el in local.elements
            if isinstance(el, cst.Element) and self._moved(module := self._module_of(el.value)) and module is not None
        )
        mirrored = local.visit(_MirrorIncludes(self))
        return switch.with_changes(orelse=mirrored)

    def mirror_of(self, module: str) -> str:
        """The generated mirror of the moved URLconf ``module``."""
        return f"{self.mirrors}.{module.replace('.', '__')}"

    def _switch(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """``expr`` (a value of ``urlpatterns``) with every moved route switched."""
        if isinstance(expr, cst.List):
            elements: list[cst.BaseElement] = []
            for el in expr.elements:
                module = self._module_of(el.value) if isinstance(el, cst.Element) else None
                if isinstance(el, cst.Element) and self._moved(module):
                    self.switched.append(module or "")
                    elements.append(cst.StarredElement(self._wrap(el.value), comma=el.comma))
                elif isinstance(el, cst.Element) and self.mirrors is not None and self._moved_view(el.value):
                    elements.append(cst.StarredElement(self._wrap_view(el.value), comma=el.comma))
                elif isinstance(el, cst.StarredElement) and self._empty_switch(el.value):
                    # switched by a run that mounted nothing in remote mode: mount the mirrors now
                    elements.append(el.with_changes(value=self._remote_branch(cst.ensure_type(el.value, cst.IfExp))))
                else:
                    elements.append(el)
            return expr.with_changes(elements=elements)
        if isinstance(expr, cst.Call) and (get_full_name_for_node(expr.func) or "").rsplit(".", 1)[-1] in (
            "i18n_patterns",
            "patterns",
        ):
            args: list[cst.Arg] = []
            for arg in expr.args:
                module = self._module_of(arg.value) if not arg.star and arg.keyword is None else None
                if self._moved(module):
                    self.switched.append(module or "")
                    args.append(arg.with_changes(value=self._wrap(arg.value), star="*"))
                elif not arg.star and arg.keyword is None and self.mirrors is not None and self._moved_view(arg.value):
                    args.append(arg.with_changes(value=self._wrap_view(arg.value), star="*"))
                elif arg.star == "*" and self._empty_switch(arg.value):
                    args.append(arg.with_changes(value=self._remote_branch(cst.ensure_type(arg.value, cst.IfExp))))
                else:
                    args.append(arg)
            return expr.with_changes(args=args)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return expr.with_changes(left=self._switch(expr.left), right=self._switch(expr.right))
        return expr

    def _need_import(self, module: str, obj: str, asname: str | None = None) -> None:
        """Ask for an import once (AddImportsVisitor repeats an aliased one asked for twice)."""
        if (module, obj, asname) not in self._asked:
            self._asked.add((module, obj, asname))
            AddImportsVisitor.add_needed_import(self.context, module, obj, asname)

    def _view_arg(self, node: cst.CSTNode) -> cst.Arg | None:
        """The view argument of ``path(route, view, ...)`` (not an include), else None."""
        if not (
            isinstance(node, cst.Call) and (get_full_name_for_node(node.func) or "").rsplit(".", 1)[-1] in _URL_FUNCS
        ):
            return None
        positional = [a for a in node.args if a.keyword is None and not a.star]
        view = next((a for a in node.args if a.keyword is not None and a.keyword.value == "view"), None)
        view = view or (positional[1] if len(positional) > 1 else None)
        if view is None or m.findall(view, m.Call(func=_INCLUDE)):
            return None
        return view

    def _moved_view(self, node: cst.CSTNode) -> str | None:
        """The moved dotted name a pattern's view is (``billing_views.pay`` → ``billing.views.pay``), else None."""
        view = self._view_arg(node)
        if view is None:
            return None
        expr: cst.BaseExpression = view.value
        while isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "as_view":  # Detail.as_view(...)
                expr = expr.func.value
            elif expr.args:  # a wrapper: login_required(views.pay), csrf_exempt(views.hook)
                expr = expr.args[0].value
            else:
                return None
        dotted = get_full_name_for_node(expr)
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        full = (f"{self.aliases[head]}.{rest}" if rest else self.aliases[head]) if head in self.aliases else dotted
        if not self._moved(full):
            return None
        self.view_names.add(head)
        return full

    def _wrap_view(self, value: cst.BaseExpression) -> cst.IfExp:
        """``path(r, moved_view, ...)`` → ``[it] if local else [path(r, proxy_view("svc"), ...)]``."""
        wrapped = cst.parse_expression(f'[x] if service_is_local("{self.service}") else []')
        assert isinstance(wrapped, cst.IfExp)
        self._need_import(f"{self.package}.runtime", "is_local", "service_is_local")
        self._need_import(f"{self.package}.proxy", "proxy_view")
        call = cst.ensure_type(value, cst.Call)
        view = self._view_arg(call)
        proxy = cst.parse_expression(f'proxy_view("{self.service}")')
        remote = call.with_changes(args=[a.with_changes(value=proxy) if a is view else a for a in call.args])
        return wrapped.with_changes(
            body=cst.List([cst.Element(value)]),
            orelse=cst.List([cst.Element(remote)]),
            lpar=[cst.LeftParen()],
            rpar=[cst.RightParen()],
        )

    def _guard_imports(
        self, body: Sequence[cst.SimpleStatementLine | cst.BaseCompoundStatement]
    ) -> list[cst.SimpleStatementLine | cst.BaseCompoundStatement]:
        """Module-level imports of moved modules used only by switched views: imported in local mode only."""
        if not self.view_names:
            return list(body)
        outside: set[str] = set()

        def walk(node: cst.CSTNode) -> None:
            if _is_switch(node) or isinstance(node, (cst.Import, cst.ImportFrom)):
                return
            if isinstance(node, cst.Name):
                outside.add(node.value)
            for child in node.children:
                walk(child)

        for stmt in body:
            walk(stmt)
        out: list[cst.SimpleStatementLine | cst.BaseCompoundStatement] = []
        for stmt in body:
            imp = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 else None
            names = self._imported_names(imp) if isinstance(imp, (cst.Import, cst.ImportFrom)) else None
            if isinstance(stmt, cst.SimpleStatementLine) and names and names <= self.view_names and not names & outside:
                guard = cst.ensure_type(
                    cst.parse_statement(f'if service_is_local("{self.service}"):\n    pass\n'), cst.If
                )
                out.append(
                    guard.with_changes(
                        body=guard.body.with_changes(body=[stmt.with_changes(leading_lines=[])]),
                        leading_lines=stmt.leading_lines,
                    )
                )
            else:
                out.append(stmt)
        return out

    def _imported_names(self, imp: cst.Import | cst.ImportFrom) -> set[str] | None:
        """The local names an import of moved code binds (None when it imports anything that stays)."""
        if isinstance(imp, cst.ImportFrom):
            if imp.relative or imp.module is None or isinstance(imp.names, cst.ImportStar):
                return None
            base = get_full_name_for_node(imp.module) or ""
            full = [f"{base}.{get_full_name_for_node(a.name)}" for a in imp.names]
        else:
            full = [get_full_name_for_node(a.name) or "" for a in imp.names]
        if not all(self._moved(f) for f in full):
            return None
        aliases = imp.names if not isinstance(imp.names, cst.ImportStar) else ()
        return {
            (
                get_full_name_for_node(a.asname.name)
                if a.asname
                else (get_full_name_for_node(a.name) or "").split(".")[0]
            )
            or ""
            for a in aliases
        }

    def _empty_switch(self, node: cst.CSTNode) -> bool:
        """A switch of this service's routes (an earlier run's): its moved URLconfs are :attr:`mounted`;
        True when its remote branch mounts nothing (written before the mirrors existed)."""
        if self.mirrors is None or not _is_switch(node):
            return False
        assert isinstance(node, cst.IfExp)
        test = cst.ensure_type(node.test, cst.Call)
        service = test.args[0].value if test.args else None
        if not (isinstance(service, cst.SimpleString) and service.evaluated_value == self.service):
            return False
        if not isinstance(node.body, cst.List):
            return False
        modules = [self._module_of(el.value) for el in node.body.elements if isinstance(el, cst.Element)]
        self.mounted.extend(module for module in modules if module is not None and self._moved(module))
        return isinstance(node.orelse, cst.List) and not node.orelse.elements and any(map(self._moved, modules))

    def _write(self, updated_node: _Write) -> _Write:
        if not m.matches(updated_node, _URLPATTERNS_WRITE) or updated_node.value is None:
            return updated_node
        value = self._switch(updated_node.value)
        return updated_node if value is updated_node.value else updated_node.with_changes(value=value)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        return self._write(updated_node)

    def leave_AugAssign(self, original_node: cst.AugAssign, updated_node: cst.AugAssign) -> cst.AugAssign:
        return self._write(updated_node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign) -> cst.AnnAssign:
        return self._write(updated_node)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # every write of urlpatterns (also under if/try/with) was switched by leave_Assign & co.; here the
        # inbound endpoints are mounted, and what is left unswitched is listed
        body = list(updated_node.body)
        writes = [i for i, stmt in enumerate(body) if m.findall(stmt, _URLPATTERNS_WRITE)]
        first_list: tuple[int, int] | None = None  # (statement, small statement) of a list-literal assignment
        for i in writes:
            stmt = body[i]
            if first_list is None and isinstance(stmt, cst.SimpleStatementLine):
                for j, node in enumerate(stmt.body):
                    if (
                        isinstance(node, (cst.Assign, cst.AnnAssign))
                        and isinstance(node.value, cst.List)
                        and m.matches(node, _URLPATTERNS_WRITE)
                    ):
                        first_list = (i, j)
                        break
        self.has_urlpatterns = bool(writes)
        inbound = f"{self.package}.urls"
        has_inbound = any(
            self._module_of(cst.ensure_type(c, cst.Call)) == inbound
            for c in m.findall(cst.Module(body=body), m.Call(func=m.Name("include")))
        )
        if self.mount_inbound and writes and not has_inbound:
            AddImportsVisitor.add_needed_import(self.context, "django.urls", "include")
            AddImportsVisitor.add_needed_import(self.context, "django.urls", "path")
            mount = f'path("api/v1/", include("{inbound}"))'
            if first_list is not None:
                i, j = first_list
                stmt = cst.ensure_type(body[i], cst.SimpleStatementLine)
                assign = stmt.body[j]
                lst = cst.ensure_type(assign.value, cst.List)  # type: ignore[attr-defined]
                first_comma = lst.elements[0].comma if lst.elements else cst.MaybeSentinel.DEFAULT
                elements = [cst.Element(cst.parse_expression(mount), comma=first_comma), *lst.elements]
                small = list(stmt.body)
                small[j] = assign.with_changes(value=lst.with_changes(elements=elements))
                body[i] = stmt.with_changes(body=small)
            else:  # urlpatterns = i18n_patterns(...): mounted first, outside the language prefix
                last = writes[-1]
                line = cst.parse_statement(f"urlpatterns = [{mount}, *urlpatterns]\n")
                body.insert(last + 1, line)
        body = self._guard_imports(body)
        self.unswitched = self._left(cst.Module(body=body))
        return updated_node.with_changes(body=body)

    def _left(self, module: cst.Module) -> list[tuple[str, str]]:
        """Includes of moved apps that are not under a ``service_is_local`` switch, with their statement."""
        out: list[tuple[str, str]] = []

        def walk(node: cst.CSTNode, top: cst.CSTNode | None) -> None:
            if _is_switch(node):
                return
            if isinstance(node, cst.Call) and m.matches(node.func, _INCLUDE):
                module_name = self._module_of(node)
                if self._moved(module_name):
                    out.append((module_name or "", _snippet(top or node)))
                    return
            for child in node.children:
                walk(child, top)

        for stmt in module.body:
            walk(stmt, stmt)
        return out

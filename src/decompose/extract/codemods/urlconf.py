"""Codemod for the monolith's root URLconf: moved apps' URLs only in local mode.

``path("api/payments/", include("payments.urls"))`` becomes
``*([path("api/payments/", include("payments.urls"))] if service_is_local("payments") else [])``
(the URLs stay where they were, in order; in remote mode the moved app's code is not
even imported), and ``path("api/v1/", include("shop.services.urls"))`` is mounted
first: the events and call backs the monolith serves to its services.

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

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node


def _included_module(node: cst.BaseExpression) -> str | None:
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


class ServiceSwitchUrls(VisitorBasedCodemodCommand):
    DESCRIPTION = "Mount moved apps' URLconfs in local mode only; serve events and call backs."

    def __init__(
        self, context: CodemodContext, service: str, app_modules: Sequence[str], services_package: str
    ) -> None:
        super().__init__(context)
        self.service = service
        self.app_modules = tuple(app_modules)
        self.package = services_package
        self.switched: list[str] = []

    def _moved(self, module: str | None) -> bool:
        return module is not None and any(module == a or module.startswith(a + ".") for a in self.app_modules)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if not m.matches(
            updated_node, m.Assign(targets=[m.AssignTarget(target=m.Name("urlpatterns"))], value=m.List())
        ):
            return updated_node
        lst: cst.List = updated_node.value  # type: ignore[assignment]
        elements: list[cst.BaseElement] = []
        inbound = f"{self.package}.urls"
        has_inbound = any(_included_module(e.value) == inbound for e in lst.elements)
        for el in lst.elements:
            module = _included_module(el.value) if isinstance(el, cst.Element) else None
            if isinstance(el, cst.Element) and self._moved(module):
                self.switched.append(module or "")
                wrapped = cst.parse_expression(f'[x] if service_is_local("{self.service}") else []')
                assert isinstance(wrapped, cst.IfExp)
                body = wrapped.body.with_changes(elements=[cst.Element(el.value)])
                expr = wrapped.with_changes(body=body, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                elements.append(cst.StarredElement(expr, comma=el.comma))
                AddImportsVisitor.add_needed_import(
                    self.context, f"{self.package}.runtime", "is_local", "service_is_local"
                )
            else:
                elements.append(el)
        if not has_inbound:
            first_comma = elements[0].comma if elements else cst.MaybeSentinel.DEFAULT
            new = cst.Element(cst.parse_expression(f'path("api/v1/", include("{inbound}"))'), comma=first_comma)
            elements.insert(0, new)
            AddImportsVisitor.add_needed_import(self.context, "django.urls", "include")
            AddImportsVisitor.add_needed_import(self.context, "django.urls", "path")
        return updated_node.with_changes(value=lst.with_changes(elements=elements))

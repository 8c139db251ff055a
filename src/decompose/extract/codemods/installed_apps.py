"""Codemod for the monolith's settings: a per-service ``local``/``remote`` switch.

Moved apps are removed from ``INSTALLED_APPS`` in remote mode only, and the switch
is configuration, so a cut-over is rolled back by setting the mode back to
``local``. After the module-level ``INSTALLED_APPS = [...]`` it inserts::

    DECOMPOSE_SERVICES = {
        "payments": {
            "mode": os.environ.get("DECOMPOSE_PAYMENTS_MODE", "local"),
            "url": os.environ.get("DECOMPOSE_PAYMENTS_URL", "http://127.0.0.1:8001"),
            "token": os.environ.get("DECOMPOSE_PAYMENTS_TOKEN", ""),
            "apps": ["payments"],
        },
    }
    INSTALLED_APPS = [
        app for app in INSTALLED_APPS
        if not any(s["mode"] == "remote" and app in s["apps"] for s in DECOMPOSE_SERVICES.values())
    ] + ["shop.services"]

``apps`` lists the INSTALLED_APPS entries of the moved apps exactly as written. A
second service adds its entry to the existing dict; running twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor

SWITCH = "DECOMPOSE_SERVICES"


def _entry(service: str, apps: Sequence[str], url: str) -> str:
    env = f"DECOMPOSE_{service.upper()}"
    return (
        f'    "{service}": {{\n'
        f'        "mode": os.environ.get("{env}_MODE", "local"),\n'
        f'        "url": os.environ.get("{env}_URL", "{url}"),\n'
        f'        "token": os.environ.get("{env}_TOKEN", ""),\n'
        f'        "apps": [{", ".join(repr(a).replace(chr(39), chr(34)) for a in apps)}],\n'
        f"    }},\n"
    )


def moved_entries(entries: Sequence[str], apps: Sequence[str], app_modules: Sequence[str]) -> list[str]:
    """The INSTALLED_APPS strings that name a moved app (``payments``, ``notifications.apps.X``)."""
    out = []
    for e in entries:
        head = e.split(".apps.", 1)[0]
        if e in apps or head in app_modules or e in app_modules:
            out.append(e)
    return out


class ServiceSwitchSettings(VisitorBasedCodemodCommand):
    """Add (or extend) ``DECOMPOSE_SERVICES`` and the mode-aware ``INSTALLED_APPS``."""

    DESCRIPTION = "Switch moved apps by configuration: installed when local, removed when remote."

    def __init__(
        self,
        context: CodemodContext,
        service: str,
        app_modules: Sequence[str],
        services_package: str,
        url: str | None = None,
    ) -> None:
        super().__init__(context)
        self.service = service
        self.app_modules = tuple(app_modules)
        self.package = services_package
        self.url = url or f"http://{service}:8000"
        self.entries: list[str] = []
        self.found_installed = False
        self.has_switch = False

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name(SWITCH))])])):
                self.has_switch = True

    def _installed(self, stmt: cst.BaseStatement) -> cst.List | None:
        if m.matches(
            stmt,
            m.SimpleStatementLine(
                body=[m.Assign(targets=[m.AssignTarget(target=m.Name("INSTALLED_APPS"))], value=m.List() | m.Tuple())]
            ),
        ):
            value = stmt.body[0].value  # type: ignore[attr-defined]
            return value
        return None

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = list(updated_node.body)
        for i, stmt in enumerate(body):
            value = self._installed(stmt)
            if value is None:
                continue
            self.found_installed = True
            self.entries = [
                v
                for e in value.elements
                if isinstance(e.value, cst.SimpleString) and isinstance(v := e.value.evaluated_value, str)
            ]
            moved = moved_entries(self.entries, (), self.app_modules)
            if not self.has_switch:
                code = (
                    f"{SWITCH} = {{\n{_entry(self.service, moved, self.url)}}}\n"
                    "INSTALLED_APPS = [\n"
                    "    app\n"
                    "    for app in INSTALLED_APPS\n"
                    f'    if not any(s["mode"] == "remote" and app in s["apps"] for s in {SWITCH}.values())\n'
                    f'] + ["{self.package}"]\n'
                )
                AddImportsVisitor.add_needed_import(self.context, "os")
                new = list(cst.parse_module(code).body)
                new[0] = new[0].with_changes(
                    leading_lines=[
                        cst.EmptyLine(),
                        cst.EmptyLine(
                            comment=cst.Comment(
                                '# decompose: services extracted from this monolith. Each runs "local" (its apps'
                            )
                        ),
                        cst.EmptyLine(
                            comment=cst.Comment(
                                '# installed, called in-process) or "remote" (apps removed, called over HTTP):'
                            )
                        ),
                        cst.EmptyLine(
                            comment=cst.Comment(
                                "# a cut-over is rolled back by configuration. Env: DECOMPOSE_<SERVICE>_MODE/URL/TOKEN."
                            )
                        ),
                    ]
                )
                return updated_node.with_changes(body=[*body[: i + 1], *new, *body[i + 1 :]])
            break
        if not self.has_switch:
            return updated_node
        # extend the existing switch with this service (idempotent)
        for i, stmt in enumerate(body):
            if not m.matches(
                stmt,
                m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name(SWITCH))], value=m.Dict())]),
            ):
                continue
            assign = cst.ensure_type(cst.ensure_type(stmt, cst.SimpleStatementLine).body[0], cst.Assign)
            d = cst.ensure_type(assign.value, cst.Dict)
            keys = [
                e.key.evaluated_value
                for e in d.elements
                if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)
            ]
            if self.service in keys:
                return updated_node
            moved = moved_entries(self.entries, (), self.app_modules)
            empty = cst.Module([])
            kept = "".join(
                "    " + empty.code_for_node(e.with_changes(comma=cst.MaybeSentinel.DEFAULT)) + ",\n"
                for e in d.elements
            )
            new_d = cst.parse_expression("{\n" + kept + _entry(self.service, moved, self.url) + "}")
            body[i] = stmt.with_changes(body=[assign.with_changes(value=new_d)])
            return updated_node.with_changes(body=body)
        return updated_node

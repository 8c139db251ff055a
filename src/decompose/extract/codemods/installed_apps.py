"""Codemod for the monolith's settings: a per-service ``local``/``remote`` switch.

Moved apps are removed from ``INSTALLED_APPS`` in remote mode only, and the switch
is configuration, so a cut-over is rolled back by setting the mode back to
``local``. After the last module-level statement that writes ``INSTALLED_APPS`` (in the module
that defines it: the settings module or one it star-imports) it inserts::

    DECOMPOSE_SERVICES = {
        "payments": {
            "mode": os.environ.get("DECOMPOSE_PAYMENTS_MODE", "local"),
            "url": os.environ.get("DECOMPOSE_PAYMENTS_URL", ""),
            "token": os.environ.get("DECOMPOSE_PAYMENTS_TOKEN", ""),
            "identity_key": os.environ.get("DECOMPOSE_PAYMENTS_IDENTITY_KEY", ""),
            "apps": ["payments"],
        },
    }
    INSTALLED_APPS = [
        app for app in INSTALLED_APPS
        if not any(s["mode"] == "remote" and app in s["apps"] for s in DECOMPOSE_SERVICES.values())
    ] + ["shop.services"]

``apps`` lists the INSTALLED_APPS entries of the moved apps exactly as written. A
second service adds its entry to the existing dict; running twice changes nothing.

A service that moves the app defining ``AUTH_USER_MODEL`` gets a guard after the dict: remote mode
raises ``ImproperlyConfigured`` naming the user model and the plan's step, before Django's app
registry would fail with "AUTH_USER_MODEL refers to model ... that has not been installed"::

    if DECOMPOSE_SERVICES["accounts"]["mode"] == "remote":
        raise ImproperlyConfigured("decompose: service accounts moves accounts.User, the AUTH_USER_MODEL: ...")
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor

from decompose.extract.plan.selection import service_env

SWITCH = "DECOMPOSE_SERVICES"
_LIST_METHODS = ("append", "extend", "insert", "remove")


def _entry(service: str, apps: Sequence[str], url: str) -> str:
    env = service_env(service)
    return (
        f'    "{service}": {{\n'
        f'        "mode": os.environ.get("{env}_MODE", "local"),\n'
        f'        "url": os.environ.get("{env}_URL", "{url}"),\n'
        f'        "token": os.environ.get("{env}_TOKEN", ""),\n'
        f'        "identity_key": os.environ.get("{env}_IDENTITY_KEY", ""),\n'
        f'        "apps": [{", ".join(repr(a).replace(chr(39), chr(34)) for a in apps)}],\n'
        f"    }},\n"
    )


def _user_model_guard(service: str, user_model: str) -> str:
    message = (
        f"decompose: service {service} moves {user_model}, the AUTH_USER_MODEL; remote mode needs the user model "
        f"in the monolith (logins, sessions, admin, staying foreign keys). Keep {service} local, or move the user "
        "model to an app that stays and extract again (EXTRACTION.md, 'keep the user model')"
    )
    lines = "".join(
        f"        {json.dumps(chunk, ensure_ascii=False)}\n"
        for chunk in textwrap.wrap(message, 90, drop_whitespace=False)
    )
    return f'if {SWITCH}["{service}"]["mode"] == "remote":\n    raise ImproperlyConfigured(\n{lines}    )\n'


def moved_entries(entries: Sequence[str], apps: Sequence[str], app_modules: Sequence[str]) -> list[str]:
    """The INSTALLED_APPS strings that name a moved app (``payments``, ``notifications.apps.X``)."""
    out = []
    for e in entries:
        head = e.split(".apps.", 1)[0]
        if e in apps or head in app_modules or e in app_modules:
            out.append(e)
    return out


def _writes(node: cst.CSTNode, name: str) -> bool:
    """``node`` assigns ``name``, augments it or calls a list method on it (at any depth)."""
    target = m.Name(name)
    return bool(
        m.findall(node, m.AssignTarget(target=target))
        or m.findall(node, m.AugAssign(target=target))
        or m.findall(node, m.AnnAssign(target=target))
        or m.findall(node, m.Call(func=m.Attribute(value=target, attr=m.OneOf(*map(m.Name, _LIST_METHODS)))))
    )


class ServiceSwitchSettings(VisitorBasedCodemodCommand):
    """Add (or extend) ``DECOMPOSE_SERVICES`` and the mode-aware ``INSTALLED_APPS``.

    The switch goes after the module's last top-level statement that writes ``INSTALLED_APPS``
    (``=``, ``+=``, ``.append/.extend/.insert``, also inside ``if``/``try``/``with``), whatever
    the value's form (a literal, ``BASE + [...]``, a helper's result): it filters the value Django
    will see. ``entries`` are the INSTALLED_APPS values read statically (the whole star-import
    chain); without them, the string literals of those statements.

    After the transform, :attr:`switched` says whether the service is switched in this module
    (inserted now or by an earlier run); when not, :attr:`problem` says why, for an error.
    """

    DESCRIPTION = "Switch moved apps by configuration: installed when local, removed when remote."

    def __init__(
        self,
        context: CodemodContext,
        service: str,
        app_modules: Sequence[str],
        services_package: str,
        url: str | None = None,
        entries: Sequence[str] | None = None,
        user_model: str | None = None,
    ) -> None:
        super().__init__(context)
        self.user_model = user_model
        self.service = service
        self.app_modules = tuple(app_modules)
        self.package = services_package
        self.url = url or ""  # no guess: remote mode without DECOMPOSE_<SERVICE>_URL fails its start-up check
        self.known = tuple(entries) if entries is not None else None
        self.entries: list[str] = []
        self.found_installed = False
        self.has_switch = False
        self.switched = False
        self.problem: str | None = None

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name(SWITCH))])])):
                self.has_switch = True

    def _already_switched(self, body: Sequence[cst.BaseStatement]) -> bool:
        """The existing ``DECOMPOSE_SERVICES`` dict has this service (an earlier run switched it)."""
        for stmt in body:
            for d in m.findall(stmt, m.Assign(targets=[m.AssignTarget(target=m.Name(SWITCH))], value=m.Dict())):
                value = cst.ensure_type(cst.ensure_type(d, cst.Assign).value, cst.Dict)
                for e in value.elements:
                    if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString):
                        if e.key.evaluated_value == self.service:
                            return True
        return False

    def _guard(self, body: Sequence[cst.BaseStatement]) -> list[cst.SimpleStatementLine | cst.BaseCompoundStatement]:
        """The user model guard to insert after the switch's dict (none when it is there already)."""
        if self.user_model is None:
            return []
        code = _user_model_guard(self.service, self.user_model)
        guard = cst.parse_module(code).body[0]
        if any(stmt.deep_equals(guard) for stmt in body):
            return []
        AddImportsVisitor.add_needed_import(self.context, "django.core.exceptions", "ImproperlyConfigured")
        return [guard]

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = list(updated_node.body)
        writes = [i for i, stmt in enumerate(body) if _writes(stmt, "INSTALLED_APPS")]
        if not writes:
            self.problem = "no module-level statement sets INSTALLED_APPS"
            return updated_node
        self.found_installed = True
        if self.known is not None:
            self.entries = list(self.known)
        else:
            self.entries = [
                str(s.evaluated_value)
                for i in writes
                for s in m.findall(body[i], m.SimpleString())
                if isinstance(s, cst.SimpleString) and isinstance(s.evaluated_value, str)
            ]
        moved = moved_entries(self.entries, (), self.app_modules)
        if not moved and not (self.has_switch and self._already_switched(body)):
            self.problem = (
                f"INSTALLED_APPS read statically names none of {', '.join(self.app_modules)} "
                f"({len(self.entries)} entries read)"
            )
            return updated_node
        if not self.has_switch:
            i = writes[-1]
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
                            "# a cut-over is rolled back by configuration."
                            " Env: DECOMPOSE_<SERVICE>_MODE/URL/TOKEN/IDENTITY_KEY."
                        )
                    ),
                ]
            )
            self.switched = True
            new[1:1] = self._guard(body)
            return updated_node.with_changes(body=[*body[: i + 1], *new, *body[i + 1 :]])
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
            self.switched = True
            guard = self._guard(body)
            if self.service in keys:
                return (
                    updated_node.with_changes(body=[*body[: i + 1], *guard, *body[i + 1 :]]) if guard else updated_node
                )
            empty = cst.Module([])
            kept = "".join(
                "    " + empty.code_for_node(e.with_changes(comma=cst.MaybeSentinel.DEFAULT)) + ",\n"
                for e in d.elements
            )
            new_d = cst.parse_expression("{\n" + kept + _entry(self.service, moved, self.url) + "}")
            body[i] = stmt.with_changes(body=[assign.with_changes(value=new_d)])
            body[i + 1 : i + 1] = guard
            return updated_node.with_changes(body=body)
        self.problem = f"{SWITCH} is set here but not as a dict literal"
        return updated_node

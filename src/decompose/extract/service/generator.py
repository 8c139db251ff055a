"""Build every file of the standalone service for an :class:`ExtractionPlan`.

:func:`service_files` returns ``{relative path: text or bytes}``; nothing is written
here (see :mod:`decompose.extract.changeset`). The output is a pure function
of the plan and the project's files, so the same input gives byte-identical
files.

Layout of ``extracted/<service>/``::

    manage.py  requirements.txt  requirements-dev.txt  pytest.ini  Dockerfile  .dockerignore
    README.md  EXTRACTION.md  extraction-plan.json  openapi.json
    <service>_service/   settings, urls, wsgi, rest (runtime), api (generated views),
                         signals (copies of bridged signals), tests/test_api.py
    <app>/ ...           the moved apps, rewritten by LibCST codemods
    <kernel>/ ...        shared-kernel modules, vendored under their own names
"""

from __future__ import annotations

import ast
import fnmatch
from collections import defaultdict
from collections.abc import Mapping, Sequence
from importlib import resources
from string import Template

import libcst as cst
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from decompose.errors import InputError
from decompose.extract.api_spec import API_PREFIX, HEALTH_PATH, TOKEN_ENV, Endpoint, endpoints, wire_type
from decompose.extract.codemods.chain import module_context
from decompose.extract.codemods.moved_imports import (
    ModelCut,
    ModuleStandIn,
    MovedModuleEdits,
    ReExports,
    SymbolMove,
    migration_command,
    moved_module_command,
    rename_lookup,
)
from decompose.extract.codemods.stand_in_classes import StandInClasses
from decompose.extract.monolith_requirements import CLIENT_VERSIONS
from decompose.extract.plan import ExtractionPlan
from decompose.extract.plan import index as F
from decompose.extract.plan.django_models import DJANGO_MODELS
from decompose.extract.plan.vendor import definitions_used
from decompose.extract.service import celery_settings, cut_relations
from decompose.extract.service import web as web_face
from decompose.extract.service.celery_settings import EagerSetting
from decompose.extract.service.joins import join_models, query_table
from decompose.extract.service.joins import migration_text as joins_migration_text
from decompose.extract.service.joins import models_text as joins_models_text
from decompose.extract.service.openapi import camel, document_json, dto_name
from decompose.extract.service.pytest_config import python_file_patterns
from decompose.extract.service.references import reference_classes_text
from decompose.extract.service.requirements import (
    Pin,
    distribution_for,
    installed_top_levels,
    is_stdlib,
    monolith_pins,
)
from decompose.extract.service.settings_values import SettingValue, settings_values
from decompose.extract.service.suite_settings import suite_settings_module, suite_values
from decompose.extract.service.tasks import MODULE as TASK_CALLS
from decompose.extract.service.tasks import has_tasks, task_view
from decompose.extract.service.vendor import definition_source, imports_used, stand_ins_text, vendored_files
from decompose.scan.source import SourceError, read_source, walk_files

#: Settings the generated settings module defines itself (never copied from the monolith).
OWN_SETTINGS = {
    "BASE_DIR",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "ROOT_URLCONF",
    "WSGI_APPLICATION",
    "TEMPLATES",
    "DATABASES",
    "DEFAULT_AUTO_FIELD",
    "LANGUAGE_CODE",
    "TIME_ZONE",
    "USE_I18N",
    "USE_TZ",
    "REST_FRAMEWORK",
    "SPECTACULAR_SETTINGS",
    "APPEND_SLASH",
    "SERVICE_TOKEN",
    "AUTH_USER_MODEL",
    "STATIC_URL",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "MEDIA_URL",
    "LOGIN_URL",
}
#: Settings of the template the service takes from the monolith whenever its value differs: how datetimes
#: are stored and shown must not change when code moves.
BEHAVIOUR_SETTINGS = ("TIME_ZONE", "USE_TZ")
#: Settings of the template the service takes from the monolith when the moved code reads them.
READ_OWN_SETTINGS = frozenset({"LANGUAGE_CODE", "USE_I18N", "TIME_ZONE", "USE_TZ", "STATIC_URL", "MEDIA_URL"})
#: Settings Django reads on behalf of the code that imports these modules (copied when it moves).
IMPLIED_SETTINGS = {
    "django.core.mail": ("EMAIL_BACKEND", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL", "EMAIL_HOST", "EMAIL_PORT"),
    "django.contrib.auth.password_validation": ("AUTH_PASSWORD_VALIDATORS",),
    "django.contrib.auth.hashers": ("PASSWORD_HASHERS",),
    "django.core.cache": ("CACHES",),
    "django.contrib.sites": ("SITE_ID",),
}  # fmt: skip


def _template(name: str, **values: str) -> str:
    text = resources.files("decompose.extract.service").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text).substitute(values)


class _Context:
    def __init__(self, plan: ExtractionPlan, index: F.CodeIndex) -> None:
        self.plan = plan
        self.root = index.root
        self.p = index
        app_paths = index.app_paths
        self.by_path = {m.path: m for m in index.modules.values()}
        self.pkg = plan.package
        self.moved = set(plan.moved_modules)
        self.staying_apps = sorted(set(app_paths) - set(plan.apps))
        rw = plan.service_rewrites
        self.retarget: dict[str, str | None] = dict(rw.retarget)
        self.todo: dict[str, str] = dict(rw.todo)
        #: staying model label → local class name in monolith.py
        self.remote_models: dict[str, str] = dict(rw.remote_models)
        #: signals defined in staying code that the service needs a copy of
        self.signal_copies: list[str] = list(rw.signal_copies)
        #: abstract base models of staying apps: their definitions are copied into bases.py
        self.abstract_bases: list[str] = list(rw.abstract_bases)
        self.module_aliases: dict[str, str] = dict(rw.module_aliases)
        self._settings_values: dict[str, SettingValue] | None = None
        #: the moved code sends mail: a service started for the suite relays it to the suite (suite_mail.py)
        self.suite_mail = False
        #: names modules bind by importing them (``orders.models.Order`` → ``orders.models.order.Order``)
        self.reexports = ReExports(
            {
                f"{m.name}.{local}": target
                for m in self.p.modules.values()
                for local, target in sorted(m.exports.items())
            }
        )
        # FK cuts on the service side, with the moved model's class
        self.model_cuts: list[ModelCut] = []
        self.renames: dict[str, dict[str, str]] = defaultdict(dict)  # model qualname → field → attname
        for c in plan.fk_cuts:
            if c.direction != "from_moved":
                continue
            mf = self.p.model_by_label(c.model)
            if mf is None:
                continue
            self.model_cuts.append(ModelCut(c, mf.qualname))
            if c.field_type != "ManyToManyField":
                self.renames[mf.qualname][c.field] = f"{c.field}_id"

    def module_for_path(self, rel: str) -> F.Module | None:
        return self.by_path.get(rel) if rel.endswith(".py") else None

    def rewrite(self, rel: str, text: str) -> str:
        m = self.module_for_path(rel)
        if m is None:
            return text
        context = module_context(m.name, package=m.package == m.name)
        if m.migration:
            cuts = [c for c in self.model_cuts if c.cut.model.split(".", 1)[0] == (m.app or "")]
            command = migration_command(context, cuts, self.staying_apps)
        else:
            drop = {k.split("::", 1)[1] for k in self.plan.staying_tests if k.startswith(f"{rel}::")}
            edits = MovedModuleEdits(
                moves=tuple(
                    SymbolMove(name, self.retarget.get(name), self.todo.get(name, ""))
                    for name in sorted(set(self.retarget) | set(self.todo))
                ),
                stand_ins=tuple(ModuleStandIn(mod, alias) for mod, alias in sorted(self.module_aliases.items())),
                cuts=tuple(self.model_cuts),
                bridged_signals=frozenset(self.signal_copies),
                refs_module=f"{self.pkg}.monolith",
                drop=frozenset(drop),
                reexports=self.reexports,
                stand_in_names=dict(self.plan.service_rewrites.stand_ins),
                admin_classes={a.admin_class: a.model for a in self.plan.web.admin_models if a.admin_class},
                moved_labels=frozenset(self.plan.apps),
                moved_modules=frozenset(self.plan.moved_modules),
            )
            command = moved_module_command(context, edits, text)
        try:
            tree = command.transform_module(cst.parse_module(text))
            classes = {
                dotted.rpartition(".")[2]: reason
                for dotted, reason in self.plan.service_rewrites.stand_ins.items()
                if dotted.rpartition(".")[0] == m.name and m.name in self.moved
            }
            if classes:  # moved classes the service cannot build (built on a staying model)
                tree = StandInClasses(context, classes, f"{self.pkg}.monolith").transform_module(tree)
            return tree.code
        except RecursionError:  # nested deeper than LibCST's visitors go: copied as it is, and said so
            return (
                f"# TODO(decompose): {rel} is nested too deeply to rewrite; "
                "its imports of moved and staying code are unchanged\n" + text
            )

    def _moved_label(self, label: str) -> bool:
        return label.split(".", 1)[0] in self.plan.apps

    def model_qualname(self, label: str) -> str:
        mf = self.p.model_by_label(label)
        if mf is None:
            raise InputError(f"model {label} not found in the source")
        return mf.qualname

    # -- settings the moved code reads --------------------------------------------------
    def copied_settings(self) -> tuple[str, list[str]]:
        names: set[str] = set()
        kernel = set(self.plan.shared_kernel) | set(self.plan.service_rewrites.vendored)
        kernel |= set(self.plan.service_rewrites.slices)  # the settings of the whole module: a superset
        kernel |= {n for n, mm in self.p.modules.items() if mm.app in self.plan.kernel_apps}
        kernel |= set(self.plan.web.modules)  # copied for the pages (tag libraries, context processors)
        for mod in sorted(self.moved | kernel):
            m = self.p.modules.get(mod)
            if m is None or m.migration:
                continue
            names.update(name for name, _line in m.facts.settings_reads)
        for mod in sorted(self.moved | kernel):
            m = self.p.modules.get(mod)
            if m is None or m.migration:
                continue
            for target in m.import_targets:
                for prefix, implied in IMPLIED_SETTINGS.items():
                    if target == prefix or target.startswith(prefix + "."):
                        names.update(implied)
        if self.p.auth_user_model.split(".", 1)[0] in self.plan.apps:
            names.update(IMPLIED_SETTINGS["django.contrib.auth.password_validation"])
            names.update(IMPLIED_SETTINGS["django.contrib.auth.hashers"])
        auth_names = names & {"AUTH_USER_MODEL"}
        if self.p.auth_user_model.split(".", 1)[0] in self.plan.apps:
            auth_names = {"AUTH_USER_MODEL"}
        carried = self.carried_own_settings(names)
        names -= OWN_SETTINGS
        suite = self.suite_settings(names)
        if not names and not auth_names and not carried:
            return "", []
        values = self.settings_values()
        lines = [f"# Settings the moved code reads, copied from {self.plan.settings_module or 'the monolith'}."]
        lines += carried
        if "AUTH_USER_MODEL" in auth_names and self.p.auth_user_model.split(".", 1)[0] in self.plan.apps:
            lines.append(f"AUTH_USER_MODEL = {self.p.auth_user_model!r}")
        missing = []
        implied_names = {n for group in IMPLIED_SETTINGS.values() for n in group}
        done: set[str] = set()
        for n in sorted(names):
            v = values.get(n)
            if n in done:
                continue  # copied already: a setting read before it names it
            if v is not None and (v.text is not None or v.literal is not None):
                for need in v.needs:  # settings the value names (the service's own are defined above), first
                    if need not in done and need not in OWN_SETTINGS:
                        lines.append(f"{need} = {values[need].text}  # named by {n}")
                        done.add(need)
                done.add(n)
                assigned = self.setting_lines(v)
                lines.extend(assigned)
                if not v.carried or any(ln.startswith("# TODO(decompose)") for ln in assigned):
                    missing.append(n)
                for imp in v.imports:  # placed right after the header
                    if imp not in lines:
                        lines.insert(1, imp)
            elif v is not None:
                missing.append(n)
                lines.extend(_not_static(v))
            elif n not in implied_names:  # a setting Django reads for the moved code falls back to Django's default
                missing.append(n)
                lines.append(
                    f"# TODO(decompose): the moved code reads settings.{n}, which the monolith's settings "
                    "do not set (a Django default, or set where decompose cannot read it)"
                )
        return "\n".join(lines + suite) + "\n", missing

    def suite_settings(self, names: set[str]) -> list[str]:
        """The lines that give a service started for the monolith's test suite (``DECOMPOSE_TEST_RESET``) the
        values the monolith's test settings give the settings of ``names`` (see suite_settings.py)."""
        module = self.plan.settings_module
        test = module and suite_settings_module(self.p.modules, module, self._load)
        values = suite_values(self._load, module, test, names) if module and test else []
        # Django's test environment keeps the mails in its outbox, whatever the settings say; the moved code's
        # go to the suite's outbox too (suite_mail.py)
        self.suite_mail = "EMAIL_BACKEND" in names
        values = [v for v in values if v.name != "EMAIL_BACKEND"]
        if not values and not self.suite_mail:
            return []
        given = f"the values its test settings ({test}) give" if values else "its mails in the suite's outbox"
        lines = ["", f"#: a service started for the monolith's test suite: {given}", "if DECOMPOSE_TEST_RESET:"]
        lines += sorted({f"    {imp}" for v in values for imp in v.imports})
        lines += [f"    {v.name} = {v.text}  # {v.where}" for v in values]
        if self.suite_mail:  # the value Django's test environment sets in the monolith (the moved code may compare it)
            backend = "django.core.mail.backends.locmem.EmailBackend"
            lines.append(f"    EMAIL_BACKEND = {backend!r}  # its outbox, relayed to the suite's (suite_mail.py)")
        return lines

    def carried_own_settings(self, read: set[str]) -> list[str]:
        """Lines that give the service the monolith's value of a setting its template defines too, where
        they differ: always how datetimes are stored and shown (``TIME_ZONE``, ``USE_TZ``), the language
        settings when the moved code reads them."""
        values = self.settings_values()
        template = _template(
            "settings.py.tmpl", service="s", package="s", installed_apps="", copied_settings="", default_auto_field=""
        )
        own = settings_values(lambda name: ("settings.py.tmpl", template, False) if name == "t" else None, "t")
        lines: list[str] = []
        for n in sorted({*BEHAVIOUR_SETTINGS, *(read & READ_OWN_SETTINGS)}):
            v, mine = values.get(n), own.get(n)
            if v is None:
                continue  # the monolith keeps Django's default; the service says what it uses
            if v.text is None and v.literal is None:
                lines.extend(_not_static(v))
                continue
            if v.text is None:
                lines.extend(self.setting_lines(v))
                continue
            if mine is not None and mine.text is not None and _same_literal(v.text, mine.text):
                continue
            lines.append(f"{n} = {v.text}  # the monolith's ({v.where})")
        return lines

    def setting_lines(self, v: SettingValue) -> list[str]:
        """The lines that set ``v`` (static, or completed: see settings_values) in the service's settings.

        A completion the service cannot run (it reads what is not static, or binds a name of the service's
        own settings) is not run: a TODO names it, where it is and why, with the statement commented out;
        the setting is then among the ones to set by hand (never carried half-done silently).
        """
        if v.text is not None:
            return [f"{v.name} = {v.text}"]
        assert v.literal is not None
        own = self.template_names()
        lines = [f"{v.name} = {v.literal}"]
        for c in v.completions:
            clash = sorted(set(c.binds) & own)
            why = c.why or (f"it binds {', '.join(clash)}, a name of the service's settings" if clash else "")
            if not why:
                lines.append(f"# completed as in the monolith ({c.where})")
                lines.extend(c.statement.splitlines())
                continue
            lines.append(
                f"# TODO(decompose): {v.name} is changed after its value in the monolith ({c.where}) by a statement "
                f"not run here ({why}); complete it here. There:"
            )
            lines.extend(f"#   {ln}" for ln in c.statement.splitlines())
        return lines

    def template_names(self) -> frozenset[str]:
        """The names the service's settings template binds at module level (a carried completion must not
        rebind them: ``for env in ...`` would replace the template's ``env``)."""
        template = _template(
            "settings.py.tmpl", service="s", package="s", installed_apps="", copied_settings="", default_auto_field=""
        )
        tree = ast.parse(template)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        return frozenset(names)

    def _load(self, name: str) -> tuple[str, str, bool] | None:
        """A module of the project as settings_values reads it."""
        m = self.p.modules.get(name)
        if m is None:
            return None
        try:
            return m.path, m.source, m.package == m.name
        except F.ModuleUnreadable:
            return None

    def settings_values(self) -> dict[str, SettingValue]:
        """The monolith's settings with their static values, following its star-import chain (cached)."""
        if self._settings_values is None:
            module = self.plan.settings_module
            self._settings_values = settings_values(self._load, module) if module else {}
        return self._settings_values

    def eager_settings(self) -> tuple[EagerSetting, ...]:
        """The Celery eager settings the monolith's settings modules set to True (celery_settings.py)."""
        modules = []
        for m in self.p.modules.values():
            if m.migration or not celery_settings.is_settings_module(m.name):
                continue
            try:
                modules.append((m.name, m.path, m.source))
            except F.ModuleUnreadable:
                continue
        return celery_settings.eager_settings(modules, self.plan.settings_module)

    def default_auto_field(self) -> str:
        """``DEFAULT_AUTO_FIELD`` as the monolith sets it (else Django's default), so no moved table gets a
        migration of its primary key."""
        v = self.settings_values().get("DEFAULT_AUTO_FIELD")
        if v is None:
            return "\n".join(["# the monolith does not set it: Django's default", AUTO_FIELD])
        if v.text is None:
            return "\n".join([*_not_static(v), AUTO_FIELD])
        return f"# as in the monolith ({v.where})\nDEFAULT_AUTO_FIELD = {v.text}"


#: Django's own default primary key (when the monolith's DEFAULT_AUTO_FIELD is unset or unknown)
AUTO_FIELD = 'DEFAULT_AUTO_FIELD = "django.db.models.AutoField"'


def _same_literal(a: str, b: str) -> bool:
    try:
        return bool(ast.literal_eval(a) == ast.literal_eval(b))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return a == b


def _not_static(v: SettingValue) -> list[str]:
    """A TODO for a setting whose value the service cannot copy, with the monolith's statement commented out."""
    if v.block:
        return [
            f"# TODO(decompose): {v.name} is set inside a `{v.block}` statement in the monolith ({v.where}); "
            "set it here"
        ]
    return [
        f"# TODO(decompose): {v.name} is not a static value in the monolith ({v.where}); set it here. There:",
        *(f"#   {ln}" for ln in v.statement.splitlines()),
    ]


def _serializer_field(p_kind: tuple[str, bool], required: bool, help_text: str | None = None) -> str:
    t, nullable = p_kind
    base = {
        "int": "serializers.IntegerField(min_value=-9223372036854775808, max_value=9223372036854775807{x})",
        "str": "serializers.CharField(allow_blank=True, trim_whitespace=False{x})",
        "bool": "serializers.BooleanField({x0})",
        "float": "serializers.FloatField({x0})",
        "Decimal": "serializers.DecimalField(max_digits=30, decimal_places=10{x})",
        "decimal.Decimal": "serializers.DecimalField(max_digits=30, decimal_places=10{x})",
        "date": "serializers.DateField({x0})",
        "datetime.date": "serializers.DateField({x0})",
        "datetime": "serializers.DateTimeField({x0})",
        "datetime.datetime": "serializers.DateTimeField({x0})",
        "dict": "serializers.DictField({x0})",
        "list": "serializers.ListField({x0})",
        "tuple": "serializers.ListField({x0})",
        "UUID": "serializers.UUIDField({x0})",
        "uuid.UUID": "serializers.UUIDField({x0})",
    }.get(t, "serializers.JSONField({x0})")
    extras = []
    if not required:
        extras.append("required=False")
    if nullable or t == "any":
        extras.append("allow_null=True")
    if help_text:
        extras.append(f"help_text={help_text!r}")
    joined = ", ".join(extras)
    return base.replace("{x0}", joined).replace("{x}", f", {joined}" if joined else "")


def _dto_field(field_type: str) -> str:
    from decompose.extract.service.openapi import django_field_schema

    s = django_field_schema(field_type)
    t, fmt = s.get("type"), s.get("format")
    if t == "integer":
        return "serializers.IntegerField(read_only=True)"
    if t == "boolean":
        return "serializers.BooleanField(read_only=True)"
    if t == "number":
        return "serializers.FloatField(read_only=True)"
    if t == "string":
        return {
            "decimal": "serializers.DecimalField(max_digits=None, decimal_places=None, read_only=True)",
            "date": "serializers.DateField(read_only=True)",
            "date-time": "serializers.DateTimeField(read_only=True)",
            "time": "serializers.TimeField(read_only=True)",
            "uuid": "serializers.UUIDField(read_only=True)",
        }.get(fmt or "", "serializers.CharField(read_only=True)")
    return "serializers.JSONField(read_only=True)"


def _not_required(field: str) -> str:
    """A serializer field expression (``serializers.X(...)``) with ``required=False``."""
    return field[:-1] + ("required=False)" if field.endswith("()") else ", required=False)")


def _ref_field(f: F.ModelField | None) -> str:
    """A serializer field validating one field of a monolith model like the model would."""
    if f is None:
        return "serializers.JSONField(allow_null=True)"
    o = f.options
    null = ", allow_null=True" if f.nullable else ""
    t = f.type
    if f.is_relation or "Integer" in t or t.endswith("AutoField"):
        return f"serializers.IntegerField(min_value=-9223372036854775808, max_value=9223372036854775807{null})"
    if t == "DecimalField" and "max_digits" in o and "decimal_places" in o:
        return f"serializers.DecimalField(max_digits={o['max_digits']}, decimal_places={o['decimal_places']}{null})"
    if t == "DecimalField":
        return f"serializers.DecimalField(max_digits=30, decimal_places=10{null})"
    if t in ("CharField", "SlugField", "EmailField", "URLField", "TextField"):
        size = f", max_length={o['max_length']}" if "max_length" in o else ""
        kind = {"EmailField": "EmailField", "URLField": "URLField", "SlugField": "SlugField"}.get(t, "CharField")
        return f"serializers.{kind}(allow_blank=True{size}{null})"
    simple = {
        "BooleanField": "BooleanField", "FloatField": "FloatField", "DateField": "DateField",
        "DateTimeField": "DateTimeField", "TimeField": "TimeField", "UUIDField": "UUIDField",
    }  # fmt: skip
    if t in simple:
        return f"serializers.{simple[t]}({null.lstrip(', ')})"
    return "serializers.JSONField(allow_null=True)"


def api_module(ctx: _Context, eps: tuple[Endpoint, ...]) -> str:
    plan = ctx.plan
    imports: set[str] = set()
    out: list[str] = []
    models = {m.label: m for m in plan.interface_models}
    # DTO serializers (documentation of what rest.dto returns)
    for label in sorted(models):
        m = models[label]
        out.append(f"class {dto_name(label)}(serializers.Serializer):")
        out.append(f'    """{label} as plain data (table {m.table}); relations travel as ids."""')
        out.append("")
        null = nullable_fields(ctx).get(label, frozenset())
        for f in m.fields:
            field = _dto_field(m.field_types.get(f, ""))
            if f in null and "JSONField" not in field:
                field = field.replace("read_only=True)", "read_only=True, allow_null=True)")
            out.append(f"    {f} = {field}")
        out.append("")
        out.append("")
    # DTOs of monolith models sent as arguments: validated like the model's own fields
    ref_serializers: dict[str, str] = {}
    ref_fields: dict[str, set[str]] = defaultdict(set)
    for e in eps:
        for p in e.params:
            if p.model and not ctx._moved_label(p.model) and p.fields:
                ref_fields[p.model].update(p.fields)
    for label in sorted(ref_fields):
        name = dto_name(label).replace("DTO", "Ref")
        ref_serializers[label] = name
        mf = ctx.p.model_by_label(label)
        by_name = {f.name: f for f in (mf.concrete_fields if mf else [])} | {
            f.attname: f for f in (mf.concrete_fields if mf else [])
        }
        out.append(f"class {name}(serializers.Serializer):")
        out.append(
            f'    """{label} of the monolith, as the caller sends it: its id and the fields the service reads."""'
        )
        out.append("")
        out.append("    id = serializers.IntegerField(min_value=1, max_value=9223372036854775807)")
        for f in sorted(ref_fields[label]):  # a call sends the fields its own function reads: none is required
            out.append(f"    {f} = {_not_required(_ref_field(by_name.get(f)))}")
        out.append("")
        out.append("")
    for e in eps:
        cls = camel(e.name)
        if e.kind in ("function", "event"):
            fields = [p for p in e.params if p.kind not in ("var_positional", "var_keyword")]
            out.append(f"class {cls}Request(serializers.Serializer):")
            out.append(f'    """JSON body of {e.method} {e.path}."""')
            out.append("")
            for p in fields:
                required = p.default is None
                if p.model and not ctx._moved_label(p.model) and p.fields:
                    extras = []
                    if not required:
                        extras.append("required=False")
                    if wire_type(p)[1]:
                        extras.append("allow_null=True")
                    extras.append(f"help_text={f'{p.model}: its id and the fields the service reads'!r}")
                    out.append(f"    {p.name} = {ref_serializers[p.model]}({', '.join(extras)})")
                    continue
                if p.model and not ctx._moved_label(p.model):
                    extras = [f"fields={p.fields!r}"]
                    if not required:
                        extras.append("required=False")
                    if wire_type(p)[1]:
                        extras.append("allow_null=True")
                    extras.append(f"help_text={f'{p.model}: its id or a DTO with id and the fields read'!r}")
                    out.append(f"    {p.name} = rest.RefField({', '.join(extras)})")
                    continue
                help_text = f"id of {p.model}" if p.model else None
                out.append(f"    {p.name} = {_serializer_field(wire_type(p), required, help_text)}")
            out.append("")
            out.append("")
        if e.kind == "function":
            out.append(f"class {cls}Response(serializers.Serializer):")
            if e.returns_model in models:
                result = f"{dto_name(e.returns_model)}({'allow_null=True' if e.result_nullable else ''})"
            else:
                result = "serializers.JSONField(allow_null=True)"
            out.append(f"    result = {result}")
            out.append("")
            out.append("")
        if e.kind == "list":
            out.append(f"class {cls}Response(serializers.Serializer):")
            out.append("    count = serializers.IntegerField()")
            out.append("    limit = serializers.IntegerField()")
            out.append("    offset = serializers.IntegerField()")
            out.append(f"    results = {dto_name(e.target)}(many=True)")
            out.append("")
            out.append("")
    for e in eps:
        cls = camel(e.name)
        out.append(f"class {cls}(APIView):")
        out.append(f'    """{e.method} {e.path} → {e.target}"""')
        out.append("")
        if e.kind == "function":
            mod, fn = e.target.rsplit(".", 1)
            imports.add(mod)
            raises = []
            for r in e.raises:
                rmod = ctx.p.module_of(r)
                if rmod:
                    imports.add(rmod)
                    raises.append(r)
            out.append(
                f'    @extend_schema(operation_id="{e.name}", request={cls}Request, '
                f"parameters=rest.IDEMPOTENCY_PARAMETERS, responses={{200: {cls}Response, **rest.IDEMPOTENCY_ERRORS}})"
            )
            out.append("    @rest.idempotent")
            out.append("    def post(self, request: Request) -> Response:")
            out.append(f"        data = rest.validate({cls}Request, request)")
            for p in e.params:
                if p.model and ctx._moved_label(p.model):
                    q = ctx.model_qualname(p.model)
                    imports.add(q.rsplit(".", 1)[0])
                    out.append(f'        if data.get("{p.name}") is not None:')
                    out.append(f'            data["{p.name}"] = rest.get_or_404({q}, data["{p.name}"])')
                elif p.model:
                    out.append(f'        if "{p.name}" in data:')
                    out.append(
                        f'            data["{p.name}"] = monolith.from_dto("{p.model}", rest.plain(data["{p.name}"]))'
                    )
            positional = [p.name for p in e.params if p.kind == "positional_only"]
            args = "".join(f'data.pop("{n}"), ' for n in positional) + "**data"
            tup = "(" + ", ".join(raises) + ",)" if raises else "()"
            # a new instance of a moved model given as an argument and saved by the call goes back with the answer
            out.append("        unsaved = rest.unsaved(data)")
            out.append(f"        with rest.domain_call({tup}):")
            out.append(f"            result = {mod}.{fn}({args})")
            # a declared model is its DTO (the document's schema); anything else the typed encoding (rest.typed)
            encoder = "rest.jsonable" if e.returns_model in models else "rest.typed"
            out.append(f'        return Response({{"result": {encoder}(result), **rest.saved(unsaved)}})')
        elif e.kind == "list":
            q = ctx.model_qualname(e.target)
            imports.add(q.rsplit(".", 1)[0])
            renames = ctx.renames.get(q, {})
            lookups = {f: rename_lookup(f, renames) for f in e.filters}
            out.append(f"    LOOKUPS = {lookups!r}")
            out.append("")
            params = "".join(f'OpenApiParameter("{f}", str, required=False), ' for f in e.filters)
            out.append(
                f'    @extend_schema(operation_id="{e.name}", parameters=[{params}*rest.PAGE_PARAMETERS], '
                f"responses={{200: {cls}Response, **rest.ERRORS}})"
            )
            out.append("    def get(self, request: Request) -> Response:")
            out.append(f"        return rest.listing({q}, request, self.LOOKUPS)")
        elif e.kind == "retrieve":
            q = ctx.model_qualname(e.target)
            imports.add(q.rsplit(".", 1)[0])
            out.append(
                f'    @extend_schema(operation_id="{e.name}", responses={{200: {dto_name(e.target)}, **rest.ERRORS}})'
            )
            out.append("    def get(self, request: Request, id: int) -> Response:")
            out.append(f"        return Response(rest.dto(rest.get_or_404({q}, id)))")
        elif e.kind == "task":
            mod, lines = task_view(e)
            imports.add(mod)
            out += lines
        else:  # event
            name = e.target.rsplit(".", 1)[1]
            out.append(
                f'    @extend_schema(operation_id="{e.name}", request={cls}Request, '
                "parameters=rest.IDEMPOTENCY_PARAMETERS, "
                "responses={202: rest.EventAccepted, **rest.IDEMPOTENCY_ERRORS})"
            )
            out.append("    @rest.idempotent")
            out.append("    def post(self, request: Request) -> Response:")
            out.append(f"        data = monolith.refs_in_payload(rest.validate({cls}Request, request))")
            if ctx.p.module_of(e.target) in ctx.moved:
                imports.add(ctx.p.module_of(e.target))  # type: ignore[arg-type]
                sig = e.target
            else:
                sig = f"signals.{name}"
            out.append(f"        responses = rest.deliver({sig}, data)")
            out.append('        return Response({"receivers": len(responses)}, status=202)')
        out.append("")
        out.append("")
    head = [
        f'"""REST API of the {plan.service} service, generated by decompose from api_spec.endpoints().',
        "",
        "Do not edit by hand: regenerate with `decompose extract`. One view per endpoint; model",
        "instances cross the wire as ids or DTO dicts (rest.dto), never as shared objects.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    head += [f"import {m}" for m in sorted(imports)]
    if imports:
        head.append("")
    head += [
        "from drf_spectacular.utils import OpenApiParameter, extend_schema",
        "from rest_framework import serializers",
        "from rest_framework.request import Request",
        "from rest_framework.response import Response",
        "from rest_framework.views import APIView",
        "",
        f"from {ctx.pkg} import monolith, rest"
        + (", signals" if ctx.signal_copies else "")
        + (f", {TASK_CALLS}" if has_tasks(eps) else ""),
        "",
        "",
        "",
    ]
    body = "\n".join(out).rstrip() + "\n"
    return "\n".join(head) + body


def urls_module(ctx: _Context, eps: tuple[Endpoint, ...]) -> str:
    lines = [
        f'"""URLs of the {ctx.plan.service} service: /healthz, the OpenAPI documents and the generated API."""',
        "",
        "from django.urls import path",
        "from drf_spectacular.views import SpectacularAPIView",
        "",
        f"from {ctx.pkg} import api, query, rest",
        *web_face.urls_imports(ctx.plan),
        "",
        "urlpatterns = [",
        f'    path("{HEALTH_PATH.lstrip("/")}", rest.healthz, name="healthz"),',
        f'    path("{API_PREFIX.lstrip("/")}/openapi.json", rest.OpenAPIDocument.as_view(), name="openapi"),',
        f'    path("{API_PREFIX.lstrip("/")}/schema/", SpectacularAPIView.as_view(), name="schema"),',
    ]
    for e in eps:
        lines.append(f'    path("{e.django_route}", api.{camel(e.name)}.as_view(), name="{e.name}"),')
    prefix = API_PREFIX.lstrip("/")
    lines += [  # the remote ORM of the staying code (query.py)
        f'    path("{prefix}/query/<str:app_label>/<str:model_name>", query.Query.as_view(), name="orm_query"),',
        f'    path("{prefix}/command/<str:app_label>/<str:model_name>", query.Command.as_view(), name="orm_command"),',
        f'    path("{prefix}/_test/reset", query.Reset.as_view(), name="test_reset"),  # DECOMPOSE_TEST_RESET=1 only',
    ]
    lines += [
        "]",
        "",
        *web_face.urls_tail(ctx.plan),
        f'handler400 = "{ctx.pkg}.rest.bad_request"',
        f'handler404 = "{ctx.pkg}.rest.not_found"',
        f'handler500 = "{ctx.pkg}.rest.server_error"',
        "",
    ]
    return "\n".join(lines)


def signals_module(ctx: _Context) -> str:
    lines = [
        f'"""Signals of the monolith that the {ctx.plan.service} service receives (or sends) as events.',
        "",
        "Each is a copy of the monolith's signal; the moved code's imports were rewritten to use it.",
        f"The other side posts the event to {API_PREFIX}/events/<name>, which sends the copy here.",
        '"""',
        "",
        "from django.dispatch import Signal",
        "",
    ]
    bridged: set[str] = set()
    for b in ctx.plan.signal_bridges:
        if b.signal not in ctx.signal_copies:
            continue
        bridged.add(b.signal)
        where = (
            "the monolith posts it" if b.sender_side == "monolith" else "the service sends it; events.py forwards it"
        )
        lines.append(f"#: copy of {b.signal} ({where}); arguments: {', '.join(b.arguments) or '-'}")
        lines.append(f"{b.name} = Signal()")
        lines.append("")
    for signal in sorted(set(ctx.signal_copies) - bridged):  # received here, sent by no code decompose can see
        lines.append(f"#: copy of {signal}: the moved receivers connect to it; no sender of it was found to bridge")
        lines.append(f"{signal.rpartition('.')[2]} = Signal()")
        lines.append("")
    return "\n".join(lines)


#: ``MONOLITH_MODELS`` of monolith.py: label → (field types, the primary key's first, relations to moved models →
#: (target, id column), a generic relation's (name, content type column, object id column), else None)
_Served = dict[str, tuple[dict[str, str], dict[str, tuple[str, str]], tuple[str, str, str] | None]]


def monolith_models_table(ctx: _Context) -> tuple[_Served, dict[str, dict[str, tuple[str, str]]]]:
    """``MONOLITH_MODELS`` of monolith.py (the plan's monolith_models) and the reverse accessors among them the
    references answer (``event.submissions``: staying target label → accessor → (served staying model, its
    field)), both sorted. A generic relation is a foreign key to ``contenttypes.ContentType`` beside an
    ``object_id`` (or ``object_pk``) column."""
    moved = set(ctx.plan.apps)
    served: _Served = {}
    reverse: dict[str, dict[str, tuple[str, str]]] = {}
    for m in ctx.plan.monolith_models:
        mf = ctx.p.model_by_label(m.label)
        relations: dict[str, tuple[str, str]] = {}
        generic: tuple[str, str, str] | None = None
        # a GenericForeignKey (or a subclass) is no column: the content type and object id it names are
        names = [n for n, kind in m.field_types.items() if kind.endswith("GenericForeignKey")]
        for fl in mf.concrete_fields if mf is not None else ():
            if fl.type not in ("ForeignKey", "OneToOneField") or not fl.target:
                continue
            if fl.target == "contenttypes.ContentType" and generic is None and names:
                column = next((c for c in ("object_id", "object_pk") if c in m.field_types), None)
                generic = (names[0], fl.attname, column) if column else None
                continue
            if fl.target.split(".", 1)[0] in moved:
                relations[fl.name] = (fl.target, fl.attname)
            elif fl.type == "ForeignKey" and mf is not None and (accessor := mf.reverse_accessor(fl)) is not None:
                # any staying model's reference answers it (the rows are the served model's)
                reverse.setdefault(fl.target, {})[accessor] = (m.label, fl.name)
        served[m.label] = (
            {k: m.field_types[k] for k in m.fields if k in m.field_types and k not in names},
            dict(sorted(relations.items())),
            generic,
        )
    return dict(sorted(served.items())), {k: dict(sorted(v.items())) for k, v in sorted(reverse.items())}


def reverse_one_to_ones(ctx: _Context) -> dict[str, dict[str, tuple[str, str]]]:
    """``REVERSE_ONE`` of monolith.py: the accessors one-to-one relations give the staying models' references
    (``event.cfp`` for the staying ``CfP.event``, read through the monolith; a moved model's one-to-one to a staying
    model, this service's row): staying target label → accessor → (model label, its field), sorted."""
    moved = set(ctx.plan.apps)
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for m in ctx.plan.monolith_models:
        mf = ctx.p.model_by_label(m.label)
        for fl in mf.concrete_fields if mf is not None else ():
            if fl.type != "OneToOneField" or not fl.target or fl.target.split(".", 1)[0] in moved:
                continue
            if mf is not None and (accessor := mf.reverse_accessor(fl)) is not None:
                out.setdefault(fl.target, {})[accessor] = (m.label, fl.name)
    for c in ctx.plan.fk_cuts:
        if c.direction == "from_moved" and c.field_type == "OneToOneField" and c.reverse_name:
            out.setdefault(c.target, {}).setdefault(c.reverse_name, (c.model, c.field))
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def served_relations(ctx: _Context, served: _Served) -> dict[str, dict[str, tuple[str, str]]]:
    """``RELATED`` of monolith.py: each served staying model's foreign keys (and one-to-ones) by name → (target label,
    id column), sorted; a generic relation's content type is none of them."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for label in served:
        mf = ctx.p.model_by_label(label)
        keys = {
            fl.name: (fl.target, fl.attname)
            for fl in (mf.concrete_fields if mf is not None else ())
            if fl.type in ("ForeignKey", "OneToOneField") and fl.target and fl.target != "contenttypes.ContentType"
        }
        if keys:
            out[label] = dict(sorted(keys.items()))
    return out


def served_many(ctx: _Context, served: _Served) -> dict[str, dict[str, str]]:
    """``MANY`` of monolith.py: each served staying model's many-to-many fields to another served staying model by
    name → that model's label, sorted: what a reference answers with the related rows, read-only."""
    out: dict[str, dict[str, str]] = {}
    for label in served:
        mf = ctx.p.model_by_label(label)
        targets = (
            {fl.name: fl.target for fl in mf.fields if "ManyToMany" in fl.type}
            if mf is not None
            else dict(DJANGO_MODELS[label].many)
            if label in DJANGO_MODELS
            else {}
        )
        many = {name: target for name, target in targets.items() if target in served}
        if many:
            out[label] = dict(sorted(many.items()))
    return out


def served_paths(ctx: _Context, served: _Served) -> dict[str, dict[str, str]]:
    """``PATHS`` of monolith.py: each served staying model's relation names a lookup follows (its forward relations,
    other models' reverse ones by their query names, many-to-many both ways) → the label each leads to, when that
    is another served model or a model of this service, sorted: how a lookup of the service's code through them
    reaches back into the service's rows (``local_split``)."""
    from decompose.extract.plan.lookup_paths import relations

    moved = set(ctx.plan.apps)
    every = relations(ctx.p.models.values())
    out: dict[str, dict[str, str]] = {}
    for label in served:
        names = {n: t for n, t in every.get(label, {}).items() if t in served or t.split(".", 1)[0] in moved}
        if names:
            out[label] = dict(sorted(names.items()))
    return out


def monolith_client_files(plan: ExtractionPlan) -> dict[str, str]:
    """``<pkg>/monolith_client/``: the monolith's own client runtime and remote ORM (the client package's templates),
    rendered here so that the service reads and writes the staying models of ``plan.monolith_models`` through the
    monolith's query and command endpoints (monolith.stand_in); nothing when the moved code queries none."""
    if not plan.monolith_models:
        return {}
    from decompose.extract.client.generator import client_template

    package = f"{plan.package}.monolith_client"
    subst = {"project": plan.package, "package": package}
    base = package.replace(".", "/")
    return {
        f"{base}/__init__.py": (
            f'"""The {plan.service} service\'s client of the monolith: its remote ORM over the staying models '
            "the moved code uses\n(generated by decompose from the monolith's own client templates; configured by "
            'settings.DECOMPOSE_SERVICES["monolith"])."""\n'
        ),
        f"{base}/runtime.py": Template(client_template("runtime.py.tmpl")).substitute(subst),
        f"{base}/wire.py": wire_text(),
        f"{base}/orm.py": Template(client_template("orm.py.tmpl")).substitute(subst),
    }


MONOLITH_CLIENT_SETTINGS = """
#: the remote ORM of the staying models the moved code uses (monolith_client/, monolith.stand_in): the monolith's
#: query and command endpoints, at MONOLITH_URL with this service's own MONOLITH_TOKEN; reads are retried, writes
#: carry an Idempotency-Key
DECOMPOSE_SERVICES = {
    "monolith": {
        "mode": "remote",
        "url": env.str("MONOLITH_URL", default=""),
        "token": env.str("MONOLITH_TOKEN", default=""),
        "read_timeout": env.float("MONOLITH_TIMEOUT", default=5.0),
    }
}
"""


def wire_text() -> str:
    """wire.py: the typed values on the wire, one module for both sides (the monolith's client package, the service,
    and the service's monolith_client/); the module importing it gives it its side (``wire.use``)."""
    return _template("wire.py.tmpl")


def query_core_text(apps: tuple[str, ...], joins: str, served_by: str, jsonable_import: str) -> str:
    """query_core.py: the endpoints of a remote ORM without their web framework, for either side (the service's
    query.py serves the moved models with it; the monolith's inbound.py the staying models a service uses)."""
    return _template("query_core.py.tmpl", apps=repr(apps), joins=joins, served_by=served_by,
                     jsonable_import=jsonable_import)  # fmt: skip


def monolith_module(ctx: _Context) -> str:
    text = _template("monolith.py.tmpl", service=ctx.plan.service).rstrip("\n") + "\n"
    parts: list[str] = [
        "# The apps whose models live in this service: a tagged instance of one is loaded from its table."
    ]
    parts.append(f"OWN_APPS.update({sorted(ctx.plan.apps)!r})")
    members = reference_classes_text(ctx.plan)
    if members:
        parts += ["", "", members.rstrip("\n"), "", ""]
    if ctx.remote_models:
        parts.append("# Models of the monolith the moved code refers to (references by id).")
        for label in sorted(ctx.remote_models):
            parts.append(f'{ctx.remote_models[label]} = _ref_class("{label}")')
        known: dict[str, list[str]] = {}
        for label in sorted(ctx.remote_models):
            mf = ctx.p.model_by_label(label)
            if mf is not None:
                known[label] = sorted({n for f in mf.fields for n in (f.name, f.attname)} | {mf.pk_attname, "pk"})
            elif label in DJANGO_MODELS:  # Django's own: its columns, foreign keys and many-to-many relations
                dm = DJANGO_MODELS[label]
                known[label] = sorted({*dm.fields, *dm.foreign_keys, *dm.many, "pk", "password"})
        if known:
            parts.append("# Their fields: another name read on a reference is the monolith's model's behaviour.")
            parts.append("FIELDS.update({")
            parts += [f"    {k!r}: frozenset({tuple(v)!r})," for k, v in known.items()]
            parts.append("})")
    if ctx.retarget.get("django.contrib.auth.get_user_model") == f"{ctx.pkg}.monolith":
        user = ctx.p.auth_user_model
        parts += [
            "",
            "",
            "def get_user_model() -> type[RemoteRef]:",
            f'    """The monolith\'s user model, {user} (the user table stays where users log in): the moved',
            "    code's ``get_user_model()`` reads its users through the monolith (read-only); ``request.user`` is the",
            '    user of the identity assertion."""',
            f"    return _ref_class({user!r})",
            "",
            "",
        ]
    reverse: dict[str, dict[str, tuple[str, str]]] = {}
    for c in ctx.plan.fk_cuts:  # the accessors the moved models' foreign keys give the monolith's models
        if c.direction == "from_moved" and c.field_type == "ForeignKey" and c.reverse_name:
            reverse.setdefault(c.target, {})[c.reverse_name] = (c.model, c.field)
    served, staying_reverse = monolith_models_table(ctx)
    for target, accessors in staying_reverse.items():
        for accessor, row in accessors.items():
            reverse.setdefault(target, {}).setdefault(accessor, row)
    if served:
        parts.append(
            "# The staying models the moved code queries or writes, or holds references of (read-only): read (and"
            " written)\n# through the monolith."
        )
        parts.append(f"MONOLITH_MODELS.update({served!r})")
        related = served_relations(ctx, served)
        if related:
            parts.append("# Their foreign keys: what a reference loaded from the monolith answers for them.")
            parts.append(f"RELATED.update({related!r})")
        paths = served_paths(ctx, served)
        if paths:
            parts.append("# Their relations a lookup follows, to the models served here or of this service.")
            parts.append(f"PATHS.update({paths!r})")
        many = served_many(ctx, served)
        if many:
            parts.append("# Their many-to-many fields to one another: the related rows, read-only.")
            parts.append(f"MANY.update({many!r})")
    if reverse:
        parts.append(
            "# The monolith's models' accessors of the relations to them: rows of this service, or of the monolith."
        )
        parts.append(f"REVERSE.update({ {k: dict(sorted(v.items())) for k, v in sorted(reverse.items())}!r})")
    ones = reverse_one_to_ones(ctx)
    if ones:
        parts.append("# The monolith's models' accessors of the one-to-one relations to them: one row, or none.")
        parts.append(f"REVERSE_ONE.update({ones!r})")
    for cb in ctx.plan.service_rewrites.callbacks:
        sig_parts: list[str] = []
        names: list[str] = []
        varargs = kwargs = None
        star_done = False
        n_posonly = sum(1 for p in cb.params if p.kind == "positional_only")
        for p in cb.params:
            if p.kind in ("positional_only", "positional"):
                sig_parts.append(p.name + _default(p.default))
                names.append(p.name)
                if p.kind == "positional_only" and len(names) == n_posonly:
                    sig_parts.append("/")
            elif p.kind == "var_positional":
                sig_parts.append(f"*{p.name}")
                varargs, star_done = p.name, True
            elif p.kind == "keyword_only":
                if not star_done:
                    sig_parts.append("*")
                    star_done = True
                sig_parts.append(p.name + _default(p.default))
                names.append(p.name)
            elif p.kind == "var_keyword":
                kwargs = p.name
        if kwargs:
            sig_parts.append(f"**{kwargs}")
        payload = ", ".join(f'"{n}": {n}' for n in names)
        if varargs:
            payload += (", " if payload else "") + f'"{varargs}": list({varargs})'
        if kwargs:
            payload += (", " if payload else "") + f"**{kwargs}"
        parts.append("")
        parts.append("")
        parts.append(f"def {cb.name}({', '.join(sig_parts)}):")
        parts.append(f'    """{cb.qualname} of the monolith, called back over HTTP."""')
        ret = f', returns="{cb.returns_model}"' if cb.returns_model else ""
        parts.append(f'    return call("{cb.qualname}", {{{payload}}}{ret})')
        # a default that is not a literal (e.g. Coupon.Kind.PERCENT) is left to the monolith: DEFAULT is not sent
    if parts:
        text += "\n\n" + "\n".join(parts).lstrip("\n") + "\n"
    return text


def _default(d: str | None) -> str:
    """``=<literal>`` for a literal default (as written), ``=DEFAULT`` (the monolith applies its own) otherwise."""
    if d is None:
        return ""
    try:
        ast.literal_eval(d)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return "=DEFAULT"
    return f"={d}"


def bases_module(ctx: _Context) -> str | None:
    """Abstract base models of staying apps, copied (source and the imports it uses)."""
    if not ctx.abstract_bases:
        return None
    imports: set[str] = set()
    bodies: list[str] = []
    copied: set[int] = set()
    for dotted in ctx.abstract_bases:
        mod, _, name = dotted.rpartition(".")
        m = ctx.p.modules[mod]
        for used_name in definitions_used(m, [name]):  # the class and what it uses from its module (mixins)
            node = m.defs[used_name]
            if id(node) in copied:
                continue
            copied.add(id(node))
            imports |= imports_used(m, node)
            segment = definition_source(m, node)  # decorators included
            line = getattr(node, "lineno", 0)
            what = dotted if used_name == name else f"{mod}.{used_name}, used by {dotted}"
            bodies.append(f"# copied from {m.path}:{line} ({what}), which stays in the monolith\n{segment}")
    head = ['"""Abstract base models of the monolith that moved models inherit from (copied by decompose)."""', ""]
    return "\n".join(head + sorted(imports) + ["", "", ""]) + "\n\n\n".join(bodies) + "\n"


def events_module(ctx: _Context) -> str | None:
    outgoing = [b for b in ctx.plan.signal_bridges if b.sender_side == "service"]
    if not outgoing:
        return None
    lines = [
        f'"""Signals sent in the {ctx.plan.service} service whose receivers stayed in the monolith: forwarded.',
        "",
        "Connected in apps.py (ready). Generated by decompose.",
        '"""',
        "",
        "from django.dispatch import receiver",
        "",
    ]
    mods = sorted({m for b in outgoing if (m := ctx.p.module_of(b.signal)) is not None and m in ctx.moved})
    lines += [f"import {m}" for m in mods]
    if mods:
        lines.append("")
    lines.append(
        f"from {ctx.pkg} import monolith"
        + (", signals" if any(b.signal in ctx.signal_copies for b in outgoing) else "")
    )
    for b in outgoing:
        ref = b.signal if b.signal not in ctx.signal_copies else f"signals.{b.name}"
        lines += [
            "",
            "",
            f'@receiver({ref}, dispatch_uid="decompose.forward.{b.name}")',
            f"def forward_{b.name}(sender, **kwargs):",
            f'    """Post {b.name} to the monolith (receivers: {", ".join(b.receivers)})."""',
            f'    monolith.post_event("{b.name}", {{k: v for k, v in kwargs.items() if k != "signal"}})',
        ]
    return "\n".join(lines) + "\n"


def apps_module(ctx: _Context, with_events: bool, with_cuts: bool = False) -> str:
    cls = camel(ctx.pkg) + "Config"
    lines = [
        f'"""App config of the {ctx.plan.service} service package (generated by decompose)."""',
        "",
        "from django.apps import AppConfig",
        "",
        "",
        f"class {cls}(AppConfig):",
        f'    name = "{ctx.pkg}"',
    ]
    startup = ctx.plan.service_rewrites.startup
    if with_events or startup or with_cuts or ctx.suite_mail:
        lines += ["", "    def ready(self) -> None:"]
    if ctx.suite_mail:  # a service started for the suite: Django's test backend relays its mails (suite_mail.py)
        lines += [f"        from {ctx.pkg} import suite_mail", "", "        suite_mail.install()"]
    if with_events:
        lines.append(f"        from {ctx.pkg} import events  # noqa: F401")
    if with_cuts:  # query paths through the cut foreign keys (cut_relations.py)
        lines.append(f"        from {ctx.pkg} import {cut_relations.MODULE}")
        lines.append("")
        lines.append(f"        {cut_relations.MODULE}.install()")
    if startup:  # what the monolith's staying apps register when ready, into code copied here
        lines += [f"        import {mod}  # noqa: F401" for mod in startup]
    return "\n".join(lines) + "\n"


def nullable_fields(ctx: _Context) -> dict[str, frozenset[str]]:
    """The attnames of each interface model's fields that may hold null (``null=True``): their DTO says so."""
    out = {}
    for m in ctx.plan.interface_models:
        mf = ctx.p.model_by_label(m.label)
        if mf is not None:
            out[m.label] = frozenset(f.attname for f in mf.concrete_fields if f.nullable)
    return out


def served_models(ctx: _Context) -> dict[str, tuple[str, ...]]:
    """The models the remote ORM (query.py) serves: every concrete model of the moved apps, by app label."""
    found: dict[str, set[str]] = defaultdict(set)
    for mf in ctx.p.models.values():
        app, name = mf.label.split(".", 1)
        if app in ctx.plan.apps and not mf.abstract:
            found[app].add(name)
    return {a: tuple(sorted(found[a])) for a in sorted(ctx.plan.apps)}


#: the remote ORM's operations (query.py), in the document and the views beside the endpoints
ORM_OPERATIONS = [("POST", f"{API_PREFIX}/query/{{app_label}}/{{model_name}}"),
                  ("POST", f"{API_PREFIX}/command/{{app_label}}/{{model_name}}")]  # fmt: skip


def api_tests_module(ctx: _Context, eps: tuple[Endpoint, ...]) -> str:
    ops = [(e.method, e.path) for e in eps] + ORM_OPERATIONS
    posts = [e.path for e in eps if e.method == "POST"]
    retrieves = [e.path for e in eps if e.kind == "retrieve"]
    return _template(
        "test_api.py.tmpl",
        service=ctx.plan.service,
        package=ctx.pkg,
        operations=repr(ops),
        posts=repr(posts),
        retrieves=repr(retrieves),
    )


def readme(ctx: _Context, eps: tuple[Endpoint, ...], missing_settings: list[str], notes: Sequence[str] = ()) -> str:
    plan = ctx.plan
    rows = "\n".join(f"| `{e.method}` | `{e.path}` | {e.kind} | `{e.target}` |" for e in eps) or "| | | (none) | |"
    kernel = (
        ", ".join([*(f"the app `{a}`" for a in plan.kernel_apps), *(f"`{m}`" for m in plan.shared_kernel)]) or "(none)"
    )
    missing = (
        "\n\nThe moved code reads settings that could not be copied (not literal values in the monolith's "
        "settings); define them in `"
        + ctx.pkg
        + "/settings.py`: "
        + ", ".join(f"`{n}`" for n in missing_settings)
        + "."
        if missing_settings
        else ""
    ) + "".join(f"\n\nTODO: {n}" for n in notes)
    return _template(
        "README.md.tmpl",
        service=plan.service,
        package=ctx.pkg,
        apps=", ".join(f"`{a}`" for a in plan.apps),
        endpoints=rows,
        kernel=kernel,
        token_env=TOKEN_ENV,
        missing=missing,
    )


#: What the service itself needs beyond Django, when the monolith does not pin it (its pin wins: it
#: knows which versions work with its Django).
SERVICE_REQUIREMENTS = (
    ("djangorestframework", "djangorestframework>=3.15,<4"),
    ("drf-spectacular", "drf-spectacular>=0.27,<1"),
)
#: Django when the monolith pins no version (a TODO in the README says so).
FALLBACK_DJANGO = "Django>=5.2,<5.3"


def _requirement_names(text: str) -> set[str]:
    """Canonical names of the requirement lines of a requirements file (comments and options left out)."""
    out: set[str] = set()
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            try:
                out.add(canonicalize_name(Requirement(line).name))
            except InvalidRequirement:
                continue
    return out


def _absolute_imports(text: str) -> list[tuple[str, int]]:
    """(module, line) of the absolute imports of generated module text (outside ``if TYPE_CHECKING:``)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    guarded = [n for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)]
    checking = {id(n) for node in guarded for n in ast.walk(node)}
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.append((node.module, node.lineno))
    return out


def requirements_files(ctx: _Context, files: Mapping[str, str | bytes]) -> tuple[str, str, list[str]]:
    """``requirements.txt``, ``requirements-dev.txt`` and README TODOs: the monolith's own pins for Django,
    for what the service needs, and for every third-party package the copied modules import (those only
    the copied tests import go to requirements-dev.txt). An import no distribution is known for is a TODO."""
    index = ctx.p
    pins = monolith_pins(index.root)
    # the project's and the service's own top-level packages are not requirements
    tops = {name.split(".", 1)[0] for name in index.modules} | {rel.split("/", 1)[0] for rel in files}
    # top-level import → (is it used outside tests, where it is imported)
    imported: dict[str, tuple[bool, list[str]]] = {}
    for rel in sorted(r for r in files if r.endswith(".py")):
        m = ctx.by_path.get(rel)
        content = files[rel]
        if m is not None:
            found = [(i.module, i.line) for i in m.facts.imports if "type_checking" not in i.flags]
            test = m.test
        elif isinstance(content, str):  # generated here (bases.py copies a staying module's imports)
            found = _absolute_imports(content)
            test = "/tests/" in f"/{rel}"
        else:
            continue
        for module, line in found:
            top = module.split(".", 1)[0]
            if not top or top in tops or is_stdlib(top) or top == "django":
                continue
            outside_tests, where = imported.get(top, (False, []))
            imported[top] = (outside_tests or not test, [*where, f"{rel}:{line}"])
    notes: list[str] = []
    django = pins.get("django")
    if django is not None:
        django_line = f"{django.line}  # the monolith's pin ({django.source})"
    else:
        django_line = f"{FALLBACK_DJANGO}  # TODO(decompose): the monolith pins no Django version"
        notes.append(
            f"The monolith pins no Django version; `requirements.txt` assumes `{FALLBACK_DJANGO}`: set the one it runs."
        )
    own = {}
    for name, default in SERVICE_REQUIREMENTS:
        pin = pins.get(canonicalize_name(name))
        own[name] = f"{pin.line}  # the monolith's pin ({pin.source})" if pin is not None else default
    values = {
        "service": ctx.plan.service,
        "django": django_line,
        "djangorestframework": own["djangorestframework"],
        "drf_spectacular": own["drf-spectacular"],
    }
    listed = _requirement_names(_template("requirements.txt.tmpl", **values, extra_requirements=""))
    listed_dev = listed | _requirement_names(_template("requirements-dev.txt.tmpl", extra_requirements=""))
    installed = installed_top_levels(index.root) if imported else {}
    # what the templates list already maps an import too (dj_database_url: dj-database-url); a pin wins
    known = {**{name: Pin(name, "the service's template") for name in sorted(listed_dev)}, **pins}
    # monolith_client/ (the monolith's own client runtime, for the staying models the moved code uses): its packages
    # at the versions decompose runs the client with, unless the monolith pins them
    client = {} if not ctx.plan.monolith_models else {
        name: Pin(f"{name}=={version}", "the client runtime's, monolith_client/")
        for name, version in CLIENT_VERSIONS.items() if canonicalize_name(name) not in pins
    }  # fmt: skip
    known = {**client, **known}
    runtime: dict[str, list[str]] = defaultdict(list)
    dev: dict[str, list[str]] = defaultdict(list)
    unknown: list[str] = []
    for top in sorted(imported):
        used_at_runtime, where = imported[top]
        dist = distribution_for(top, known, installed)
        if dist is None:
            unknown.append(f"`{top}` ({', '.join(where[:3])}{', ...' if len(where) > 3 else ''})")
            continue
        (runtime if used_at_runtime else dev)[dist].append(top)

    def lines(found: dict[str, list[str]], skip: set[str]) -> str:
        out = []
        for dist in sorted(found, key=canonicalize_name):
            if canonicalize_name(dist) in skip:
                continue
            imports = ", ".join(found[dist])
            pin = pins.get(canonicalize_name(dist)) or client.get(dist)
            if pin is not None:
                out.append(f"{pin.line}  # {imports} ({pin.source})")
            else:
                out.append(f"{dist}  # {imports}: TODO(decompose): not pinned by the monolith")
                notes.append(
                    f"`{dist}` (imported as `{imports}`) is not pinned by the monolith: "
                    "`requirements` lists it unpinned."
                )
        return "".join(f"{ln}\n" for ln in out)

    extra = lines(runtime, listed)
    at_runtime = {canonicalize_name(x) for x in runtime}
    extra_dev = lines({d: i for d, i in dev.items() if canonicalize_name(d) not in at_runtime}, listed_dev)
    if unknown:
        notes.append(
            "The moved code imports packages decompose could not map to a distribution (add them to "
            "`requirements.txt`): " + ", ".join(unknown) + "."
        )
    head = "# Imported by the moved code, as the monolith pins them:\n" if extra else ""
    head_dev = "# Imported by the moved tests, as the monolith pins them:\n" if extra_dev else ""
    text = _template("requirements.txt.tmpl", **values, extra_requirements=head + extra).rstrip("\n") + "\n"
    dev_text = _template("requirements-dev.txt.tmpl", extra_requirements=head_dev + extra_dev).rstrip("\n") + "\n"
    return text, dev_text, notes


def external_apps(ctx: _Context, files: Mapping[str, str | bytes]) -> list[str]:
    """The monolith's ``INSTALLED_APPS`` entries outside the project that the copied code needs installed,
    in the monolith's order: a ``django.contrib`` app whose models it imports (``django.contrib.sites.models``),
    any other (third-party) app it imports anything of. The settings template's own apps are left out."""
    template = _template(
        "settings.py.tmpl", service="", package="", installed_apps="", copied_settings="", default_auto_field=""
    )
    imported: set[str] = set()
    for rel in files:
        m = ctx.by_path.get(rel) if rel.endswith(".py") else None
        if m is not None:
            for imp in m.facts.imports:
                if "type_checking" not in imp.flags:  # `from django.contrib import admin` imports django.contrib.admin
                    imported.update((imp.module, f"{imp.module}.{imp.name}") if imp.name else (imp.module,))
    out = []
    for entry in ctx.p.project.external_apps.values():
        package = entry.split(".apps.", 1)[0] if ".apps." in entry else entry
        if f'"{entry}"' in template or f'"{package}"' in template:
            continue
        # a contrib app is needed for its models, the admin as soon as anything registers with it
        needed = f"{package}.models" if package.startswith("django.contrib.") and package not in ADMIN_APPS else package
        if any(mod == needed or mod.startswith(needed + ".") for mod in imported):
            out.append(entry)
    if any(e.split(".apps.", 1)[0] == "django.contrib.admin" for e in out):  # the admin's own requirements
        out += [a for a in ADMIN_APPS[1:] if a not in out and f'"{a}"' not in template]
    return out


#: the admin and the contrib apps it needs installed (admin.E401-E406)
ADMIN_APPS = ("django.contrib.admin", "django.contrib.sessions", "django.contrib.messages")
#: what the admin needs beside its apps: appended to the service's settings when it is installed
ADMIN_SETTINGS = """
# The moved code registers models with the admin: what the admin needs (admin.E403-E410).
MIDDLEWARE += [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"] += [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
"""


def pytest_ini(ctx: _Context) -> str:
    """pytest.ini collecting the monolith's own test file patterns (and the service's ``test_api.py``)."""
    patterns, _source = python_file_patterns(ctx.root)
    if not any(fnmatch.fnmatch("test_api.py", p) for p in patterns):
        patterns = (*patterns, "test_*.py")
    return _template("pytest.ini.tmpl", package=ctx.pkg, python_files=" ".join(patterns))


def _read_file(index: F.CodeIndex, rel: str) -> str | bytes:
    """A file of the project, read through the analysis's filters (regular file, size cap): text when it is
    UTF-8 without NUL bytes (written back byte for byte), else its bytes (copied as they are). A Python
    module must be text: the codemods rewrite it."""
    try:
        data = read_source(str(index.root / rel), index.project.config.max_file_bytes)
    except SourceError as exc:
        raise InputError(f"{rel}: cannot be copied into the service ({exc.reason})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\0" not in text:
        return text
    if rel.endswith(".py"):
        raise InputError(f"{rel}: a Python module that is not UTF-8 text cannot be rewritten; convert it to UTF-8")
    return data


def service_files(plan: ExtractionPlan, index: F.CodeIndex) -> dict[str, str | bytes]:
    """Every file of the service, ``{path relative to extracted/<service>/: text or bytes}``, from the plan
    and the analysed project it was made from. Files of the moved apps that are not text (images, fonts,
    compiled catalogs) are bytes, copied byte for byte."""
    ctx = _Context(plan, index)
    app_paths = index.app_paths
    eps = endpoints(plan)
    pkg = ctx.pkg
    files: dict[str, str | bytes] = {}
    for rel in plan.moved_files:
        content = _read_file(index, rel)
        files[rel] = ctx.rewrite(rel, content) if rel.endswith(".py") and isinstance(content, str) else content
    for mod in plan.shared_kernel:
        m = ctx.p.modules.get(mod)
        if m is not None:
            files[m.path] = m.source
    files.update(vendored_files(plan, index, ctx.rewrite))
    max_bytes = index.project.config.max_file_bytes
    for app in plan.kernel_apps:
        folder = app_paths[app]
        found, _skipped = walk_files(index.root, folder, max_bytes)
        for rel in found:
            parts = rel[len(folder) + 1 :].split("/")
            if "tests" in parts[:-1] or parts[-1].startswith("test_") or parts[-1] in ("tests.py", "conftest.py"):
                continue
            files[rel] = _read_file(index, rel)
    copied, missing = ctx.copied_settings()
    app_names = {a.label: a.name for a in index.apps}  # the app modules as INSTALLED_APPS spells them (src/ layouts)
    own_apps = [app_names.get(a) or app_paths[a].replace("/", ".") for a in (*plan.kernel_apps, *plan.apps)]
    externals = external_apps(ctx, files)
    installed = "".join(f'    "{entry}",\n' for entry in (*externals, *own_apps))
    admin = any(e.split(".apps.", 1)[0] == "django.contrib.admin" for e in externals)
    if web_face.enabled(plan):  # the pages' settings include what the admin needs
        copied = (copied + web_face.settings_block(plan, copied, ctx.settings_values())).lstrip("\n")
    else:
        if admin:
            copied = (copied + ADMIN_SETTINGS) if copied else ADMIN_SETTINGS.lstrip("\n")
        if web_face.renders_templates(plan):  # no pages, but the moved code renders templates (mail bodies)
            copied = (copied + web_face.templates_block(plan)).lstrip("\n")
    files["manage.py"] = _template("manage.py.tmpl", service=plan.service, package=pkg)
    files[f"{pkg}/__init__.py"] = f'"""The {plan.service} service (generated by decompose)."""\n'
    files[f"{pkg}/settings.py"] = (
        _template(
            "settings.py.tmpl",
            service=plan.service,
            package=pkg,
            installed_apps=installed,
            copied_settings=("\n" + copied) if copied else "",
            default_auto_field=ctx.default_auto_field(),
        ).rstrip("\n")
        + "\n"
        + (MONOLITH_CLIENT_SETTINGS if plan.monolith_models else "")
        + celery_settings.settings_text(ctx.eager_settings())
    )
    files[f"{pkg}/wsgi.py"] = _template("wsgi.py.tmpl", service=plan.service, package=pkg)
    files[f"{pkg}/rest.py"] = _template("rest.py.tmpl", service=plan.service, package=pkg)
    joins = join_models(plan)
    files[f"{pkg}/query.py"] = _template("query.py.tmpl", service=plan.service, package=pkg)
    files[f"{pkg}/query_core.py"] = query_core_text(
        apps=tuple(plan.apps), joins=query_table(joins), served_by=f"the {plan.service} service",
        jsonable_import=f"from {pkg}.rest import jsonable",
    )  # fmt: skip
    files[f"{pkg}/monolith.py"] = monolith_module(ctx) + stand_ins_text(plan)
    files[f"{pkg}/wire.py"] = wire_text()
    if ctx.suite_mail:
        files[f"{pkg}/suite_mail.py"] = _template("suite_mail.py.tmpl", service=plan.service, package=pkg)
    cuts = cut_relations.module_text(pkg, plan.service, plan.fk_cuts)
    if cuts is not None:
        files[f"{pkg}/{cut_relations.MODULE}.py"] = cuts
    files.update(monolith_client_files(plan))
    bases = bases_module(ctx)
    if bases is not None:
        files[f"{pkg}/bases.py"] = bases
    events = events_module(ctx)
    if events is not None:
        files[f"{pkg}/events.py"] = events
    files[f"{pkg}/apps.py"] = apps_module(ctx, events is not None, cuts is not None)
    files[f"{pkg}/auth.py"] = _template("auth.py.tmpl", service=plan.service)
    files[f"{pkg}/models.py"] = _template("models.py.tmpl", service=plan.service) + joins_models_text(joins)
    files[f"{pkg}/migrations/__init__.py"] = ""
    files[f"{pkg}/migrations/0001_initial.py"] = _template("migration_0001.py.tmpl", service=plan.service)
    if joins:
        files[f"{pkg}/migrations/0002_join_tables.py"] = joins_migration_text(pkg, joins)
    files[f"{pkg}/management/__init__.py"] = ""
    files[f"{pkg}/management/commands/__init__.py"] = ""
    files[f"{pkg}/management/commands/relay_outbox.py"] = _template(
        "relay_outbox.py.tmpl", service=plan.service, package=pkg
    )
    files[f"{pkg}/management/commands/prune_decompose.py"] = _template(
        "prune_decompose.py.tmpl", service=plan.service, package=pkg
    )
    for command, module in plan.service_rewrites.commands.items():  # the monolith's override, from its copy
        files[f"{pkg}/management/commands/{command}.py"] = _template(
            "monolith_command.py.tmpl", command=command, module=module
        )
    files[f"{pkg}/api.py"] = api_module(ctx, eps)
    if has_tasks(eps):
        files[f"{pkg}/{TASK_CALLS}.py"] = _template(f"{TASK_CALLS}.py.tmpl", service=plan.service, package=pkg)
    files[f"{pkg}/urls.py"] = urls_module(ctx, eps)
    sources = {m: (ctx.p.modules[m].path, ctx.p.modules[m].source) for m in plan.web.modules if m in ctx.p.modules}
    files.update(web_face.files_for(plan, lambda rel: _read_file(index, rel), sources, admin))
    if ctx.signal_copies:
        files[f"{pkg}/signals.py"] = signals_module(ctx)
    files[f"{pkg}/tests/__init__.py"] = ""
    files[f"{pkg}/tests/test_api.py"] = api_tests_module(ctx, eps)
    rw = plan.service_rewrites
    from_monolith = (*plan.shared_kernel, *rw.vendored, *rw.slices)  # every module copied from the monolith
    packages = sorted({pkg, *(plan.app_module(a) for a in plan.apps), *from_monolith})
    files[f"{pkg}/tests/test_imports.py"] = _template(
        "test_imports.py.tmpl", service=plan.service, packages=repr(packages)
    )
    own = {f"{pkg}/{name}" for name in web_face.OWN_FILES}  # their imports are the service's own requirements
    requirements, files["requirements-dev.txt"], requirement_notes = requirements_files(
        ctx, {k: v for k, v in files.items() if k not in own}
    )
    files["requirements.txt"] = requirements + web_face.requirements_lines(
        plan, requirements, {k: p.line for k, p in monolith_pins(index.root).items()}
    )
    files["pytest.ini"] = pytest_ini(ctx)
    files["Dockerfile"] = _template("Dockerfile.tmpl", service=plan.service, package=pkg)
    files[".dockerignore"] = _template("dockerignore.tmpl")
    files["openapi.json"] = document_json(plan, eps, nullable_fields(ctx), served_models(ctx))
    files["README.md"] = web_face.readme(plan, readme(ctx, eps, missing, requirement_notes), admin)
    from decompose.extract.report import plan_markdown

    files["EXTRACTION.md"] = plan_markdown(plan)
    files["extraction-plan.json"] = plan.to_json()
    return {k: files[k] for k in sorted(files)}

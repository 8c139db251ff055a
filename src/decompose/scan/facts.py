"""What scanning one file yields: :class:`ModuleFacts`, a pure value.

Scanning is a pure function of ``(module name, is_package, migration, source
bytes)``; its result is cached by content hash and computed in worker
processes, so everything here must pickle quickly and compare by value. The
small records are ``NamedTuple`` (immutable like a frozen dataclass, and
several times faster to pickle, which matters for the warm-cache path).

Names in the facts are *chains*: absolute dotted paths such as
``orders.models.Order.objects.filter`` obtained by replacing the first name of
an expression with what the module's imports bound it to. Which prefix of a
chain is a module is only known when all files are known, so resolution is
the build step's job (:mod:`decompose.graph`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

#: Bump when the facts a scan produces change, so cached facts are recomputed.
ANALYSER_VERSION = "9"


class Import(NamedTuple):
    """One imported name: ``import a.b`` (name ``""``) or ``from a import b`` (name ``"b"``)."""

    module: str  # absolute dotted module the statement names (relative imports resolved)
    name: str  # imported name for ``from`` imports ("*" for a star import); "" for ``import a.b``
    line: int
    flags: tuple[str, ...]  # subset of ("type_checking", "local")


class Use(NamedTuple):
    """One use of something that may live in another module.

    ``ref`` says how the build resolves ``target``:

    ``chain``        absolute dotted chain (module prefix + attributes)
    ``star``         a bare name that may come from a star import
    ``label``        ``"app_label.Model"`` (a lazy model reference)
    ``bare``         ``"Model"``: a model of the same app
    ``setting``      a settings name whose value is ``"app_label.Model"`` (``AUTH_USER_MODEL``)
    ``dotted``       a dotted path string (``include("shop.urls")``, ``import_string``, settings)
    ``signal``       a chain that is a signal if the target defines one (``x.send()``/``x.connect()``), else a call
    ``migration``    ``"app_label:migration_name"`` from a migration's ``dependencies``
    ``setting_dep``  a migration's ``swappable_dependency(settings.NAME)``
    ``class``        ``"<module prefix>|<app label>.<module>|<Class>"``: a class loaded by an app-relative
                     module label (django-oscar's ``get_class("basket.forms", "AddToBasketForm")``)
    ``model``        ``"@app_label.Model"`` (a model loaded by name: ``X = get_model("app", "Model")``, then
                     ``X.objects...``) or ``"@@SETTING"`` (``get_user_model()``: the model the setting names)
    ``related``      ``"<model chain>:<attr>:<attr>...[|<lookup>]"``; the chain may be a ``model`` target:
                     an instance (or queryset) of a model whose class is knowable, followed through
                     relation attributes (forward
                     fields, ``related_name`` / ``<model>_set`` accessors), then through the
                     segments of an ORM lookup (``order__customer``); the build step keeps the
                     hops that are relations of the project's models
    """

    kind: str  # one of graph.EDGE_KINDS
    ref: str
    target: str
    line: int
    flags: tuple[str, ...]


class FieldFact(NamedTuple):
    """One model field declared in a class body (``name = models.CharField(max_length=40, null=True)``).

    What extraction needs to rebuild the model in a service and to cut relations: the field class's
    last name, the relation target (a chain, ``*Name`` or ``=`` + the string written, as in
    :attr:`ClassFact.fields`; "" for other fields), ``on_delete`` as written, and the literal options.
    """

    name: str
    line: int
    type: str  # the field class's last name: "CharField", "ForeignKey", ...
    target: str  # relation target (see above), "" when not a relation
    null: bool
    db_column: str  # "" when not given
    on_delete: str  # source text of the on_delete argument, "" when not given
    related_name: str
    #: literal size options (max_length, max_digits, decimal_places)
    options: tuple[tuple[str, int], ...]
    #: ``primary_key=True`` written: the model's primary key instead of the implicit ``id``
    primary_key: bool = False


class ClassFact(NamedTuple):
    """A top-level class: enough to tell Django models and AppConfigs apart."""

    name: str
    line: int
    bases: tuple[str, ...]  # chains; "*Name" when the base may come from a star import
    attrs: tuple[tuple[str, str | bool], ...]  # constant class attributes (name, label, ...)
    meta: tuple[tuple[str, str | bool], ...]  # constant attributes of the inner ``class Meta``
    #: relation fields: (name, "fk" | "o2o" | "m2m", target, related_name, related_query_name);
    #: target is a chain, "*Name" (star import), or "=" + the string written ("=self", "=app.Model", "=Model")
    fields: tuple[tuple[str, str, str, str, str], ...] = ()
    #: every field-like assignment of the class body (``x = ...Field(...)`` / ``...ForeignKey(...)``)
    model_fields: tuple[FieldFact, ...] = ()


class AtomicFact(NamedTuple):
    """One ``with transaction.atomic()`` block or ``@transaction.atomic`` function."""

    line: int
    chains: tuple[str, ...]  # chains of imported names used inside


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    """Everything the build step needs from one file."""

    module: str
    is_package: bool
    lines: int
    imports: tuple[Import, ...] = ()
    uses: tuple[Use, ...] = ()
    classes: tuple[ClassFact, ...] = ()
    atomic_blocks: tuple[AtomicFact, ...] = ()
    #: module-level names bound by imports -> chain (re-exports through ``__init__``)
    exports: tuple[tuple[str, str], ...] = ()
    #: names defined at module level (def, class, assignment)
    defs: frozenset[str] = frozenset()
    #: module-level ``name = Signal()`` definitions
    signals: frozenset[str] = frozenset()
    #: ``__all__`` when it is a literal list of strings
    all_names: tuple[str, ...] | None = None
    #: module-level constants (str, bool or list of str): what discovery reads from settings
    constants: tuple[tuple[str, str | bool | tuple[str, ...]], ...] = ()
    #: module-level string constants that look like dotted paths, with their line
    dotted_strings: tuple[tuple[str, int], ...] = ()
    #: "ast", or "libcst" when the syntax is newer than the running interpreter
    parser: str = "ast"
    #: ``django.conf.settings.NAME`` reads: (NAME, line)
    settings_reads: tuple[tuple[str, int], ...] = ()

    def constant(self, name: str) -> str | bool | tuple[str, ...] | None:
        for k, v in self.constants:
            if k == name:
                return v
        return None

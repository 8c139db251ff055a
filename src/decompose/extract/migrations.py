"""The data-safe Django migration for foreign keys cut in the monolith.

A staying model's foreign key to a moved model becomes a plain id field on the same
column (see :mod:`decompose.extract.codemods.fk_to_id`). The migration never drops a
table or a column:

1. ``AlterField`` to the same relation with ``db_constraint=False``: only the
   database constraint goes (the moved table may leave later); on SQLite Django
   rebuilds the table and copies every row.
2. ``SeparateDatabaseAndState``: in Django's *state* the relation is removed and an
   integer field ``<name>_id`` on the same column is added; the *database* is not
   touched (``database_operations=[]``), so every value stays where it is.

The moved models' own tables are not touched by the monolith at all: in ``remote``
mode their app is simply not installed (uninstalling an app never drops its tables);
their data is copied to the service and only then dropped, by hand (MIGRATION.md).

Example::

    >>> cut = FieldCut(
    ...     "Line", "invoice", "billing.Invoice", "ForeignKey",
    ...     [("null", "True"), ("db_index", "True")], [("null", "True")],
    ... )
    >>> text = migration_source("sales", ["0001_initial"], [cut], "billing")
    >>> "SeparateDatabaseAndState" in text and "RemoveField" in text and "RemoveModel" not in text
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from decompose.scan.source import read_text

_NUMBERED = re.compile(r"^(\d{4})_\w+\.py$")


@dataclass(frozen=True, slots=True)
class FieldCut:
    """One foreign key of a staying model turned into an id field."""

    model: str
    field: str
    target: str
    field_type: str
    id_kwargs: Sequence[tuple[str, str]]
    fk_kwargs: Sequence[tuple[str, str]]


def leaf_migrations(folder: Path, app_label: str) -> list[str]:
    """Names of the app's leaf migrations: numbered files no other migration of the app depends on."""
    if not folder.is_dir():
        return []
    names = sorted(p.stem for p in folder.iterdir() if _NUMBERED.match(p.name))
    referenced: set[str] = set()
    for n in names:
        text = read_text(folder, f"{n}.py")
        if text is None:  # not a regular file, or too large: not a migration Django would load either
            continue
        referenced.update(
            re.findall(rf"\(\s*['\"]{re.escape(app_label)}['\"]\s*,\s*['\"](\d{{4}}_\w+)['\"]\s*\)", text)
        )
    return [n for n in names if n not in referenced]


def next_number(folder: Path) -> int:
    nums = [int(m.group(1)) for p in folder.iterdir() if (m := _NUMBERED.match(p.name))] if folder.is_dir() else []
    return max(nums, default=0) + 1


def existing_cut_migration(folder: Path, service: str) -> str | None:
    """The migration this tool already wrote for ``service`` (a second run writes none)."""
    if not folder.is_dir():
        return None
    for p in sorted(folder.iterdir()):
        if _NUMBERED.match(p.name) and p.stem.endswith(f"_decompose_cut_{service}"):
            return p.name
    return None


def migration_name(folder: Path, service: str) -> str:
    return f"{next_number(folder):04d}_decompose_cut_{service}"


def _kw(pairs: Sequence[tuple[str, str]]) -> str:
    return "".join(f", {k}={v}" for k, v in pairs)


def migration_source(app_label: str, dependencies: Sequence[str], cuts: Sequence[FieldCut], service: str) -> str:
    """The text of the migration of ``app_label`` for its cut foreign keys."""
    deps = "".join(f'        ("{app_label}", "{d}"),\n' for d in dependencies)
    ops: list[str] = []
    for c in sorted(cuts, key=lambda c: (c.model, c.field)):
        model = c.model.lower()
        target = c.target.lower() if "." in c.target else c.target
        fk_kw = [(k, v) for k, v in c.fk_kwargs if k != "to_field"]
        ops.append(
            f"        # {c.model}.{c.field} → {c.model}.{c.field}_id: "
            f"first only the constraint goes (same column, rows copied as they are)\n"
            f"        migrations.AlterField(\n"
            f'            model_name="{model}",\n'
            f'            name="{c.field}",\n'
            f"            field=models.{c.field_type}("
            f'on_delete=models.DO_NOTHING, db_constraint=False, to="{target}"{_kw(fk_kw)}),\n'
            f"        ),\n"
            f"        # then Django's state forgets the relation and knows the id column; the database is not touched\n"
            f"        migrations.SeparateDatabaseAndState(\n"
            f"            state_operations=[\n"
            f'                migrations.RemoveField(model_name="{model}", name="{c.field}"),\n'
            f"                migrations.AddField(\n"
            f'                    model_name="{model}",\n'
            f'                    name="{c.field}_id",\n'
            f"                    field=models.BigIntegerField({', '.join(f'{k}={v}' for k, v in c.id_kwargs)}),\n"
            f"                ),\n"
            f"            ],\n"
            f"            database_operations=[],\n"
            f"        ),\n"
        )
    return (
        f'"""Cut the foreign keys of {app_label} to models that moved into the {service} service.\n'
        "\n"
        "Generated by decompose. No table and no column is dropped: the relation becomes a plain\n"
        "id field on the same column, and only the database constraint to the moved table goes.\n"
        '"""\n'
        "\n"
        "from django.db import migrations, models\n"
        "\n"
        "\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [\n"
        f"{deps}"
        "    ]\n"
        "\n"
        "    operations = [\n"
        f"{''.join(ops)}"
        "    ]\n"
    )

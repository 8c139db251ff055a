"""A moved app's data migrations follow the relations cut to ids (issue 13: a service that stands up).

pretalx's schedule/migrations/0018_talkslot_slot_type.py runs
``TalkSlot.objects.filter(submission__isnull=True).update(slot_type="break")``; in the service
``submission`` (to the staying submission.Submission) is the id column ``submission_id``, and the service's
``migrate`` failed with ``FieldError: Cannot resolve keyword 'submission' into field``.
"""

from __future__ import annotations

import ast
import textwrap

import libcst as cst

from decompose.extract.codemods.chain import module_context
from decompose.extract.codemods.moved_imports import ModelCut, migration_command
from decompose.extract.plan import ForeignKeyCut
from decompose.graph import Evidence

SLOT_SUBMISSION = ModelCut(
    ForeignKeyCut(
        "from_moved", "schedule.TalkSlot", "submission", "submission.Submission", "submission_id", True,
        Evidence("schedule/models.py", 1), "ForeignKey",
    ),
    "schedule.models.TalkSlot",
)  # fmt: skip


def _migrate(src: str) -> str:
    ctx = module_context("schedule.migrations.0018_slot_type")
    source = textwrap.dedent(src)
    once = migration_command(ctx, [SLOT_SUBMISSION], ["submission"]).transform_module(cst.parse_module(source)).code
    ast.parse(once)
    twice = migration_command(ctx, [SLOT_SUBMISSION], ["submission"]).transform_module(cst.parse_module(once)).code
    assert twice == once, "a second run must change nothing"
    return once


def test_a_data_migrations_lookups_over_a_cut_relation_name_its_id_column() -> None:
    out = _migrate(
        """
        from django.db import migrations


        def set_breaks(apps, schema_editor):
            TalkSlot = apps.get_model("schedule", "TalkSlot")
            TalkSlot.objects.filter(submission__isnull=True).update(slot_type="break")
            TalkSlot.objects.exclude(submission__pk__in=[1, 2]).order_by("-submission", "start").values("submission")
            TalkSlot.objects.filter(submission=None, room__isnull=False)


        def other(apps, schema_editor):
            Room = apps.get_model("schedule", "Room")
            Room.objects.filter(submission__isnull=True)  # Room has no cut relation: left alone


        class Migration(migrations.Migration):
            dependencies = [("schedule", "0017_x")]
            operations = [migrations.RunPython(set_breaks, migrations.RunPython.noop), migrations.RunPython(other)]
        """
    )
    assert 'TalkSlot.objects.filter(submission_id__isnull=True).update(slot_type="break")' in out
    assert 'exclude(submission_id__in=[1, 2]).order_by("-submission_id", "start").values("submission_id")' in out
    assert "filter(submission_id=None, room__isnull=False)" in out
    assert "Room.objects.filter(submission__isnull=True)" in out
    assert "migrations.RunPython(set_breaks, migrations.RunPython.noop)" in out
    assert "TODO" not in out


def test_a_data_migration_joining_across_a_cut_relation_is_a_no_op_with_a_todo() -> None:
    out = _migrate(
        """
        from django.db import migrations


        def confirmed(apps, schema_editor):
            TalkSlot = apps.get_model("schedule", "TalkSlot")
            TalkSlot.objects.filter(submission__state="confirmed").update(is_visible=True)


        class Migration(migrations.Migration):
            dependencies = [("schedule", "0017_x")]
            operations = [migrations.RunPython(confirmed, migrations.RunPython.noop)]
        """
    )
    assert "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)" in out
    assert (
        "# TODO(decompose): confirmed look up 'submission__state' across a relation cut to an id (its model stays "
        "in the monolith)" in out
    )
    assert 'filter(submission__state="confirmed")' in out  # the function is kept as it was, for the reader

"""A moved model's behaviour travels with its stand-in in remote mode (issue 14).

pretalx schedule in remote mode: staying code reads the moved models' properties, methods and related sets on the
client's stand-ins (``Schedule.talks``, ``Room.urls``, ``TalkSlot.duration``, ``Room.get_perm``), their custom
queryset methods (``Room.objects.visible()``), ``prefetch_related("slots")`` and ``_meta.unique_together``; the
stand-ins had fields only, so each failed with an AttributeError deep inside (1,481 failures, several hundred of
them these). Now the plan copies each moved model's members (and its abstract bases' and queryset's) whose names
resolve in the monolith into the client's ``<service>_models.py``, plain mixins become bases of the stand-in, the
relations between moved models are querysets of the service, ``prefetch_related`` over them is one request per
level, ``_meta`` answers the Meta options, and what cannot be copied raises an error naming the model and member.

The hand-written monolith: ``talks`` (Room, Slot) moves; ``board`` (Topic, a plain mixin) stays and uses them.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, RunningService, extract_applied, migrate, run_json_script, write_project

from decompose.cli import cli

pytestmark = pytest.mark.e2e

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        SECRET_KEY = "behaviour-test-key"
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "board", "talks"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        ROOT_URLCONF = "proj.urls"
        USE_TZ = True
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "board/__init__.py": "",
    "board/mixins.py": """
        class Describable:
            def describe(self):
                return f"{self._meta.verbose_name}: {self}"


        DELETED = []


        class Logged:
            # pretalx's LogMixin.delete: an extra keyword argument, the rest passed on to Model.delete
            def delete(self, *args, log_kwargs=None, **kwargs):
                DELETED.append([str(self), log_kwargs])
                return super().delete(*args, **kwargs)
    """,
    "board/models.py": """
        from django.db import models


        class Topic(models.Model):
            title = models.CharField(max_length=40)
    """,
    "board/migrations/__init__.py": "",
    "board/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Topic",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("title", models.CharField(max_length=40)),
                    ],
                ),
            ]
    """,
    "board/views.py": """
        from board.models import Topic
        from talks.models import Room, Slot


        def rooms_of(topic):
            return [room.name for room in Room.objects.filter(topic=topic).visible()]


        def long_slots():
            return list(Slot.objects.filter(minutes__gt=20).values_list("title", flat=True))
    """,
    "talks/__init__.py": "",
    "talks/text.py": """
        def slugify_title(text):
            return text.lower().replace(" ", "-")
    """,
    "talks/planning.py": """
        from talks.models import Slot


        def plan_for(room):
            return list(Slot.objects.filter(room=room))
    """,
    "talks/models.py": """
        from functools import cached_property

        from django.db import models
        from django.utils.translation import gettext_lazy as _

        from board.mixins import Describable, Logged
        from board.models import Topic
        from talks.text import slugify_title

        GRACE = 5


        class RoomKinds(models.TextChoices):
            HALL = "hall", _("Lecture hall")
            ATTIC = "attic", _("Attic room")


        class RoomQuerySet(models.QuerySet):
            def visible(self):
                return self.filter(hidden=False)


        class Room(Describable, Logged, models.Model):
            name = models.CharField(max_length=40)
            hidden = models.BooleanField(default=False)
            topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="rooms")
            kind = models.CharField(max_length=10, choices=RoomKinds.choices, default=RoomKinds.HALL)

            objects = RoomQuerySet.as_manager()

            class Meta:
                ordering = ("name",)
                unique_together = ("topic", "name")
                verbose_name_plural = _("Rooms")

            class urls:
                base = "/rooms/{self.pk}/"

            def __str__(self):
                return self.name

            @property
            def slug(self):
                return slugify_title(self.name)

            def busy(self):
                return self.slots.filter(minutes__gt=GRACE).count()

            @property
            def plan(self):
                from talks import planning

                return planning.plan_for(self)


        class Slot(models.Model):
            room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="slots")
            minutes = models.IntegerField()
            title = models.CharField(max_length=40)

            class Meta:
                ordering = ("minutes",)

            @cached_property
            def seconds(self):
                return self.minutes * 60

            @property
            def room_name(self):
                return self.room.name

            @cached_property
            def headline(self):
                return self.title.titled()  # a bug of the model: str has no titled()
    """,
    "talks/migrations/__init__.py": "",
    "talks/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("board", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="Room",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40)),
                        ("hidden", models.BooleanField(default=False)),
                        ("kind", models.CharField(choices=[("hall", "Lecture hall"), ("attic", "Attic room")],
                                                  default="hall", max_length=10)),
                        ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="rooms", to="board.topic")),
                    ],
                    options={"ordering": ("name",), "verbose_name_plural": "Rooms",
                             "unique_together": {("topic", "name")}},
                ),
                migrations.CreateModel(
                    name="Slot",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("minutes", models.IntegerField()),
                        ("title", models.CharField(max_length=40)),
                        ("room", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="slots",
                                                   to="talks.room")),
                    ],
                    options={"ordering": ("minutes",)},
                ),
            ]
    """,
}

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import django
    import httpx

    SENT = [0]
    _send = httpx.Client.send

    def send(self, request, **kwargs):
        SENT[0] += 1
        return _send(self, request, **kwargs)

    httpx.Client.send = send
    django.setup()
    from django.core.management import call_command
    from board.models import Topic
    from board import views

    Room, Slot = views.Room, views.Slot
    results = {}

    def case(name, fn):
        before = SENT[0]
        try:
            value, error = fn(), None
        except Exception as exc:
            value, error = None, {"type": type(exc).__name__, "message": str(exc)}
        results[name] = {"value": value, "requests": SENT[0] - before, "error": error}

    t1, t2 = Topic.objects.create(title="t1"), Topic.objects.create(title="t2")
    a = Room.objects.create(name="Hall A", topic=t1)
    b = Room.objects.create(name="Hall B", topic=t1, hidden=True)
    c = Room.objects.create(name="Attic", topic=t2)
    for room, minutes in ((a, 30), (a, 3), (b, 45), (c, 10)):
        Slot.objects.create(room=room, minutes=minutes, title=f"{room.name}/{minutes}")
    case("visible", lambda: views.rooms_of(t1))
    case("visible_chained", lambda: [r.name for r in Room.objects.visible().filter(topic=t2)])
    case("visible_staying_reverse", lambda: [r.name for r in t1.rooms.visible()])
    case("fetch", lambda: Room.objects.get(pk=a.pk) and None)
    room = Room.objects.get(pk=a.pk)
    case("property", lambda: room.slug)
    case("str_and_mixin", lambda: [str(room), room.describe()])
    case("inner_class", lambda: Room.urls.base)
    case("method_over_reverse_set", lambda: room.busy())
    case("reverse_set", lambda: [s.title for s in room.slots.all()])
    slot = Slot.objects.get(title="Hall A/30")
    case("cached_property", lambda: [slot.seconds, slot.seconds])
    case("forward_relation", lambda: [slot.room_name, slot.room_name])
    case("prefetch", lambda: [[s.title for s in r.slots.all()] for r in Room.objects.prefetch_related("slots")])
    case("prefetch_forward", lambda: [s.room.name for s in Slot.objects.prefetch_related("room")])
    case("staying_prefetch", lambda: [[r.name for r in t.rooms.all()] for t in Topic.objects.prefetch_related("rooms")])
    case("staying_prefetch_nested", lambda: [[[s.minutes for s in r.slots.all()] for r in t.rooms.all()]
                                             for t in Topic.objects.order_by("pk").prefetch_related("rooms__slots")])
    case("meta", lambda: [Room._meta.unique_together, list(Room._meta.ordering), str(Room._meta.verbose_name_plural),
                          Slot._meta.unique_together, list(Slot._meta.ordering)])
    case("not_copied", lambda: room.plan)
    case("member_error", lambda: slot.headline)
    case("member_error_hasattr", lambda: [hasattr(slot, "headline"), slot.title])

    import copy

    def copies():
        shallow, deep = copy.copy(room), copy.deepcopy(room)
        shallow.name, deep.name = "Copy", "Deep"
        return [room.name, shallow.name, deep.name, shallow.pk == room.pk == deep.pk, shallow.slug, deep.describe()]

    case("copy", copies)
    case("is_pk_set", lambda: [room._is_pk_set(), Room(name="new", topic=t2)._is_pk_set()])
    from board.mixins import DELETED

    def delete_logged():
        gone = Room.objects.create(name="Gone", topic=t2)
        result = gone.delete(log_kwargs={"user": "u1"})
        return [result, gone.pk, DELETED, Room.objects.filter(name="Gone").count()]

    case("mixin_delete", delete_logged)
    case("display", lambda: [room.get_kind_display(), Room(name="x", topic=t2, kind="attic").get_kind_display(),
                             Room(name="y", topic=t2, kind="odd").get_kind_display(),
                             [[str(x) for x in c] for c in Room._meta.get_field("kind").choices]])
    json.dump(results, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    pytest.importorskip("rest_framework")
    tmp = tmp_path_factory.mktemp("remote-behaviour")
    mono = write_project(tmp / "mono", PROJECT)
    return tmp, mono, extract_applied(mono, "talks")


@pytest.fixture(scope="module")
def run(extracted: tuple[Path, Path, Path]) -> Iterator[dict[str, Any]]:
    tmp, mono, folder = extracted
    with RunningService(folder, tmp) as service:
        env = {**service.monolith_env("talks"), "PYTHONPATH": str(mono), "DJANGO_SETTINGS_MODULE": "proj.settings"}
        migrate(mono, env)
        yield run_json_script(mono, "behaviour_script.py", SCRIPT, env, also=service.log)


def _ok(run: dict[str, Any], name: str, requests: int) -> Any:
    result = run[name]
    assert result["error"] is None, result
    assert result["requests"] == requests, result
    return result["value"]


def test_a_custom_queryset_method_is_pushed_down_once(run: dict[str, Any]) -> None:
    # before: AttributeError 'RemoteQuerySet' object has no attribute 'visible'
    assert _ok(run, "visible", 1) == ["Hall A"]
    assert _ok(run, "visible_chained", 1) == ["Attic"]
    # a staying model's accessor of the moved relation to it is the moved model's queryset class too
    assert _ok(run, "visible_staying_reverse", 1) == ["Hall A"]


def test_properties_methods_inner_classes_and_mixins_run_on_the_stand_in(run: dict[str, Any]) -> None:
    assert _ok(run, "property", 0) == "hall-a"  # a helper of an importable moved module
    assert _ok(run, "str_and_mixin", 0) == ["Hall A", "room: Hall A"]  # the staying mixin is a base
    assert _ok(run, "inner_class", 0) == "/rooms/{self.pk}/"
    assert _ok(run, "cached_property", 0) == [1800, 1800]
    assert _ok(run, "forward_relation", 1) == ["Hall A", "Hall A"]  # read once, then cached


def test_reverse_related_sets_between_moved_models_are_querysets_of_the_service(run: dict[str, Any]) -> None:
    assert _ok(run, "method_over_reverse_set", 1) == 1  # self.slots.filter(minutes__gt=GRACE).count()
    assert _ok(run, "reverse_set", 1) == ["Hall A/3", "Hall A/30"]


def test_prefetch_related_is_one_request_per_level(run: dict[str, Any]) -> None:
    assert _ok(run, "prefetch", 2) == [["Attic/10"], ["Hall A/3", "Hall A/30"], ["Hall B/45"]]
    assert _ok(run, "prefetch_forward", 2) == ["Hall A", "Attic", "Hall A", "Hall B"]
    # a staying queryset prefetching a moved relation to it, and on through a relation between moved models
    assert _ok(run, "staying_prefetch", 1) == [["Hall A", "Hall B"], ["Attic"]]
    assert _ok(run, "staying_prefetch_nested", 2) == [[[3, 30], [45]], [[10]]]


def test_a_stand_in_copies_as_a_model_instance(run: dict[str, Any]) -> None:
    # copy.copy and copy.deepcopy of a stand-in gave "AttributeError: _data" (pretalx mail); the copy's fields are its own
    assert _ok(run, "copy", requests=0) == ["Hall A", "Copy", "Deep", True, "copy", "room: Deep"]


def test_is_pk_set_says_whether_the_row_has_its_pk(run: dict[str, Any]) -> None:
    # Django 5.2's Model._is_pk_set, called by Django's own code and by pretalx on a moved model's instance
    assert _ok(run, "is_pk_set", requests=0) == [True, False]


def test_a_mixins_delete_override_runs_and_ends_in_the_service(run: dict[str, Any]) -> None:
    # pretalx's LogMixin.delete(log_kwargs=...): "RemoteInstance.delete() got an unexpected keyword argument"; now the
    # mixin's delete runs first, as in Django, and its super().delete() deletes the row in the service
    result, pk, deleted, left = _ok(run, "mixin_delete", requests=3)
    assert result == [1, {"talks.Room": 1}]
    assert [pk, deleted, left] == [None, [["Gone", {"user": "u1"}]], 0]


def test_a_choices_field_has_its_display_method(run: dict[str, Any]) -> None:
    # pretalx's MailTemplate.get_role_display(): the stand-in had no get_<field>_display; the choices are the plan's
    assert _ok(run, "display", requests=0) == [
        "Lecture hall", "Attic room", "odd", [["hall", "Lecture hall"], ["attic", "Attic room"]],
    ]  # fmt: skip


def test_meta_answers_the_models_options(run: dict[str, Any]) -> None:
    # before: AttributeError 'RemoteOptions' object has no attribute 'unique_together'
    assert _ok(run, "meta", 0) == [[["topic", "name"]], ["name"], "Rooms", [], ["minutes"]]


def test_an_attribute_error_inside_a_copied_member_surfaces_as_itself(run: dict[str, Any]) -> None:
    # pretalx schedule: Schedule.warnings (a cached property whose body raised an AttributeError) was reported as
    # "schedule.Schedule from the service has no field 'warnings'" (Python asks __getattr__ after the member fails)
    result = run["member_error"]
    assert result["error"] == {"type": "AttributeError", "message": "'str' object has no attribute 'titled'"}, result
    assert _ok(run, "member_error_hasattr", 0) == [False, "Hall A/30"]


def test_what_cannot_be_copied_names_the_model_and_member(
    run: dict[str, Any], extracted: tuple[Path, Path, Path]
) -> None:
    error = run["not_copied"]["error"]
    assert run["not_copied"]["requests"] == 0
    assert error["type"] == "RemoteBehaviourMissing"
    assert "talks.Room.plan is not in the monolith's stand-in of talks.Room" in error["message"]
    assert (
        "it uses talks.planning, code of the talks service" in error["message"]
    )  # why: moved code the monolith cannot import
    report = (extracted[2] / "EXTRACTION.md").read_text(encoding="utf-8")
    assert "talks.Room.plan is not copied into the monolith's stand-in of talks.Room" in report


def test_the_generated_classes_are_deterministic(extracted: tuple[Path, Path, Path], tmp_path: Path) -> None:
    tmp, mono, _folder = extracted
    again = write_project(tmp_path / "mono", PROJECT)
    subprocess.run(["git", "init", "-q", str(again)], check=True)
    result = CliRunner().invoke(cli, ["extract", str(again), "--service", "talks", "--apps", "talks", "--out",
                                      str(tmp_path / "out"), "--apply", "--force"])  # fmt: skip
    assert result.exit_code == 0, result.output
    first = next(mono.rglob("talks_models.py")).read_bytes()
    assert next(again.rglob("talks_models.py")).read_bytes() == first
    assert b"def visible(self):" in first and b"class Room(" in first


CLASH = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "board", "talks"]
    """,
    "board/__init__.py": "",
    "board/models.py": """
        from django.db import models

        from talks.models import Hall, Track


        class Topic(models.Model):
            title = models.CharField(max_length=40)


        def names():
            return [h.label for h in Hall.objects.all()] + [t.label for t in Track.objects.all()]
    """,
    "talks/__init__.py": "",
    "talks/models/__init__.py": "from .hall import Hall\nfrom .track import Track\n",
    "talks/models/hall.py": """
        from functools import cached_property

        from django.db import models


        class HallQuerySet(models.QuerySet):
            def _clone(self):
                return super()._clone()

            def big(self):
                return self.filter(name__startswith="Big")


        class Hall(models.Model):
            name = models.CharField(max_length=40)

            objects = HallQuerySet.as_manager()

            @cached_property
            def label(self):
                return self.name.upper()

            def save(self, *args, **kwargs):
                self.name = self.name.strip()
                super().save(*args, **kwargs)

            def shout(self):
                return self.label + "!"

            shout.alters_data = True
    """,
    "talks/models/track.py": """
        from django.db import models
        from django.utils.functional import cached_property

        from talks.models.hall import Hall


        class Track(models.Model):
            hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="tracks")

            @cached_property
            def label(self):
                return Hall.objects.get(pk=self.hall_id).name
    """,
}


def test_a_name_two_moved_modules_bind_differently_is_aliased_not_refused(tmp_path: Path) -> None:
    from decompose.extract.client.classes import models_module
    from decompose.extract.plan import build_plan
    from decompose.extract.plan.index import index_project

    root = write_project(tmp_path / "mono", CLASH)
    plan = build_plan(index_project(root, use_cache=False), "talks", ["talks"])
    # before: Track.label was not copied ("cached_property means 'from functools import cached_property' here and
    # 'from django.utils.functional import cached_property' elsewhere in the generated module")
    by_label = {m.label: m for m in plan.remote_classes.models}
    # save() runs in the service with the command; the QuerySet's _clone is Django's machinery, not copied
    assert [c.name for c in by_label["talks.Hall"].members] == ["label", "shout"]
    assert by_label["talks.Hall"].members[1].text.endswith("\nshout.alters_data = True\n")  # templates never call it
    assert [c.name for c in by_label["talks.Hall"].queryset] == ["big"]
    assert [c.name for c in by_label["talks.Track"].members] == ["label"]
    assert not by_label["talks.Hall"].not_copied and not by_label["talks.Track"].not_copied
    assert by_label["talks.Hall"].reverse == {"tracks": ("talks.Track", "hall")}
    assert by_label["talks.Track"].forward == {"hall": "talks.Hall"}
    text = models_module(plan, "proj.services", "proj.services.talks")
    assert text is not None
    compile(text, "talks_models.py", "exec")  # the generated module is Python
    assert "from functools import cached_property\n" in text
    assert "from django.utils.functional import cached_property as cached_property__2\n" in text
    assert (
        "    @cached_property__2\n    def label(self):\n        return Hall.objects.get(pk=self.hall_id).name" in text
    )
    again = build_plan(index_project(root, use_cache=False), "talks", ["talks"])
    assert again.remote_classes == plan.remote_classes  # deterministic

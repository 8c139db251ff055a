"""A moved function whose result has no wire form runs in the monolith in remote mode (issue 14).

pretalx's staying views call the moved ``get_available_placeholders(event, kwargs)``: a dict of placeholder objects
gathered from the receivers of the moved ``register_mail_placeholders`` signal, each holding functions; and
``queued_mail_filters(context)``: a list of table filter objects whose methods query the moved ``QueuedMail``. Over
HTTP they arrived as their text (``'str' object has no attribute 'is_visible'``, ``.context`` set on a ``str``).
Now the plan keeps such a function in the monolith (plan/kept_calls.py, the mirror of the query builders the service
copies): imported from its module when the monolith can import it (its signal's receivers connected by importing
theirs), else copied into the client's ``<service>_kept.py``, the moved models it reads being the stand-ins. A
function that writes stays an endpoint; so does one returning data.

The hand-written monolith: ``notes`` (Note, placeholders, filters) moves; ``board`` stays and uses them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from projects import MANAGE_PY, RunningService, extract_applied, migrate, run_json_script, write_project

from decompose.extract.plan.planner import build_plan

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        SECRET_KEY = "kept-calls-test-key"
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "board", "notes"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        ROOT_URLCONF = "proj.urls"
        USE_TZ = True
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "board/__init__.py": "",
    "board/models.py": "",
    "board/views.py": """
        from notes.filters import note_filters
        from notes.models import Note
        from notes.placeholders import available_placeholders, placeholders_for
        from notes.preview import preview
        from notes.services import count_notes, make_note_placeholder


        def picker(kind):
            return sorted(p.identifier for p in placeholders_for(kind).values() if p.is_visible)


        def render(kind, value):
            found = available_placeholders(["value"])
            return {k: p.render({"value": value}) for k, p in sorted(found.items())}


        def previewed(value):
            return preview(placeholders_for("shout"), value)


        def filter_labels(context):
            out = []
            for f in note_filters(context):
                f.context = dict(context)
                out.append([f.name, f.choices()])
            return out


        def counted():
            return [count_notes(), Note.objects.count()]


        def made(title):
            return make_note_placeholder(title).identifier
    """,
    "notes/__init__.py": "",
    "notes/apps.py": """
        from django.apps import AppConfig


        class NotesConfig(AppConfig):
            name = "notes"

            def ready(self):
                from . import receivers  # noqa: F401
    """,
    "notes/signals.py": """
        from django.dispatch import Signal

        register_placeholders = Signal()
    """,
    "notes/placeholders.py": """
        from notes.signals import register_placeholders


        class Placeholder:
            def __init__(self, identifier, func, *, is_visible=True):
                self.identifier = identifier
                self.func = func
                self.is_visible = is_visible

            def render(self, context):
                return self.func(context["value"])


        EXTRA = {"shout": [Placeholder("shout", lambda value: value.upper())]}


        def available_placeholders(kwargs):
            params = {}
            for _recv, found in register_placeholders.send(sender=None):
                for placeholder in found if isinstance(found, (list, tuple)) else [found]:
                    if "value" in kwargs:
                        params[placeholder.identifier] = placeholder
            return params


        def placeholders_for(kind):
            extras = {p.identifier: p for p in EXTRA.get(kind, [])}
            return available_placeholders(["value"]) | extras
    """,
    "notes/receivers.py": """
        from django.dispatch import receiver

        from notes.placeholders import Placeholder
        from notes.signals import register_placeholders


        @receiver(register_placeholders)
        def base_placeholders(sender, **kwargs):
            return [
                Placeholder("length", lambda value: len(value)),
                Placeholder("alias", lambda value: value, is_visible=False),
            ]
    """,
    "notes/filters.py": """
        from notes.models import Note


        class NoteFilter:
            def __init__(self, name, field):
                self.name = name
                self.field = field
                self.context = None

            def choices(self):
                if self.context is None:
                    return None
                rows = Note.objects.filter(done=self.context.get("done", False)).order_by("title")
                return [getattr(n, self.field) for n in rows]


        def note_filters(context):
            filters = [NoteFilter("title", "title")]
            if context.get("all"):
                filters.append(NoteFilter("done", "done"))
            return filters
    """,
    "notes/preview.py": """
        from notes.models import Note


        def preview(placeholders, value):
            out = {"notes": Note.objects.count()}
            for identifier, placeholder in sorted(placeholders.items()):
                out[identifier] = placeholder.render({"value": value})
            return out
    """,
    "notes/services.py": """
        from notes.models import Note
        from notes.placeholders import Placeholder


        def count_notes():
            return Note.objects.count()


        def make_note_placeholder(title):
            note = Note.objects.create(title=title)
            return Placeholder(f"note_{note.pk}", lambda value: note.title)
    """,
    "notes/models.py": """
        from django.db import models


        class Note(models.Model):
            title = models.CharField(max_length=40)
            done = models.BooleanField(default=False)
    """,
    "notes/migrations/__init__.py": "",
    "notes/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Note",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("title", models.CharField(max_length=40)),
                        ("done", models.BooleanField(default=False)),
                    ],
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
    from board import views
    results = {}

    def case(name, fn):
        before = SENT[0]
        try:
            value, error = fn(), None
        except Exception as exc:
            value, error = None, {"type": type(exc).__name__, "message": str(exc)}
        results[name] = {"value": value, "requests": SENT[0] - before, "error": error}

    case("made", lambda: views.made("First"))
    case("picker", lambda: views.picker("shout"))
    case("render", lambda: views.render("plain", "abc"))
    case("previewed", lambda: views.previewed("abc"))
    case("filters", lambda: views.filter_labels({"all": True}))
    case("counted", views.counted)
    json.dump(results, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def mono(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("kept-calls") / "mono", PROJECT)


def test_the_plan_keeps_a_function_returning_objects_and_says_why(mono: Path) -> None:
    plan = build_plan(mono, "notes", ["notes"])
    rc = plan.remote_classes
    kept = {
        "notes.placeholders.available_placeholders",
        "notes.placeholders.placeholders_for",
        "notes.filters.note_filters",
        "notes.preview.preview",
    }
    assert set(rc.kept_reasons) == kept
    assert kept <= set(rc.kept_names)
    assert "Placeholder" in rc.kept_reasons["notes.placeholders.available_placeholders"]
    assert "connected at start-up (notes.receivers)" in rc.kept_reasons["notes.placeholders.available_placeholders"]
    assert "NoteFilter" in rc.kept_reasons["notes.filters.note_filters"]
    assert "it takes objects of the moved code (it calls their render())" in rc.kept_reasons["notes.preview.preview"]
    # no endpoint for them; the writer and the data function stay endpoints
    names = {f.name for f in plan.interface_functions}
    assert names == {"count_notes", "make_note_placeholder"}
    # copied (the moved functions they call are the client's), the signal's receivers connected at start-up
    assert plan.remote_startup == ("notes.receivers",)
    assert [k.name for k in rc.kept] == [
        "NoteFilter",
        "note_filters",
        "available_placeholders",
        "Placeholder",
        "EXTRA",
        "placeholders_for",
        "preview",
    ]
    assert plan.to_dict()["remote_classes"]["kept_reasons"] == dict(sorted(rc.kept_reasons.items()))
    assert build_plan(mono, "notes", ["notes"]).to_dict() == plan.to_dict()  # deterministic


@pytest.fixture(scope="module")
def run(mono: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    pytest.importorskip("rest_framework")
    tmp = tmp_path_factory.mktemp("kept-calls-run")
    copy = write_project(tmp / "mono", PROJECT)
    folder = extract_applied(copy, "notes")
    with RunningService(folder, tmp) as service:
        env = {**service.monolith_env("notes"), "PYTHONPATH": str(copy), "DJANGO_SETTINGS_MODULE": "proj.settings"}
        migrate(copy, env)
        yield run_json_script(copy, "kept_calls_script.py", SCRIPT, env, also=service.log)


def _ok(run: dict[str, Any], name: str, requests: int) -> Any:
    result = run[name]
    assert result["error"] is None, result
    assert result["requests"] == requests, result
    return result["value"]


@pytest.mark.e2e
def test_placeholders_built_by_a_signals_receivers_are_used_in_the_monolith(run: dict[str, Any]) -> None:
    # before: the objects arrived as their text ('str' object has no attribute 'is_visible'), one request each
    assert _ok(run, "picker", 0) == ["length", "shout"]
    assert _ok(run, "render", 0) == {"alias": "abc", "length": 3}


@pytest.mark.e2e
def test_a_function_taking_those_objects_runs_in_the_monolith_too(run: dict[str, Any]) -> None:
    # before: the placeholders went to the service as their text ('str' object has no attribute 'render')
    assert _ok(run, "previewed", 1) == {"alias": "abc", "length": 3, "notes": 1, "shout": "ABC"}


@pytest.mark.e2e
def test_filter_objects_query_the_service_through_the_stand_ins(run: dict[str, Any]) -> None:
    # before: '.context' set on a str; now the copy's NoteFilter reads Note through the remote ORM, a request a query
    assert _ok(run, "filters", 2) == [["title", ["First"]], ["done", [False]]]


@pytest.mark.e2e
def test_a_function_that_writes_or_returns_data_stays_an_endpoint(run: dict[str, Any]) -> None:
    assert _ok(run, "counted", 2) == [1, 1]
    made = run["made"]
    assert made["requests"] == 1  # an endpoint still; its objects have no wire form (left as before)

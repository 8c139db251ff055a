"""Moved code that staying code imports is kept as a copy in the monolith in remote mode (issue 14).

Staying code imports pure code of the moved apps: a decorator it applies to its views when they are defined
(the sample's ``core.http.login_required_json``), forms it fills in (pretalx's ``MailDetailForm``, a ModelForm of a
moved model), constants (``ROOM_IN_USE_ERROR``). Their module loads the moved models, so in remote mode the client
gave each a refusing stand-in (``exports.MovedOnly``): ``issubclass() arg 1 must be a class``, a decorator that
raised while the URLconf was imported, or (the decorator was an interface function) an HTTP call at import. Now
the plan copies them into the client's ``<service>_kept.py`` through the same copier as the moved models'
behaviour, after the stand-ins (a ModelForm's ``Meta.model`` is the stand-in), and the client gives the copies;
what cannot be copied (a constant querying a moved model at import) keeps its refusing stand-in, the reason a
manual step.

The hand-written monolith: ``talks`` (Room, its forms module) moves; ``board`` stays and uses them.
"""

from __future__ import annotations

import json
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
        SECRET_KEY = "kept-test-key"
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "board", "talks"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        ROOT_URLCONF = "proj.urls"
        USE_TZ = True
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "board/__init__.py": "",
    "board/models.py": "",
    "board/views.py": """
        from django.utils.decorators import method_decorator
        from django.views import View

        from talks.forms import ROOM_IN_USE, ROOMS_AT_START, RoomForm, RoomLabelForm, labelled, logged, send_errors
        from talks.models import Room
        from talks.naming import room_label


        @method_decorator(logged, name="dispatch")
        class RoomsView(View):
            def get(self, request):
                return room_count()


        @labelled("rooms")
        def room_count():
            return Room.objects.count()


        def add_room(data):
            form = RoomForm(data)
            if form.is_valid():
                return form.save().name
            return {k: [str(e) for e in v] for k, v in form.errors.items()}


        def errors(request):
            return send_errors(request)


        def message():
            return str(ROOM_IN_USE)


        def at_start():
            return str(ROOMS_AT_START)


        def label(name):
            return room_label(name)


        def form_label(name):
            form = RoomLabelForm({"name": name})
            form.is_valid()
            return form.label()
    """,
    "talks/__init__.py": "",
    "talks/forms.py": """
        from functools import wraps

        from django import forms
        from django.utils.translation import gettext_lazy as _

        from talks.models import Room
        from talks.naming import room_label

        ROOM_IN_USE = _("This room is in use.")
        ROOMS_AT_START = Room.objects.count()


        def _prefixed(prefix, value):
            return f"{prefix}: {value}"


        def send_errors(request):
            if request.GET.get("closed"):
                return [str(ROOM_IN_USE)]
            return None


        def logged(view):
            view.logged = True
            return view


        def labelled(prefix):
            def decorate(view):
                @wraps(view)
                def inner(*args, **kwargs):
                    return _prefixed(prefix, view(*args, **kwargs))

                return inner

            return decorate


        class RoomForm(forms.ModelForm):
            class Meta:
                model = Room
                fields = ["name", "hidden"]

            def clean_name(self):
                name = self.cleaned_data["name"]
                if Room.objects.filter(name=name).exists():
                    raise forms.ValidationError(ROOM_IN_USE)
                return name


        class RoomLabelForm(forms.Form):
            name = forms.CharField()

            def label(self):
                return room_label(self.cleaned_data["name"])
    """,
    "talks/naming.py": """
        from talks.models import Room


        def room_label(name):
            return f"{name} ({Room.objects.count()} rooms)"
    """,
    "talks/models.py": """
        from django.db import models


        class Room(models.Model):
            name = models.CharField(max_length=40)
            hidden = models.BooleanField(default=False)
    """,
    "talks/migrations/__init__.py": "",
    "talks/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Room",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40)),
                        ("hidden", models.BooleanField(default=False)),
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
    at_import = SENT[0]
    from board import views
    results = {"import": {"value": None, "requests": SENT[0] - at_import, "error": None}}

    def case(name, fn):
        before = SENT[0]
        try:
            value, error = fn(), None
        except Exception as exc:
            value, error = None, {"type": type(exc).__name__, "message": str(exc)}
        results[name] = {"value": value, "requests": SENT[0] - before, "error": error}

    case("add", lambda: views.add_room({"name": "Hall A"}))
    case("add_again", lambda: views.add_room({"name": "Hall A"}))
    case("decorated", views.room_count)
    case("constant", views.message)
    from django.test import RequestFactory
    case("view_helper", lambda: [views.errors(RequestFactory().get("/?closed=1")), views.errors(RequestFactory().get("/"))])
    case("not_kept", views.at_start)
    case("form_label", lambda: views.form_label("Hall B"))
    case("form_class", lambda: [views.RoomForm.__module__.rsplit(".", 1)[-1], views.RoomForm._meta.model.__name__])
    json.dump(results, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    pytest.importorskip("rest_framework")
    tmp = tmp_path_factory.mktemp("remote-kept")
    mono = write_project(tmp / "mono", PROJECT)
    return tmp, mono, extract_applied(mono, "talks")


@pytest.fixture(scope="module")
def run(extracted: tuple[Path, Path, Path]) -> Iterator[dict[str, Any]]:
    tmp, mono, folder = extracted
    with RunningService(folder, tmp) as service:
        env = {**service.monolith_env("talks"), "PYTHONPATH": str(mono), "DJANGO_SETTINGS_MODULE": "proj.settings"}
        migrate(mono, env)
        yield run_json_script(mono, "kept_script.py", SCRIPT, env, also=service.log)


def _ok(run: dict[str, Any], name: str, requests: int) -> Any:
    result = run[name]
    assert result["error"] is None, result
    assert result["requests"] == requests, result
    return result["value"]


def test_a_decorator_staying_views_apply_at_import_is_a_copy_not_an_endpoint(
    run: dict[str, Any], extracted: tuple[Path, Path, Path]
) -> None:
    # before: the decorator was an interface function, called over HTTP while board.views was imported
    assert _ok(run, "import", 0) is None
    assert _ok(run, "decorated", 1) == "rooms: 1"  # the copy runs here; the view's own query is the one request
    plan = json.loads((extracted[2] / "extraction-plan.json").read_text(encoding="utf-8"))
    assert not {"labelled", "logged"} & {f["name"] for f in plan["interface_functions"]}
    assert {"talks.forms.labelled", "talks.forms.logged"} <= set(plan["remote_classes"]["kept_names"])


def test_a_model_form_of_a_moved_model_works_against_the_service(run: dict[str, Any]) -> None:
    # before: TypeError issubclass() arg 1 must be a class (the client's MovedOnly stand-in)
    assert _ok(run, "form_class", 0) == ["talks_kept", "Room"]
    assert _ok(run, "add", 2) == "Hall A"  # clean_name's exists(), then the save's command
    assert _ok(run, "add_again", 1) == {"name": ["This room is in use."]}


def test_a_constant_is_a_copy(run: dict[str, Any]) -> None:
    assert _ok(run, "constant", 0) == "This room is in use."


def test_a_view_helper_staying_code_calls_with_its_request_is_a_copy(
    run: dict[str, Any], extracted: tuple[Path, Path, Path]
) -> None:
    # before: a function taking the request is of the web face, not an interface function: MovedOnly refused it
    assert _ok(run, "view_helper", 0) == [["This room is in use."], None]
    report = (extracted[2] / "EXTRACTION.md").read_text(encoding="utf-8")
    assert "talks.forms.send_errors" not in report  # kept: no route to the service, no endpoint to add
    assert "talks.forms.RoomForm moved into the talks service and has no endpoint" not in report


def test_a_constant_querying_a_moved_model_at_import_stays_refused_with_its_reason(
    run: dict[str, Any], extracted: tuple[Path, Path, Path]
) -> None:
    error = run["not_kept"]["error"]
    assert error is not None and "talks.forms.ROOMS_AT_START is code of the talks service" in error["message"]
    report = (extracted[2] / "EXTRACTION.md").read_text(encoding="utf-8")
    assert "talks.forms.ROOMS_AT_START, which staying code imports, is not kept as a copy" in report
    assert "reads a moved model when the module is imported" in report


def test_the_kept_copies_are_deterministic(extracted: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _tmp, mono, _folder = extracted
    again = write_project(tmp_path / "mono", PROJECT)
    subprocess.run(["git", "init", "-q", str(again)], check=True)
    result = CliRunner().invoke(cli, ["extract", str(again), "--service", "talks", "--apps", "talks", "--out",
                                      str(tmp_path / "out"), "--apply", "--force"])  # fmt: skip
    assert result.exit_code == 0, result.output
    first = next(mono.rglob("talks_kept.py")).read_bytes()
    assert next(again.rglob("talks_kept.py")).read_bytes() == first
    assert b"class RoomForm(forms.ModelForm):" in first and b"def labelled(prefix):" in first
    assert b"from proj.services.talks_models import (\n    Room,\n)" in first  # the stand-in it uses
    # the stand-ins' module imports none of the copies' imports (a form's imports made a cycle there)
    models = next(mono.rglob("talks_models.py")).read_text(encoding="utf-8")
    assert "RoomForm" not in models and "from django import forms" not in models
    client = next(p for p in mono.rglob("talks.py") if "services" in p.parts).read_text(encoding="utf-8")
    assert "'RoomForm': lambda: exports.copied(" in client
    assert "'ROOMS_AT_START': lambda: exports.MovedOnly(SERVICE, 'talks.forms.ROOMS_AT_START')" in client


def test_a_kept_copy_calling_an_interface_function_calls_the_service(run: dict[str, Any]) -> None:
    # before: the kept module bound room_label = runtime.client(SERVICE).room_label without importing runtime
    # nor SERVICE (pretalx mail: NameError: name 'runtime' is not defined, importing WriteSessionMailForm)
    assert _ok(run, "form_label", 1) == "Hall B (1 rooms)"

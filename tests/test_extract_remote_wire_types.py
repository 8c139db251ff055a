"""Values keep their type on the wire in remote mode, both directions (issue 14).

pretalx in remote mode: ``render_template_to_mail(template, ...)`` got the moved ``MailTemplate`` as a dict in
the service (``'dict' object has no attribute '_state'``, 127 failing tests), ``mark_safe`` strings arrived as
plain strings (``safe_extra_context[...] must be a SafeString``, ~100), and ``has_unreleased_schedule_changes
(event)`` read ``event.cache`` on a reference whose ``cache`` the client had sent as the object's text (408). Now
one typed encoding carries model instances as tagged references (the real row on the side its model lives on,
that side's reference elsewhere), SafeString, Decimal, dates, times, durations and UUIDs; a name that is no field
of a staying model, read on its reference in the service, raises an error naming the model and the name.

The hand-written monolith: ``mailer`` (MailTemplate) moves into a service run as its own process; ``events``
(Event) stays and calls it; the service calls ``events.logic.summarize`` back on the monolith, run as its own
process too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from projects import (
    MANAGE_PY,
    RunningService,
    clean_env,
    extract_applied,
    free_port,
    migrate,
    run_json_script,
    write_project,
)

pytestmark = pytest.mark.e2e

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        SECRET_KEY = "wire-types-test-key"
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "events", "mailer"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        ROOT_URLCONF = "proj.urls"
        USE_TZ = True
        ALLOWED_HOSTS = ["*"]
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "events/__init__.py": "",
    "events/urlkit.py": """
        # a URL kit shaped as urlman: a class attribute of the model (its metaclass a descriptor) binds an object
        # to the instance, and each URL it makes is a str subclass holding that object (parent) for full()
        class Bound(type):
            def __get__(cls, instance, owner):
                return cls(owner, instance)


        class Urls(metaclass=Bound):
            paths = {}

            def __init__(self, owner, instance):
                self.owner = owner
                self.instance = instance

            def __getattr__(self, name):
                if name not in self.paths:  # any name, a dunder or _meta too: not an AttributeError (as urlman)
                    raise ValueError(f"No URL called {name!r}")
                url = Address(self.paths[name].format(self=self.instance))
                url.parent = self
                return url

            def host(self):
                return f"{self.instance.name.lower()}.example.org"


        class Address(str):
            def full(self):
                return "https://" + self.parent.host() + self
    """,
    "events/models.py": """
        from functools import cached_property

        from django.db import models

        from events.urlkit import Urls

        #: what the properties of Event ran for (a payload must not make the receiving side run them)
        OPENED = []


        class ObjectCache:
            def __init__(self, obj):
                self.obj = obj

            def get(self, key):
                return None


        class Event(models.Model):
            name = models.CharField(max_length=40)
            budget = models.DecimalField(max_digits=8, decimal_places=2)
            starts = models.DateTimeField()

            class urls(Urls):
                paths = {"base": "/e/{self.pk}/"}

            @property
            def opened(self):
                OPENED.append(self.pk)
                return ObjectCache(self)


        class Venue(models.Model):
            # a staying model the service holds no reference of: its URLs have no form there
            name = models.CharField(max_length=40)

            class urls(Urls):
                paths = {"base": "/v/{self.pk}/"}


        def _cache(self):
            return ObjectCache(self)


        # added to the class from outside its body (as a registry or a plugin does): no member of it the plan can copy
        Event.cache = cached_property(_cache)
        Event.cache.__set_name__(Event, "cache")
    """,
    "events/migrations/__init__.py": "",
    "events/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Event",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40)),
                        ("budget", models.DecimalField(max_digits=8, decimal_places=2)),
                        ("starts", models.DateTimeField()),
                    ],
                ),
                migrations.CreateModel(
                    name="Venue",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40)),
                    ],
                ),
            ]
    """,
    "events/logic.py": """
        from django.utils.safestring import mark_safe

        from events.models import Event


        def summarize(template, event, when):
            # called back by the service: the moved template is the monolith's stand-in, the event its own row
            Event.objects.filter(pk=event.pk).update(name=event.name)
            return {
                "template": [type(template).__name__, template.subject],
                "event": [type(event).__module__, event.name, str(event.budget)],
                "when": [type(when).__name__, when.isoformat()],
                "safe": mark_safe("<u>ok</u>"),
            }
    """,
    "events/views.py": """
        from mailer.models import MailTemplate
        from mailer.services import (
            check_text, count_matching, draft, echo, full_of, has_changes, link_of, look_at, placeholders, render_template,
            starting_with, summary, templates_of,
        )


        def matching(prefix):
            return count_matching(MailTemplate.objects.all(), prefix)


        def starting(prefix):
            return starting_with(MailTemplate.objects.all(), prefix)


        def new_template(event, subject):
            return MailTemplate.objects.create(event=event, subject=subject, text="Body")


        def render(template, context):
            return render_template(template, safe_extra_context=context)


        def look(thing):
            return look_at(thing)


        def templates(event_id):
            return templates_of(event_id)


        def changes(event):
            return has_changes(event)


        def round_trip(value):
            return echo(value)


        def summarised(template, thing):
            return summary(template, thing)


        def drafted(event_id, subject):
            return draft(event_id, subject)


        def full(url):
            return full_of(url)


        def link(event):
            return link_of(event)


        def used(text):
            return placeholders(text)


        def checked(text):
            return check_text(text)
    """,
    "events/values.py": """
        class Pair:
            # a plain value class (no dataclass), as pretalx's EmailAlternativeString
            def __init__(self, plain, html):
                self.plain = plain
                self.html = html

            def __repr__(self):
                return f"Pair({self.plain!r}, {self.html!r})"


        class Link(str):
            # a str subclass with no state of its own, as urlman's UrlString(build_absolute_uri(...))
            def full(self):
                return "https://example.org" + self


        class Owned(str):
            # a str subclass holding an object of the sender's (urlman's UrlString with its parent)
            def __new__(cls, text, parent):
                obj = super().__new__(cls, text)
                obj.parent = parent
                return obj
    """,
    "mailer/__init__.py": "",
    "mailer/models.py": """
        from django.db import models

        from events.models import Event


        class MailTemplate(models.Model):
            event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="mail_templates")
            subject = models.CharField(max_length=60)
            text = models.TextField()
    """,
    "mailer/migrations/__init__.py": "",
    "mailer/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("events", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="MailTemplate",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("subject", models.CharField(max_length=60)),
                        ("text", models.TextField()),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="mail_templates", to="events.event")),
                    ],
                ),
            ]
    """,
    "mailer/services.py": """
        import datetime

        from django.core.exceptions import ValidationError
        from django.utils.safestring import SafeString, mark_safe
        from django.utils.translation import gettext_lazy as _

        from events.logic import summarize
        from events.values import Pair
        from mailer.models import MailTemplate


        def render_template(template, *, safe_extra_context=None):
            if template._state.adding:
                raise ValueError("render_template needs a saved MailTemplate")
            for key, value in (safe_extra_context or {}).items():
                if not isinstance(value, SafeString):
                    raise ValueError(f"safe_extra_context[{key!r}] must be a SafeString")
            extra = "".join((safe_extra_context or {}).values())
            return mark_safe(f"<b>{template.subject}</b> {type(template).__module__} {extra}")


        def look_at(thing):
            return {
                "type": type(thing).__name__,
                "label": thing.label,
                "pk": thing.pk,
                "name": thing.name,
                "budget": thing.budget,
                "starts": thing.starts,
            }


        def templates_of(event_id):
            return list(MailTemplate.objects.filter(event_id=event_id).order_by("pk"))


        def has_changes(event):
            if not event.name:
                return False
            return event.cache.get("has_changes") is not None


        def echo(value):
            return {"type": type(value).__name__, "value": value, "pair": isinstance(value, Pair)}


        def summary(template, thing):
            return summarize(template, thing, datetime.date(2026, 12, 7))


        def draft(event_id, subject):
            return MailTemplate(event_id=event_id, subject=subject, text="draft")


        def count_matching(rows, prefix):
            return [type(rows).__name__, rows.filter(subject__startswith=prefix).count(), [r.subject for r in rows]]


        def starting_with(rows, prefix):
            return rows.filter(subject__startswith=prefix)


        def link_of(event):
            return event.urls.base


        def full_of(url):
            return [type(url).__name__, url.full()]


        def placeholders(text):
            return {part.strip("{}") for part in text.split() if part.startswith("{")}


        def check_text(text):
            # pretalx's validate_text_placeholders: a form's clean method calls it for a ValidationError
            if "{" in text:
                raise ValidationError(_("Unknown placeholder %(name)s"), code="invalid_placeholder", params={"name": text})
            if not text:
                raise ValidationError({"text": [ValidationError("required", code="required")], "subject": ["too long"]})
            if text == "two":
                raise ValidationError(["first", ValidationError("second %(n)s", code="c", params={"n": 2})])
            return text
    """,
}

SCRIPT = textwrap.dedent(
    """
    import datetime, json, sys, uuid
    from decimal import Decimal

    import django
    import httpx

    SENT = []
    _send = httpx.Client.send

    def send(self, request, **kwargs):
        SENT.append(f"{request.method} {request.url.path}")
        return _send(self, request, **kwargs)

    httpx.Client.send = send
    django.setup()
    from django.utils.safestring import SafeString, mark_safe
    from django.utils.translation import gettext_lazy

    from events import views
    from events.models import Event
    from proj.services import runtime

    results = {}

    def case(name, fn):
        before = len(SENT)
        try:
            value, error = fn(), None
        except Exception as exc:
            value, error = None, {"type": type(exc).__name__, "message": str(exc)}
        results[name] = {"value": value, "requests": SENT[before:], "error": error}

    event = Event.objects.create(name="Conf", budget=Decimal("12.50"),
                                 starts=datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.timezone.utc))
    first = views.new_template(event, "Hi")
    views.new_template(event, "Bye")

    def render():
        out = views.render(first, {"name": mark_safe("<i>Ada</i>")})
        return [str(out), isinstance(out, SafeString)]

    def look():
        out = views.look(event)
        return [out["type"], out["label"], out["pk"] == event.pk, out["name"], [type(out["budget"]).__name__,
                str(out["budget"])], [type(out["starts"]).__name__, out["starts"].isoformat()]]

    def templates():
        rows = views.templates(event.pk)
        return [[isinstance(r, runtime.RemoteInstance), type(r).__name__, r.subject, r.pk] for r in rows]

    def echo(value):
        out = views.round_trip(value)
        return [out["type"], repr(out["value"])]

    def summarised():
        out = views.summarised(first, event)
        return [out["template"], out["event"], out["when"], [str(out["safe"]), isinstance(out["safe"], SafeString)]]

    case("moved_instance_argument", render)
    case("staying_instance_argument", look)
    case("list_of_moved_instances", templates)
    case("non_field_of_a_staying_reference", lambda: views.changes(event))
    case("decimal", lambda: echo(Decimal("1.10")))
    case("datetime", lambda: echo(datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)))
    case("date_time_timedelta", lambda: [echo(datetime.date(2026, 1, 2)), echo(datetime.time(7, 8)),
                                         echo(datetime.timedelta(days=2, seconds=3, microseconds=4))])
    case("uuid", lambda: echo(uuid.UUID("12345678-1234-5678-1234-567812345678")))
    case("lazy_text", lambda: echo(gettext_lazy("Hello")))
    case("tag_lookalike", lambda: echo({"__decompose__": "model", "label": "x.Y"}))
    case("queryset_of_staying", lambda: echo(Event.objects.filter(pk=event.pk)))

    def value_object():
        from events.values import Pair

        out = views.round_trip(Pair("a", mark_safe("<b>")))
        return [out["type"], out["pair"], repr(out["value"]), isinstance(out["value"], Pair),
                isinstance(out["value"].html, SafeString)]

    case("value_object", value_object)

    def str_subclass():
        from events.values import Link, Owned

        link = views.round_trip(Link("/a/"))
        owned = views.round_trip(Owned("/b/", object()))
        return [link["type"], type(link["value"]).__name__, link["value"].full(), owned["type"], owned["value"]]

    case("str_subclass", str_subclass)

    def bound_to_the_service():
        return [*views.full(event.urls.base), event.pk]

    def bound_from_the_service():
        url = views.link(event)
        return [type(url).__name__, url.full(), type(url.parent.instance).__module__, url.parent.instance == event]

    def bound_to_no_form():
        from events.models import Venue

        out = views.round_trip(Venue.objects.create(name="Hall").urls.base)
        return [out["type"], out["value"]]

    case("bound_to_the_service", bound_to_the_service)
    case("bound_from_the_service", bound_from_the_service)
    case("bound_to_no_form", bound_to_no_form)
    case("queryset_of_moved", lambda: views.matching("H"))
    case("call_back", summarised)

    def moved_queryset_result():
        from django.shortcuts import get_object_or_404

        rows = views.starting("B")
        listed = [r.subject for r in rows]
        return [hasattr(rows, "filter"), listed, get_object_or_404(rows, subject="Bye").subject]

    case("queryset_of_moved_returned", moved_queryset_result)

    def unsaved():
        row = views.drafted(event.pk, "Draft")
        before = [type(row).__name__, row.pk, row.subject]
        row.save()
        return [before, row.pk is not None, [t.subject for t in views.templates(event.pk)]]

    case("unsaved_moved_instance", unsaved)

    def sets():
        used = views.used(" {a} x {b} ")
        frozen = views.round_trip(frozenset({3, 1, 2}))
        pairs = views.round_trip({(2, "b"), (1, "a")})
        return [type(used).__name__, sorted(used | {"c"}), frozen["type"], type(frozen["value"]).__name__,
                sorted(frozen["value"]), pairs["type"], type(pairs["value"]).__name__, sorted(pairs["value"])]

    case("sets", sets)

    def validation():
        from django import forms
        from django.core.exceptions import ValidationError

        class MailForm(forms.Form):
            text = forms.CharField(required=False)

            def clean_text(self):
                return views.checked(self.cleaned_data["text"])

        out = []
        form = MailForm({"text": "{x}"})
        out.append([form.is_valid(), form.errors.get_json_data()])
        try:
            views.checked("{x}")
        except ValidationError as exc:
            out.append([isinstance(exc, ValueError), exc.message, exc.code, exc.params, exc.messages])
        try:
            views.checked("")
        except ValidationError as exc:
            out.append([exc.message_dict, {k: [e.code for e in v] for k, v in exc.error_dict.items()}])
        try:
            views.checked("two")
        except ValidationError as exc:
            out.append([exc.messages, [[e.code, e.params] for e in exc.error_list]])
        out.append(views.checked("fine"))
        return out

    case("validation", validation)
    json.dump(results, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    pytest.importorskip("rest_framework")
    tmp = tmp_path_factory.mktemp("wire-types")
    mono = write_project(tmp / "mono", PROJECT)
    return tmp, mono, extract_applied(mono, "mailer")


@pytest.fixture(scope="module")
def run(extracted: tuple[Path, Path, Path]) -> Iterator[dict[str, Any]]:
    tmp, mono, folder = extracted
    inbound = "test-inbound-token-0123456789abcdef"
    port = free_port()
    service = RunningService(folder, tmp)
    service.env.update({"MONOLITH_URL": f"http://127.0.0.1:{port}", "MONOLITH_TOKEN": inbound})
    with service:
        env = {**service.monolith_env("mailer"), "PYTHONPATH": str(mono), "DJANGO_SETTINGS_MODULE": "proj.settings",
               "DECOMPOSE_MAILER_INBOUND_TOKEN": inbound}  # fmt: skip
        migrate(mono, env)
        log = (tmp / "monolith.log").open("w")
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                                  cwd=mono, env=env, stdout=log, stderr=log)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while server.poll() is None and time.monotonic() < deadline:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield run_json_script(mono, "wire_script.py", SCRIPT, env, also=service.log)
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()


def _ok(run: dict[str, Any], name: str, requests: int = 1) -> Any:
    result = run[name]
    assert result["error"] is None, result
    assert len(result["requests"]) == requests, result
    assert all(r.startswith("POST /api/v1/") for r in result["requests"]), result
    return result["value"]


def test_a_moved_model_instance_argument_arrives_as_the_real_instance_and_safe_strings_stay_safe(
    run: dict[str, Any],
) -> None:
    # before: 'dict' object has no attribute '_state', then "safe_extra_context['name'] must be a SafeString"
    assert _ok(run, "moved_instance_argument") == ["<b>Hi</b> mailer.models <i>Ada</i>", True]


def test_a_staying_model_instance_of_an_untyped_parameter_arrives_as_a_reference_with_its_fields(
    run: dict[str, Any],
) -> None:
    # before: a DTO dict (no .label, .name: AttributeError); its Decimal and datetime came back as strings
    assert _ok(run, "staying_instance_argument") == [
        "Event", "events.Event", True, "Conf", ["Decimal", "12.50"], ["datetime", "2026-05-01T09:30:00+00:00"],
    ]  # fmt: skip


def test_a_returned_list_of_moved_instances_arrives_as_stand_ins(run: dict[str, Any]) -> None:
    value = _ok(run, "list_of_moved_instances")
    assert [row[:3] for row in value] == [[True, "MailTemplate", "Hi"], [True, "MailTemplate", "Bye"]]
    assert value[0][3] < value[1][3]


def test_a_set_or_frozenset_result_arrives_as_a_set_or_frozenset(run: dict[str, Any]) -> None:
    # pretalx mail: get_used_placeholders(...) | ... in a staying form: before, the service's set arrived as a sorted
    # list ('unsupported operand type(s) for |: 'list' and 'set''); a set of tuples keeps its tuples
    assert _ok(run, "sets", 3) == [
        "set", ["a", "b", "c"], "frozenset", "frozenset", [1, 2, 3], "set", "set", [[1, "a"], [2, "b"]],
    ]  # fmt: skip


def test_a_validation_error_raised_in_the_service_is_raised_here_as_itself(run: dict[str, Any]) -> None:
    # pretalx mail: validate_text_placeholders raised ValidationError in the service and a ValueError here, so a
    # staying form's clean method raised instead of the form being invalid
    assert _ok(run, "validation", 5) == [
        [False, {"text": [{"message": "Unknown placeholder {x}", "code": "invalid_placeholder"}]}],
        [True, "Unknown placeholder %(name)s", "invalid_placeholder", {"name": "{x}"}, ["Unknown placeholder {x}"]],
        [{"text": ["required"], "subject": ["too long"]}, {"text": ["required"], "subject": [None]}],
        [["first", "second 2"], [[None, None], ["c", {"n": 2}]]],
        "fine",
    ]


def test_a_non_field_read_on_a_staying_reference_names_the_model_and_the_attribute(run: dict[str, Any]) -> None:
    # before: the client sent event.cache as the object's text: 'str' object has no attribute 'get'
    result = run["non_field_of_a_staying_reference"]
    assert result["error"] is not None, result
    assert result["error"]["type"] == "RemoteError", result
    assert "events.Event.cache is not a field of events.Event" in result["error"]["message"], result
    assert "RemoteFieldMissing" in result["error"]["message"], result


def test_scalars_round_trip_with_their_types(run: dict[str, Any]) -> None:
    assert _ok(run, "decimal") == ["Decimal", "Decimal('1.10')"]
    assert _ok(run, "datetime") == [
        "datetime", "datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)"
    ]  # fmt: skip
    assert _ok(run, "date_time_timedelta", 3) == [
        ["date", "datetime.date(2026, 1, 2)"], ["time", "datetime.time(7, 8)"],
        ["timedelta", "datetime.timedelta(days=2, seconds=3, microseconds=4)"],
    ]  # fmt: skip
    assert _ok(run, "uuid") == ["UUID", "UUID('12345678-1234-5678-1234-567812345678')"]
    assert _ok(run, "lazy_text") == ["str", "'Hello'"]  # a lazy translation is its text
    # a dict that looks like a tagged value is escaped, and arrives as the dict it was
    assert _ok(run, "tag_lookalike") == ["dict", "{'__decompose__': 'model', 'label': 'x.Y'}"]


def test_a_queryset_of_staying_rows_is_a_list_of_references_and_comes_back_as_the_rows(run: dict[str, Any]) -> None:
    value = _ok(run, "queryset_of_staying")
    assert value[0] == "list" and value[1].startswith("[<Event: Event object (")


def test_a_call_back_rebuilds_each_side_own_instances(run: dict[str, Any]) -> None:
    # service → monolith: the moved template is the monolith's stand-in, the staying event its own row again,
    # a date a date; the monolith's SafeString result stays safe in the service and back
    assert _ok(run, "call_back") == [
        ["MailTemplate", "Hi"], ["events.models", "Conf", "12.50"], ["date", "2026-12-07"], ["<u>ok</u>", True],
    ]  # fmt: skip


PROPERTY = textwrap.dedent(
    """
    import datetime, decimal, importlib, json, sys

    import django

    django.setup()
    from django.utils.safestring import SafeString, mark_safe
    from hypothesis import HealthCheck, given, settings, strategies as st

    from proj.services import runtime

    sys.path.append(sys.argv[1])  # the service's folder, after the monolith's: its monolith.py and wire.py
    service = importlib.import_module("mailer_service.monolith")
    TAG = runtime.TAG
    assert TAG == service.TAG

    scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
               | st.text(max_size=8).map(mark_safe) | st.decimals(allow_nan=False, allow_infinity=False)
               | st.datetimes(timezones=st.none() | st.just(datetime.timezone.utc)) | st.dates() | st.times()
               | st.timedeltas() | st.uuids())
    keys = st.text(max_size=6) | st.sampled_from([TAG, "value", "label", "pk", "fields"])
    hashables = (st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.dates() | st.uuids()
                 | st.tuples(st.integers(), st.text(max_size=4)))
    values = st.recursive(scalars | st.sets(hashables, max_size=4) | st.frozensets(hashables, max_size=4),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                          max_leaves=10)

    def same(a, b):
        if type(a) is not type(b) and not (isinstance(a, SafeString) and isinstance(b, SafeString)):
            return False
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, (set, frozenset)):
            return a == b and all(type(x) is type(next(y for y in b if y == x)) for x in a)
        if isinstance(a, (datetime.datetime, datetime.time)):
            return a == b and a.tzinfo == b.tzinfo
        if isinstance(a, decimal.Decimal):
            return str(a) == str(b)
        return a == b or (a != a and b != b)

    count = [0]

    @settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(values)
    def round_trip(value):
        count[0] += 1
        for encode, decode in ((runtime.encode, service.decode), (service.encode, runtime.decode),
                               (runtime.encode, runtime.decode), (service.encode, service.decode)):
            wire = json.loads(json.dumps(encode(value)))
            back = decode(wire)
            assert same(value, back), (value, wire, back)

    malformed = st.fixed_dictionaries({TAG: st.sampled_from(["safe", "decimal", "datetime", "date", "time", "uuid",
                                                             "timedelta", "dict", "model", "object", "text", "bound",
                                                             "set", "frozenset", "nope"]),
                                       "value": st.none() | st.integers() | st.text(max_size=6) | st.lists(st.integers())})

    @settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(malformed)
    def refused(value):
        for decode, error in ((runtime.decode, ValueError), (service.decode, service.WireError)):
            try:
                decode(value)
            except error:
                pass

    round_trip()
    refused()
    print(json.dumps({"examples": count[0]}))
    """
)


def test_property_every_value_round_trips_between_the_monolith_and_the_service(
    extracted: tuple[Path, Path, Path],
) -> None:
    """Hypothesis: any nesting of lists, dicts (a dict that has the tag's key itself included), sets and frozensets
    of None, bools, ints, floats, strings, SafeStrings, Decimals, datetimes, dates, times, timedeltas and UUIDs
    (tuples in a set) comes back equal and of the same type, whichever side encodes and whichever decodes; a
    malformed tag is a ValueError
    (WireError in the service: its views answer 400), never another exception."""
    tmp, mono, folder = extracted
    (mono / "wire_property.py").write_text(PROPERTY, encoding="utf-8")
    env = {**clean_env(), "PYTHONPATH": str(mono), "DJANGO_SETTINGS_MODULE": "proj.settings"}
    done = subprocess.run([sys.executable, "wire_property.py", str(folder)],
                          cwd=mono, env=env, capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    assert json.loads(done.stdout)["examples"] >= 100


def test_a_returned_unsaved_moved_instance_is_an_unsaved_stand_in_that_saves_into_the_service(
    run: dict[str, Any],
) -> None:
    # pretalx: render_template_to_mail returns an unsaved QueuedMail the caller saves or sends
    value = _ok(run, "unsaved_moved_instance", 3)
    assert value == [["MailTemplate", None, "Draft"], True, ["Hi", "Bye", "Draft"]]


def test_a_plain_value_object_arrives_as_its_class_with_its_state(run: dict[str, Any]) -> None:
    # pretalx: safe_extra_context's EmailAlternativeString arrived as its str(): "must be a SafeString ... got 'str'"
    assert _ok(run, "value_object") == ["Pair", True, "Pair('a', '<b>')", True, True]


def test_a_str_subclass_arrives_as_its_class_unless_it_holds_what_has_no_wire_form(run: dict[str, Any]) -> None:
    # pretalx: safe_extra_context={"url": UrlString(build_absolute_uri(...))} arrived as a str: "must be a SafeString,
    # ... a urlman UrlString ... got 'str'" (108 failures of pretalx mail's suite in remote mode)
    assert _ok(run, "str_subclass", 2) == ["Link", "Link", "https://example.org/a/", "str", "/b/"]


def test_an_object_bound_to_a_model_instance_arrives_bound_to_that_instance_here(run: dict[str, Any]) -> None:
    # pretalx mail: safe_extra_context={"invitation_link": profile.urls.invitation}, a urlman UrlString whose parent
    # (the Urls object profile.urls gives, which full() reads for the scheme and host) had no wire form: it arrived
    # as a str, "must be ... a urlman UrlString, got 'str'" (57 failures of the 391)
    pk = run["bound_to_the_service"]["value"][-1] if run["bound_to_the_service"]["value"] else None
    assert _ok(run, "bound_to_the_service") == ["Address", f"https://conf.example.org/e/{pk}/", pk]
    assert _ok(run, "bound_from_the_service") == ["Address", f"https://conf.example.org/e/{pk}/", "events.models", True]


def test_an_object_bound_to_a_model_the_other_side_has_no_form_of_leaves_its_text(run: dict[str, Any]) -> None:
    value = _ok(run, "bound_to_no_form")
    assert value[0] == "str" and value[1].startswith("/v/"), value


BOUND = textwrap.dedent(
    """
    import importlib, json, sys

    import django

    django.setup()
    from proj.services import runtime
    from events.models import OPENED, Event

    sys.path.append(sys.argv[1])  # the service's folder, after the monolith's: its monolith.py and wire.py
    service = importlib.import_module("mailer_service.monolith")
    TAG = runtime.TAG
    event = Event(name="Conf")
    url = event.urls.base
    sent = [json.dumps(runtime.encode(url), sort_keys=True) for _ in range(2)]
    out = {"same": sent[0] == sent[1], "wire": json.loads(sent[0])}
    model = {TAG: "model", "label": "events.Event", "pk": None, "fields": {"name": "Conf"}}
    names = ["urls", "__class__", "_meta", "__init__", "", "a.b", 3, None, "delete", "save", "objects", "name",
             "opened", "cache", "DoesNotExist", "nope"]
    for side, decode in (("monolith", runtime.decode), ("service", service.decode)):
        got = []
        for name in names:
            try:
                value = decode({TAG: "bound", "model": model, "name": name})
                got.append(type(value).__name__)
            except ValueError as exc:
                got.append(type(exc).__name__)
        out[side] = got
    for bad in ({TAG: "bound", "model": {"label": "events.Event"}, "name": "urls"}, {TAG: "bound", "name": "urls"},
                {TAG: "bound", "model": "events.Event", "name": "urls"}):
        for decode in (runtime.decode, service.decode):
            try:
                out.setdefault("malformed", []).append(type(decode(bad)).__name__)
            except ValueError as exc:
                out["malformed"].append(type(exc).__name__)
    out["opened"] = list(OPENED)
    print(json.dumps(out))
    """
)


def test_a_bound_object_on_the_wire_names_only_what_binds_and_is_deterministic(
    extracted: tuple[Path, Path, Path],
) -> None:
    """The same bound object encodes byte-identically (its instance's reference and the attribute's name); a payload
    naming a dunder or private name, or no identifier, is a WireError, and one naming any other attribute of the
    model (a method, a field, a manager, a property, a class) is no bound object: an Unbound text, the attribute
    never read on the instance (the property did not run)."""
    tmp, mono, folder = extracted
    (mono / "wire_bound.py").write_text(BOUND, encoding="utf-8")
    env = {**clean_env(), "PYTHONPATH": str(mono), "DJANGO_SETTINGS_MODULE": "proj.settings"}
    done = subprocess.run([sys.executable, "wire_bound.py", str(folder)],
                          cwd=mono, env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout)
    assert out["same"] is True
    assert out["wire"] == {
        "__decompose__": "text", "class": "events.urlkit:Address", "value": "/e/None/",
        "state": {"parent": {"__decompose__": "bound", "name": "urls", "model": {
            "__decompose__": "model", "label": "events.Event", "pk": None,
            "fields": {"id": None, "name": "Conf", "budget": None, "starts": None}}}},
    }  # fmt: skip
    refused = ["WireError"] * 7
    unbound = ["Unbound"] * 8
    assert out["monolith"] == ["urls", *refused, *unbound]
    assert out["service"] == ["urls", *refused, *unbound]
    assert out["malformed"] == ["WireError"] * 6
    assert out["opened"] == []


def test_a_queryset_of_moved_rows_arrives_as_a_queryset_of_the_service(run: dict[str, Any]) -> None:
    # pretalx schedule: annotate_room_usage(queryset, event) got the queryset as its text ('str' has no 'annotate')
    value = _ok(run, "queryset_of_moved", 2)  # the stand-in queryset's one evaluation, then the call
    assert value == ["QuerySet", 1, ["Hi", "Bye"]]


def test_a_returned_queryset_of_moved_rows_is_a_queryset_of_their_stand_in(run: dict[str, Any]) -> None:
    # pretalx schedule: a staying view's get_object_or_404(annotate_room_usage(...), pk=...) got a list (13 failures)
    value = _ok(run, "queryset_of_moved_returned", 3)  # the argument's evaluation, the call, then get()'s query
    assert value == [True, ["Bye"], "Bye"]


GRAPHS = textwrap.dedent(
    """
    import importlib, json, sys

    import django

    django.setup()
    from proj.services import runtime
    from proj.graphs import Node

    sys.path.append(sys.argv[1])  # the service's folder, after the monolith's: its monolith.py and wire.py
    service = importlib.import_module("mailer_service.monolith")
    cycle = Node("cycle")
    cycle.left = cycle.right = cycle
    chain = Node("0")
    for i in range(1, 12):
        chain = Node(str(i), chain, chain)
    print(json.dumps([[encode(cycle), encode(chain)] for encode in (runtime.encode, service.encode)]))
    """
)


def test_an_object_graph_with_cycles_is_sent_as_its_text_and_encoding_ends(extracted: tuple[Path, Path, Path]) -> None:
    """A plain object whose state refers back to itself (twice: encoding it without a bound branched at every level
    and never ended; pretalx schedule's remote suite hung there) or nests more value objects than MAX_OBJECT_NESTING
    is no value: it travels as its text, on both sides, at once."""
    tmp, mono, folder = extracted
    (mono / "proj" / "graphs.py").write_text(
        textwrap.dedent(
            """
            class Node:
                def __init__(self, name, left=None, right=None):
                    self.name, self.left, self.right = name, left, right

                def __str__(self):
                    return f"node {self.name}"
            """
        ),
        encoding="utf-8",
    )
    (mono / "wire_graphs.py").write_text(GRAPHS, encoding="utf-8")
    env = {**clean_env(), "PYTHONPATH": str(mono), "DJANGO_SETTINGS_MODULE": "proj.settings"}
    done = subprocess.run([sys.executable, "wire_graphs.py", str(folder)],
                          cwd=mono, env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    assert json.loads(done.stdout) == [["node cycle", "node 11"], ["node cycle", "node 11"]]

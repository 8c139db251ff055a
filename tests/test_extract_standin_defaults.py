"""A new stand-in of a moved model holds its fields' defaults, as Django's ``Model.__init__`` gives them (issue 14).

pretalx mail in remote mode: a staying view's ModelForm without an instance makes a blank ``MailTemplate`` stand-in
and reads ``self.instance.text`` (an ``I18nTextField`` without a ``default=``: "" in Django); the stand-in knew no
field defaults and raised "mail.MailTemplate from the service has no field 'text'" (19 tests of the mail views). The
plan now reads each field's ``default=`` from the source (a constant; a builtin such as ``dict``; a function of the
stdlib or a third-party package such as ``timezone.now``, called for each new object) and, without one, Django's
blank value (None when nullable or not a string field, "" for a string field or a third-party field named after
one). A default the plan cannot tell (project code, an expression) is left unset, as before.

The monolith is tests/fixtures/rewire/mini (billing moves out, sales stays).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from decompose.extract.changeset import apply_changes
from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"

MODELS = """
    import uuid

    from django.db import models
    from django.utils import timezone

    from billing.constants import STATES


    class I18nTextField(models.TextField):
        pass


    def next_number():
        return "N-1"


    class Invoice(models.Model):
        number = models.CharField(max_length=20, unique=True, default=next_number)
        amount = models.DecimalField(max_digits=10, decimal_places=2)
        paid = models.BooleanField(default=False)
        state = models.CharField(max_length=10, default=STATES[0])
        note = models.TextField()
        text = I18nTextField()
        remark = models.CharField(max_length=20, null=True)
        tags = models.JSONField(default=list)
        data = models.JSONField(default=dict)
        limits = models.JSONField(default={"max": 3})
        issued = models.DateTimeField(default=timezone.now)
        token = models.UUIDField(default=uuid.uuid4)
        customer = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True)
"""

SCRIPT = r"""
    import datetime, json, uuid
    import django
    from django.conf import settings
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "mini.services"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DECOMPOSE_SERVICES={"billing": {"mode": "remote", "token": "t", "apps": ["billing"],
                                        "url": "http://127.0.0.1:9"}},  # never called: nothing is saved
    )
    django.setup()
    from mini.services.billing import Invoice

    new, other = Invoice(), Invoice(note="given")
    out = {name: getattr(new, name) for name in ("amount", "paid", "note", "text", "remark", "tags", "data", "limits",
                                                 "customer_id", "pk")}
    out["issued"] = isinstance(new.issued, datetime.datetime) and new.issued.tzinfo is not None
    out["token"] = isinstance(new.token, uuid.UUID) and new.token != other.token
    out["fresh"] = new.tags is not other.tags and new.limits is not other.limits  # one value per object
    out["given"] = other.note
    for name in ("number", "state"):  # project code, an expression: left unset
        try:
            out[name] = getattr(new, name)
        except AttributeError as exc:
            out[name] = type(exc).__name__
    print(json.dumps(out))
"""


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    (root / "billing/models.py").write_text(dedent(MODELS).lstrip(), encoding="utf-8")
    (root / "billing/constants.py").write_text('STATES = ("draft", "sent")\n', encoding="utf-8")
    return root


def test_the_plan_reads_the_fields_defaults(mini: Path) -> None:
    plan = build_plan(index_project(mini, use_cache=False), "billing", ["billing"])
    (invoice,) = [b for b in plan.remote_classes.models if b.label == "billing.Invoice"]
    assert invoice.defaults == {
        "amount": ("value", None),
        "data": ("call", "builtins.dict"),
        "issued": ("call", "django.utils.timezone.now"),
        "limits": ("value", {"max": 3}),
        "note": ("value", ""),
        "paid": ("value", False),
        "remark": ("value", None),
        "tags": ("call", "builtins.list"),
        "text": ("value", ""),
        "token": ("call", "uuid.uuid4"),
    }
    assert type(plan).from_dict(plan.to_dict()) == plan  # the plan's JSON keeps them


def test_a_new_stand_in_holds_its_fields_defaults(mini: Path) -> None:
    pytest.importorskip("httpx")
    pytest.importorskip("django")
    plan = build_plan(index_project(mini, use_cache=False), "billing", ["billing"])
    apply_changes(mini, rewire(plan, mini).changes, force=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_", "DATABASE_"))}
    env.update(PYTHONPATH=str(mini), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", dedent(SCRIPT)], cwd=mini, env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # before: AttributeError "billing.Invoice from the service has no field 'note'" (and every other field)
    assert out == {
        "amount": None,
        "paid": False,
        "note": "",
        "text": "",
        "remark": None,
        "tags": [],
        "data": {},
        "limits": {"max": 3},
        "customer_id": None,
        "pk": None,
        "issued": True,
        "token": True,
        "fresh": True,
        "given": "given",
        "number": "AttributeError",
        "state": "AttributeError",
    }

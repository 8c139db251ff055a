"""A moved model's stand-in builds its ``_meta`` fields with the model's own field classes and literal options (issue 14).

pretalx mail in remote mode: the staying (kept) ``MailTemplateForm`` is a ModelForm of the moved ``MailTemplate``;
the stand-in's ``_meta`` made its fields from the class names the plan knew, so i18nfield's ``I18nCharField``
(no class of ``django.db.models``) was a plain ``Field`` and ``blank=True`` was lost: the form's ``subject`` was a
required ``CharField`` reading ``subject`` (the page posts ``subject_0``), ``reply_to``/``bcc`` were required, the
form was invalid and nothing was saved or logged (``test_edit_template[custom|fixed|update]``: ``log_count + 1 ==
0``). The plan now reads each field's class as its module imports it and its literal options (``blank``, ``null``,
``max_length``, ...); the stand-in builds that class (when it imports in the monolith) with those options, and a
value of the field with no JSON form of its own (i18nfield's ``LazyI18nString``, which the form then wrote) is
written as what the field stores (its ``get_prep_value``).

The monolith is tests/fixtures/rewire/mini (billing moves out, sales stays); a field class of the staying
``sales`` app makes its own form field.
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

FILES = {
    "billing/models.py": """
        from django.db import models

        from sales.fields import LabelField


        class Invoice(models.Model):
            number = LabelField(max_length=20)
            note = models.CharField(max_length=200, blank=True, null=True)
            amount = models.DecimalField(max_digits=10, decimal_places=2)
    """,
    "sales/fields.py": """
        from django import forms
        from django.db import models


        class LabelFormField(forms.CharField):
            pass


        class Label:
            # a value object of the field (as i18nfield LazyI18nString): no JSON form of its own

            def __init__(self, text):
                self.text = text


        class LabelField(models.CharField):
            def get_prep_value(self, value):
                return value.text if isinstance(value, Label) else super().get_prep_value(value)

            def formfield(self, **kwargs):
                return super().formfield(**{"form_class": LabelFormField, **kwargs})
    """,
    # a staying ModelForm of the moved model (pretalx: the kept MailTemplateForm)
    "sales/forms.py": """
        from django import forms

        from billing.models import Invoice


        class InvoiceForm(forms.ModelForm):
            class Meta:
                model = Invoice
                fields = ["number", "note", "amount"]
    """,
}

SCRIPT = r"""
    import json, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    bodies = []

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            bodies.append(body)
            result = {"id": 7, "number": "", "note": None, "amount": "0", **body.get("values", {})}
            data = json.dumps({"result": result}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    import django
    from django.conf import settings
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "mini.services"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DECOMPOSE_SERVICES={"billing": {"mode": "remote", "token": "t", "apps": ["billing"],
                                        "url": f"http://127.0.0.1:{server.server_address[1]}"}},
    )
    django.setup()
    from sales.forms import InvoiceForm

    form = InvoiceForm()
    fields = {name: [type(f).__name__, f.required, getattr(f, "max_length", None)] for name, f in form.fields.items()}
    meta = InvoiceForm._meta.model._meta
    from sales.fields import Label

    # the field's value object is written as what the field stores (get_prep_value), as a ModelForm's save does
    InvoiceForm._meta.model.objects.create(number=Label("A-1"), amount="1.00")
    invoice = InvoiceForm._meta.model(number=Label("A-2"), amount="2.00")
    invoice.save()
    written = [b.get("values", {}).get("number") for b in bodies]
    # and compared as itself in a lookup (a ModelForm's unique check, a staying filter)
    InvoiceForm._meta.model.objects.filter(number=Label("A-3")).first()
    looked_up = bodies[-1]["chain"]
    print(json.dumps({"form": fields, "model": {n: type(meta.get_field(n)).__name__ for n in ("number", "note")},
                      "written": written, "looked_up": looked_up}))
"""


def test_a_kept_model_form_gets_the_moved_model_s_field_classes_and_options(tmp_path: Path) -> None:
    pytest.importorskip("httpx")
    pytest.importorskip("django")
    mini = tmp_path / "mini"
    shutil.copytree(FIXTURE, mini, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    for rel, text in FILES.items():
        (mini / rel).write_text(dedent(text).lstrip(), encoding="utf-8")
    plan = build_plan(index_project(mini, use_cache=False), "billing", ["billing"])
    fields = next(b for b in plan.remote_classes.models if b.label == "billing.Invoice").fields
    assert fields == {
        "amount": ("django.db.models.DecimalField", {"decimal_places": 2, "max_digits": 10}),
        "note": ("django.db.models.CharField", {"blank": True, "max_length": 200, "null": True}),
        "number": ("sales.fields.LabelField", {"max_length": 20}),
    }
    apply_changes(mini, rewire(plan, mini).changes, force=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_", "DATABASE_"))}
    env.update(PYTHONPATH=str(mini), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", dedent(SCRIPT)], cwd=mini, env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["model"] == {"number": "LabelField", "note": "CharField"}
    # before: {"number": ["CharField", True, None], "note": ["CharField", True, None], "amount": [..., True, None]}
    assert out["form"] == {
        "number": ["LabelFormField", True, 20],
        "note": ["CharField", False, 200],
        "amount": ["DecimalField", True, None],
    }
    # before: RemoteQueryError "a Label value cannot be sent to the service" (pretalx: LazyI18nString of the
    # kept MailTemplateForm's save)
    assert out["written"] == ["A-1", "A-2"]
    # before: RemoteQueryError "a LazyI18nString value cannot be sent to the service" (29 of pretalx mail's
    # failing tests at 9965c6a: ModelForm and serializer unique checks, staying filters)
    assert out["looked_up"] == [{"filter": {"lookup": "number", "value": "A-3"}}]

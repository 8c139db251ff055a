"""Remote mode keeps every moved URL name reversible to the same path (issue 14, item 2).

A hand-written monolith (tests/fixtures/rewire/mini, billing moves out) whose URLconfs use the forms
real projects use: a namespaced include, the same URLconf under a second instance namespace, nested
includes with their own app_name and namespace, ``re_path``, a DRF router (list, detail, ``@action``
routes with url_path/url_name and a lookup field, a viewset with only ``list``), a moved view mounted
directly in the staying root URLconf, ``i18n_patterns``. After the rewire, Django runs in a subprocess
(nothing analysed is imported here) in local and in remote mode: ``reverse()`` gives the same paths,
and in remote mode every one of them resolves to the proxy view.
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

from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import Rewiring, load_stored_plan, rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"
KEY = "routes-test-identity-key-0123456789abcdef"

FILES = {
    "mini/settings.py": """
        import os
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        SECRET_KEY = "fixture-only"
        DEBUG = True
        ALLOWED_HOSTS = ["*"]
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "billing",
            "sales",
        ]
        ROOT_URLCONF = "mini.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}}
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
        USE_I18N = True
        LANGUAGE_CODE = "en"
        LANGUAGES = [("en", "English"), ("fr", "French")]
        """,
    "mini/urls.py": """
        from django.conf.urls.i18n import i18n_patterns
        from django.urls import include, path

        from billing import views as billing_views

        urlpatterns = [
            path("billing/", include("billing.urls")),
            path("billing2/", include(("billing.urls", "billing"), namespace="billing2")),
            path("pay/<int:pk>/", billing_views.detail, name="pay"),
            path("sales/", include("sales.urls")),
        ] + i18n_patterns(path("intl/", include("billing.intl_urls")))
        """,
    "billing/urls.py": """
        from django.urls import include, path, re_path
        from rest_framework.routers import DefaultRouter

        from billing import views
        from billing.api import InvoiceViewSet, TotalsViewSet

        app_name = "billing"

        router = DefaultRouter()
        router.register(r"invoices", InvoiceViewSet, basename="invoice")
        router.register(r"totals", TotalsViewSet, basename="totals")

        urlpatterns = [
            path("<int:pk>/", views.detail, name="detail"),
            re_path(r"^archive/(?P<year>[0-9]{4})/$", views.detail, name="archive"),
            path("nested/", include("billing.nested_urls")),
            path("api/", include(router.urls)),
            path("t/<uuid:token>/", views.detail, name="by-token"),
        ]
        """,
    "billing/nested_urls.py": """
        from django.urls import include, path

        from . import views

        app_name = "nested"
        urlpatterns = [
            path("x/<slug:s>/", views.detail, name="x"),
            path("deeper/", include("billing.deeper_urls", namespace="deep")),
        ]
        """,
    "billing/deeper_urls.py": """
        from django.urls import path

        from billing.views import detail

        app_name = "deeper"
        urlpatterns = [path("y/<int:n>/", detail, name="y")]
        """,
    "billing/intl_urls.py": """
        from django.urls import path

        from billing import views

        app_name = "intl"
        urlpatterns = [path("page/", views.detail, name="page")]
        """,
    "billing/api.py": """
        from django.http import JsonResponse
        from rest_framework import viewsets
        from rest_framework.decorators import action

        from billing.models import Invoice


        class InvoiceViewSet(viewsets.ModelViewSet):
            queryset = Invoice.objects.all()
            lookup_field = "number"

            @action(detail=True, methods=["post"])
            def mark_paid(self, request, number=None):
                if not request.user.has_perm("billing.change_invoice"):
                    return JsonResponse({}, status=403)
                return JsonResponse({})

            @action(detail=False, url_path="due-soon", url_name="due")
            def due_soon(self, request):
                return JsonResponse({})


        class TotalsViewSet(viewsets.ViewSet):
            def list(self, request):
                return JsonResponse({})
        """,
    "billing/views.py": """
        from django.contrib.auth.decorators import permission_required
        from django.http import JsonResponse

        from billing.services import invoice_total


        @permission_required(("billing.view_invoice", "billing.export_invoice"))
        def detail(request, pk=None, **kwargs):
            return JsonResponse({"total": str(invoice_total(pk))})
        """,
}

#: (name, args, kwargs, language) reversed in both modes
REVERSES: list[tuple[str, list[object], dict[str, object], str]] = [
    ("billing:detail", [3], {}, "en"),
    ("billing2:detail", [3], {}, "en"),
    ("billing:archive", [], {"year": "2024"}, "en"),
    ("billing:nested:x", [], {"s": "a-slug"}, "en"),
    ("billing:nested:deep:y", [], {"n": 7}, "en"),
    ("billing2:nested:deep:y", [], {"n": 7}, "en"),
    ("billing:by-token", [], {"token": "12345678-1234-5678-1234-567812345678"}, "en"),
    ("billing:api-root", [], {}, "en"),
    ("billing:invoice-list", [], {}, "en"),
    ("billing:invoice-detail", [], {"number": "INV-1"}, "en"),
    ("billing:invoice-detail", [], {"number": "INV-1", "format": "json"}, "en"),
    ("billing:invoice-mark-paid", [], {"number": "INV-1"}, "en"),
    ("billing:invoice-due", [], {}, "en"),
    ("billing:totals-list", [], {}, "en"),
    ("billing:totals-detail", [], {"pk": 1}, "en"),  # no retrieve: no such route, in either mode
    ("billing:nope", [], {}, "en"),
    ("pay", [5], {}, "en"),
    ("intl:page", [], {}, "en"),
    ("intl:page", [], {}, "fr"),
]

PROBE = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini.settings")
django.setup()
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import translation
out = []
for name, args, kwargs, lang in json.loads(sys.argv[1]):
    with translation.override(lang):
        try:
            url = reverse(name, args=args, kwargs=kwargs)
        except NoReverseMatch:
            out.append([None, None])
            continue
        match = resolve(url)
        out.append([url, match.func.__name__])
print(json.dumps(out))
"""


def _w(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture(scope="module")
def rewired(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Rewiring]:
    root = tmp_path_factory.mktemp("routes") / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    for rel, text in FILES.items():
        _w(root, rel, text)
    plan = build_plan(index_project(root, use_cache=False), "billing", ["billing"])
    r = rewire(load_stored_plan(root, plan), root)
    for rel, text in r.changes.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root, r


def _probe(root: Path, mode: str) -> list[list[str | None]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_"))}
    env.update(DECOMPOSE_BILLING_MODE=mode, DECOMPOSE_BILLING_URL="http://127.0.0.1:9",
               DECOMPOSE_BILLING_TOKEN="t", DECOMPOSE_BILLING_IDENTITY_KEY=KEY)
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(REVERSES)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_every_moved_url_name_reverses_to_the_same_path_in_remote_mode(rewired: tuple[Path, Rewiring]) -> None:
    root, _ = rewired
    local = _probe(root, "local")
    remote = _probe(root, "remote")
    assert [lr[0] for lr in remote] == [lr[0] for lr in local], list(zip(REVERSES, local, remote, strict=True))
    # the paths are the real ones (the fixture is read right, not only consistently)
    assert [lr[0] for lr in local][7:14] == [
        "/billing/api/", "/billing/api/invoices/", "/billing/api/invoices/INV-1/",
        "/billing/api/invoices/INV-1.json", "/billing/api/invoices/INV-1/mark_paid/", "/billing/api/invoices/due-soon/",
        "/billing/api/totals/",
    ]
    assert local[14] == [None, None] and local[15] == [None, None]  # no retrieve on TotalsViewSet; no such name
    assert local[2][0] == "/billing/archive/2024/" and local[5][0] == "/billing2/nested/deeper/y/7/"
    assert (local[17][0], local[18][0]) == ("/en/intl/page/", "/fr/intl/page/")
    assert local[16][0] == "/pay/5/"
    # local mode runs the moved views; remote mode sends every one of those paths to the proxy
    assert {lr[1] for lr in local if lr[1]} >= {"detail", "InvoiceViewSet"}
    assert {lr[1] for lr in remote if lr[1]} == {"proxy_to_billing"}


def test_the_mirrors_read_everything_and_the_staying_urlconf_imports_no_moved_code_in_remote_mode(
    rewired: tuple[Path, Rewiring],
) -> None:
    root, r = rewired
    assert not any("catch-all" in n for n in r.notes), r.notes  # every form above was read
    assert [c.module for c in r.routes] == [
        "billing.deeper_urls", "billing.intl_urls", "billing.nested_urls", "billing.urls",
    ]
    urls = (root / "mini/urls.py").read_text(encoding="utf-8")
    assert 'if service_is_local("billing"):\n    from billing import views as billing_views' in urls
    assert '[path("pay/<int:pk>/", proxy_view("billing"), name="pay")]' in urls
    # the permission codes the moved code checks travel in the identity assertion
    assert r.permissions == ("billing.change_invoice", "billing.export_invoice", "billing.view_invoice")
    init = (root / "mini/services/routes/billing/__init__.py").read_text(encoding="utf-8")
    assert '"billing.change_invoice",' in init
    # a second rewire of the rewired monolith changes nothing
    plan = build_plan(index_project(root, use_cache=False), "billing", ["billing"])
    assert rewire(load_stored_plan(root, plan), root).effective() == {}


def test_what_cannot_be_read_falls_to_a_catch_all_and_is_said(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    _w(root, "billing/urls.py", """
        from django.urls import path

        from billing import views

        app_name = "billing"
        urlpatterns = [path("<int:pk>/", views.detail, name="detail")]
        for code in ("a", "b"):
            urlpatterns.append(path(f"{code}/", views.detail, name=code))
        """)
    plan = build_plan(index_project(root, use_cache=False), "billing", ["billing"])
    r = rewire(plan, root)
    mirror = r.changes["mini/services/routes/billing/billing__urls.py"]
    assert 'path("<int:pk>/", view, name="detail"),' in mirror
    assert mirror.rstrip().endswith('re_path(r"", view),\n]'.rstrip())
    assert any(n.startswith("remote mode: billing/urls.py:7: urlpatterns written under a for") for n in r.notes), [n for n in r.notes if "remote" in n]

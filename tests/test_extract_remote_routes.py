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

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import jwt
import pytest

from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import Rewiring, load_stored_plan, rewire
from decompose.extract.urlconfs import permission_codes, read_urlconfs

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
        MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware", "mini.testuser.TestUserMiddleware"]
        """,
    "mini/testuser.py": """
        class TestUser:
            pk = 42
            is_authenticated = True
            is_staff = True
            is_superuser = False
            is_active = True
            email = "alice@example.com"

            def get_username(self):
                return "alice"

            def has_perm(self, perm):
                return perm in ("billing.view_invoice", "other.thing")


        class TestUserMiddleware:
            \"\"\"request.user: alice when the request says X-Test-User, else no user (as without auth).\"\"\"

            def __init__(self, get_response):
                self.get_response = get_response

            def __call__(self, request):
                if request.headers.get("X-Test-User"):
                    request.user = TestUser()
                return self.get_response(request)
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
            path("hook/", views.hook, name="hook"),
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
        from django.views.decorators.csrf import csrf_exempt

        from billing.services import invoice_total


        @permission_required(("billing.view_invoice", "billing.export_invoice"))
        def detail(request, pk=None, **kwargs):
            return JsonResponse({"total": str(invoice_total(pk))})


        @csrf_exempt
        def hook(request):
            return JsonResponse({})
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


# -- the proxy, against a real loopback HTTP server ------------------------------------------------------


class _Upstream(http.server.BaseHTTPRequestHandler):
    """The service: records what it receives and answers by path."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, object]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                          "body": body.decode("latin-1")})
        path = self.path.split("?", 1)[0]
        if path.startswith("/billing/archive/"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/billing/1/?from=archive")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/billing/nested/x/stream/":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(64):
                chunk = b"z" * 16384
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        status = 418 if path == "/billing/nested/x/teapot/" else 200
        payload = json.dumps({"method": self.command, "path": self.path, "length": len(body)}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Upstream", "billing")
        self.send_header("Set-Cookie", "svc_a=1; Path=/; HttpOnly")
        self.send_header("Set-Cookie", "svc_b=two; Max-Age=60; Path=/billing/; SameSite=Lax")
        self.send_header("Set-Cookie", "sessionid=the-services-own; Path=/; HttpOnly")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, list[dict[str, object]]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Upstream.seen
    finally:
        server.shutdown()
        server.server_close()


CLIENT = r"""
import hashlib, json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini.settings")
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()

def shape(r):
    body = b"".join(r.streaming_content) if r.streaming else r.content
    return {"status": r.status_code, "streaming": r.streaming, "headers": dict(r.headers.items()),
            "cookies": {k: {"value": m.value, "path": m["path"], "httponly": bool(m["httponly"]),
                            "max-age": str(m["max-age"]), "samesite": m["samesite"]} for k, m in r.cookies.items()},
            "length": len(body), "sha": hashlib.sha256(body).hexdigest(), "text": body[:300].decode("latin-1")}

out = {}
c = Client(HTTP_X_TEST_USER="1")
c.cookies["sessionid"] = "abc"
out["get"] = shape(c.get("/billing/3/?q=1&q=2&x=%C3%A9", HTTP_ACCEPT="text/html", HTTP_X_FORWARDED_FOR="10.0.0.1"))
out["json"] = shape(c.patch("/billing/api/invoices/INV-1/", b'{"paid": true}', content_type="application/json"))
out["redirect"] = shape(c.get("/billing/archive/2024/"))
out["teapot"] = shape(c.delete("/billing/nested/x/teapot/"))
out["stream"] = shape(c.get("/billing/nested/x/stream/"))
out["anonymous"] = shape(Client().get("/pay/5/"))
strict = Client(enforce_csrf_checks=True, HTTP_X_TEST_USER="1")
out["no_csrf"] = shape(strict.post("/billing/3/", {"a": "1"}))
strict.cookies["csrftoken"] = "k" * 32
upload = SimpleUploadedFile("report.bin", bytes(range(256)) * 40, content_type="application/octet-stream")
out["multipart"] = shape(strict.post("/billing/3/", {"csrfmiddlewaretoken": "k" * 32, "note": "héllo", "file": upload},
                                     HTTP_X_CSRFTOKEN=""))
# CSRF as the moved views had it: a csrf_exempt view and a DRF view called without a token by an
# anonymous client reach the service; the DRF view refuses a user signed in (as SessionAuthentication does)
out["exempt"] = shape(Client(enforce_csrf_checks=True).post("/billing/hook/", {"a": "1"}))
out["drf_anonymous"] = shape(Client(enforce_csrf_checks=True).post("/billing/api/invoices/", {"a": "1"}))
out["drf_user"] = shape(Client(enforce_csrf_checks=True, HTTP_X_TEST_USER="1").post("/billing/api/invoices/", {"a": "1"}))
print(json.dumps(out))
"""


def _client_run(root: Path, url: str) -> dict[str, dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_"))}
    env.update(DECOMPOSE_BILLING_MODE="remote", DECOMPOSE_BILLING_URL=url, DECOMPOSE_BILLING_TOKEN="t",
               DECOMPOSE_BILLING_IDENTITY_KEY=KEY, DECOMPOSE_BILLING_CONNECT_TIMEOUT="1", DECOMPOSE_BILLING_RETRIES="0")
    done = subprocess.run([sys.executable, "-c", CLIENT], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_the_proxy_forwards_requests_and_answers_as_the_service_did(
    rewired: tuple[Path, Rewiring], upstream: tuple[str, list[dict[str, object]]],
) -> None:
    root, _ = rewired
    url, seen = upstream
    seen.clear()
    out = _client_run(root, url)
    got = {f"{s['method']} {s['path']}": s for s in seen}
    # method, path and query unchanged; headers forwarded, hop-by-hop ones not, X-Forwarded-* added
    first = got["GET /billing/3/?q=1&q=2&x=%C3%A9"]
    headers = {k.lower(): v for k, v in first["headers"].items()}  # type: ignore[union-attr]
    assert headers["accept"] == "text/html" and headers["cookie"] == "sessionid=abc"
    assert headers["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http" and headers["x-forwarded-host"] == "testserver"
    assert headers["host"] == url.removeprefix("http://")
    assert out["get"]["status"] == 200 and out["get"]["headers"]["X-Upstream"] == "billing"
    assert json.loads(str(out["get"]["text"]))["path"] == "/billing/3/?q=1&q=2&x=%C3%A9"
    # every Set-Cookie comes back, attributes kept (but the service's session cookie: the monolith's stays)
    assert out["get"]["cookies"] == {
        "svc_a": {"value": "1", "path": "/", "httponly": True, "max-age": "", "samesite": ""},
        "svc_b": {"value": "two", "path": "/billing/", "httponly": False, "max-age": "60", "samesite": "Lax"},
    }
    assert "keep-alive" not in {str(v).lower() for v in out["get"]["headers"].values()}
    # the user, signed for this service: verifiable with its key, with its permissions among those checked
    claims = jwt.decode(str(headers["x-decompose-identity"]), KEY, algorithms=["HS256"], audience="billing",
                        issuer="monolith")
    assert claims["exp"] - claims["iat"] == 30 and len(claims["jti"]) == 32
    assert (claims["sub"], claims["username"], claims["email"]) == ("42", "alice", "alice@example.com")
    assert (claims["is_staff"], claims["is_superuser"], claims["is_active"]) == (True, False, True)
    assert claims["perms"] == ["billing.view_invoice"]  # "other.thing" is not checked by the moved code
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(str(headers["x-decompose-identity"]), KEY, algorithms=["HS256"], audience="other")
    anonymous = {k.lower(): v for k, v in got["GET /pay/5/"]["headers"].items()}  # type: ignore[union-attr]
    assert "sub" not in jwt.decode(str(anonymous["x-decompose-identity"]), KEY, algorithms=["HS256"], audience="billing")
    # a JSON body and its method
    assert got["PATCH /billing/api/invoices/INV-1/"]["body"] == '{"paid": true}'
    assert out["json"]["status"] == 200
    # a redirect is not followed, and a Location on the service's address points at the monolith
    assert out["redirect"]["status"] == 302
    assert out["redirect"]["headers"]["Location"] == "http://testserver/billing/1/?from=archive"
    assert "GET /billing/1/?from=archive" not in got
    # the service's status, whatever it is
    assert out["teapot"]["status"] == 418 and got["DELETE /billing/nested/x/teapot/"]
    # an unsized answer is streamed, unchanged
    assert out["stream"]["streaming"] is True and out["stream"]["length"] == 64 * 16384
    # CSRF is checked at the monolith: without the token the request never reaches the service
    assert out["no_csrf"]["status"] == 403 and "POST /billing/3/" in got
    posts = [s for s in seen if s["method"] == "POST" and s["path"] == "/billing/3/"]
    assert len(posts) == 1  # only the multipart one, with its token
    # a multipart upload the CSRF check parsed is sent again with its fields and the file intact
    body = str(posts[0]["body"]).encode("latin-1")
    assert bytes(range(256)) * 40 in body and b'filename="report.bin"' in body
    assert "héllo".encode() in body and out["multipart"]["status"] == 200
    # CSRF as the moved view had it: exempt, DRF's (anonymous: no check; signed in: checked, refused here)
    assert out["exempt"]["status"] == 200 and "POST /billing/hook/" in got
    assert out["drf_anonymous"]["status"] == 200
    assert out["drf_user"]["status"] == 403 and "CSRF Failed" in str(out["drf_user"]["text"])
    assert [s["path"] for s in seen if s["method"] == "POST"].count("/billing/api/invoices/") == 1


def test_a_service_that_is_down_gives_a_503_page(rewired: tuple[Path, Rewiring]) -> None:
    root, _ = rewired
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_"))}
    env.update(DECOMPOSE_BILLING_MODE="remote", DECOMPOSE_BILLING_URL=f"http://127.0.0.1:{port}", DECOMPOSE_BILLING_TOKEN="t",
               DECOMPOSE_BILLING_IDENTITY_KEY=KEY, DECOMPOSE_BILLING_RETRIES="0", DECOMPOSE_BILLING_FAIL_MAX="2")
    probe = (
        "import os, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mini.settings')\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "for _ in range(4):\n"
        "    r = Client().get('/billing/3/')\n"
        "    print(r.status_code, r.headers.get('Retry-After'), r.headers.get('X-Decompose-Unavailable'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == ["503 30 billing"] * 4  # refused, then the breaker open: a 503 page each time


def test_the_reader_on_more_forms_without_django() -> None:
    """``url()``, a SimpleRouter without trailing slashes, a custom converter, a viewset found through a
    re-export, an include of a URLconf that stays (read as text only: nothing imported)."""
    sources = {
        "pay.urls": ("""
from django.conf.urls import url
from django.urls import include, path
from rest_framework.routers import SimpleRouter
from pay.api import Things

router = SimpleRouter(trailing_slash=False)
router.register("things", Things, "thing")

urlpatterns = [
    url(r"^old/(?P<pk>\\d+)/$", views.old, name="old"),
    path("y/<year:y>/", views.year, name="year"),
    path("auth/", include("django.contrib.auth.urls")),
] + router.urls
""", False),
        "pay.api": ("from pay.viewsets import Things  # re-exported\n", False),
        "pay.viewsets": ("""
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

class Base(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = "[0-9]+"

class Things(Base):
    @action(detail=True, url_path="go/now")
    def go(self, request, pk=None):
        pass
""", False),
    }
    (conf,) = read_urlconfs(["pay.urls"], sources.get, ("pay",))
    assert [(r.kind, r.route, r.name, r.csrf) for r in conf.routes] == [
        ("re_path", r"^old/(?P<pk>\d+)/$", "old", "check"),
        ("path", "y/<str:y>/", "year", "check"),
        ("re_path", "^things/(?P<pk>[0-9]+)$", "thing-detail", "drf"),  # retrieve only: no list route
        ("re_path", "^things/(?P<pk>[0-9]+)/go/now$", "thing-go", "drf"),
    ]
    assert conf.notes == ("pay/urls.py:12: converter 'year' of 'y/<year:y>/' mirrored as str",)
    assert conf.unread == ("pay/urls.py:13: include of django.contrib.auth.urls, not a URLconf of the moved apps",)


def test_permission_codes_the_moved_code_checks() -> None:
    code = '''
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.decorators import permission_required

class Refunds(PermissionRequiredMixin, View):
    permission_required = ("pay.refund_payment", "pay.view_payment")

@permission_required("pay.capture_payment", raise_exception=True)
def capture(request):
    if request.user.has_perms(["pay.add_payment"]) or request.user.has_perm(perm="pay.export"):
        return None
    return request.user.has_perm(some_variable)  # not literal: not collected
'''
    assert permission_codes([("pay/views.py", code)]) == (
        "pay.add_payment", "pay.capture_payment", "pay.export", "pay.refund_payment", "pay.view_payment",
    )

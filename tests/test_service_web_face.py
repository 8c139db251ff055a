"""The service's web face (issue 14 items 1, 3, 5, service side): the moved apps' pages are served at the
paths and namespaces the monolith's URLconfs gave them, behind the monolith's identity assertion.

Each service is generated into a temporary folder and driven in a subprocess with its own settings
(Django's test client, a signed ``X-Decompose-Identity``); nothing of the analysed project is imported
here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import write_project

from decompose.cli import cli
from decompose.extract.plan import build_plan

SAMPLE = Path(__file__).resolve().parents[1] / "sample_monolith"
KEY = "web-face-identity-key-0123456789-abcdefghij"

#: a monolith whose moved app ("blog") has pages: a template extending a staying base.html (which includes a
#: staying partial) and loading a staying tag library, a namespaced include under another namespace, a staying
#: URLconf including a moved one inside its own namespace, a moved view mounted in the staying root URLconf, a
#: route the service's API shadows, a permission check and the admin
PROJECT = {
    "manage.py": """
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
    """,
    "proj/__init__.py": "",
    "proj/settings.py": """
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        SECRET_KEY = "x"
        INSTALLED_APPS = [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "django.contrib.humanize",
            "sitecore",
            "pages",
            "blog",
        ]
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "proj.middleware.Timing",
        ]
        ROOT_URLCONF = "proj.urls"
        TEMPLATES = [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [BASE_DIR / "templates"],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "sitecore.context_processors.site",
                        "pages.context_processors.menu",
                        "proj.context_processors.version",
                    ]
                },
            }
        ]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
        LOGIN_URL = "accounts:login"
        STATIC_URL = "/assets/"
        SITE_NAME = "Corner Blog"
        CSRF_COOKIE_NAME = "shopcsrf"
        LANGUAGES = [("en", "English"), ("fr", "French")]
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    """,
    "proj/context_processors.py": """
        def version(request):
            return {"version": "1.0"}
    """,
    "proj/middleware.py": """
        class Timing:
            def __init__(self, get_response):
                self.get_response = get_response

            def __call__(self, request):
                return self.get_response(request)
    """,
    "proj/urls.py": """
        from django.conf.urls.i18n import i18n_patterns
        from django.contrib import admin
        from django.urls import include, path

        from blog import views as blog_views

        urlpatterns = [
            path("admin/", admin.site.urls),
            path("blog/", include("blog.urls", namespace="news")),
            path("portal/", include("pages.urls")),
            path("feed/", blog_views.feed, name="feed"),
            path("archive/", blog_views.Archive.as_view(template_name="blog/index.html"), name="archive"),
            path("accounts/", include(("sitecore.urls", "accounts"))),
            path("api/v1/blog/", include("blog.api_urls")),
        ]
        urlpatterns += i18n_patterns(path("intl/", blog_views.feed, name="intl"))
    """,
    "templates/base.html": """
        <html><title>{{ site_name }}</title>{% include "partials/nav.html" %}{% block body %}{% endblock %}
        <a href="{% url 'pages:home' %}">HOME</a><a href="{% url 'accounts:login' %}">LOGIN</a></html>
    """,
    "templates/partials/nav.html": "<nav>NAV-PARTIAL</nav>\n",
    "templates/plain.html": "PLAIN-STAYING-TEMPLATE\n",
    "sitecore/__init__.py": "",
    "sitecore/apps.py": """
        from django.apps import AppConfig


        class SitecoreConfig(AppConfig):
            name = "sitecore"
    """,
    "sitecore/context_processors.py": """
        from django.conf import settings


        def site(request):
            return {"site_name": settings.SITE_NAME}
    """,
    "sitecore/templatetags/__init__.py": "",
    "sitecore/templatetags/site_tags.py": """
        from django import template

        from sitecore.text import shout

        register = template.Library()


        @register.filter
        def loud(value):
            return shout(value)
    """,
    "sitecore/text.py": """
        def shout(value):
            return str(value).upper() + "!"
    """,
    "sitecore/urls.py": """
        from django.http import HttpResponse
        from django.urls import path


        def login(request):
            return HttpResponse("login")


        urlpatterns = [path("login/", login, name="login")]
    """,
    "pages/__init__.py": "",
    "pages/apps.py": """
        from django.apps import AppConfig


        class PagesConfig(AppConfig):
            name = "pages"
    """,
    "pages/models.py": """
        from django.db import models


        class MenuItem(models.Model):
            title = models.CharField(max_length=50)
    """,
    "pages/context_processors.py": """
        from pages.models import MenuItem


        def menu(request):
            return {"menu": MenuItem.objects.all()}
    """,
    "pages/views.py": """
        from django.http import HttpResponse


        def home(request):
            return HttpResponse("home")
    """,
    "pages/urls.py": """
        from django.urls import include, path

        from pages import views

        app_name = "pages"
        urlpatterns = [
            path("", views.home, name="home"),
            path("b/", include("blog.extra_urls")),
            path("y/<year:y>/", views.home, name="year"),
            path("unused/", views.home, name="unused"),
        ]
    """,
    "blog/__init__.py": "",
    "blog/apps.py": """
        from django.apps import AppConfig


        class BlogConfig(AppConfig):
            name = "blog"
    """,
    "blog/models.py": """
        from django.db import models


        class Post(models.Model):
            title = models.CharField(max_length=100)
    """,
    "blog/migrations/__init__.py": "",
    "blog/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Post",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("title", models.CharField(max_length=100)),
                    ],
                )
            ]
    """,
    "blog/admin.py": """
        from django.contrib import admin

        from blog.models import Post

        admin.site.register(Post)
    """,
    "blog/views.py": """
        from django.contrib.auth.decorators import login_required, permission_required
        from django.http import HttpResponse
        from django.shortcuts import render
        from django.views.generic import TemplateView


        def index(request):
            return render(request, "blog/index.html", {"title": "hello"})


        def detail(request, pk):
            return HttpResponse(f"post {pk} for {request.user.get_username()}")


        @login_required
        @permission_required("blog.view_post", raise_exception=True)
        def secret(request):
            return HttpResponse("secret")


        def feed(request):
            return HttpResponse("feed", content_type="text/plain")


        ARCHIVE_BY_YEAR = "pages:year"  # a custom converter: the service cannot mount it


        def plain(request):
            return render(request, "plain.html")


        def form(request):
            return render(request, "blog/form.html")


        def extra(request):
            return HttpResponse("extra")


        def api_posts(request):
            return HttpResponse("[]")


        class Archive(TemplateView):
            template_name = "other.html"

            def get_context_data(self, **kwargs):
                return {**super().get_context_data(**kwargs), "title": "archive"}
    """,
    "blog/urls.py": """
        from django.urls import path

        from blog import api, views

        app_name = "blog"
        urlpatterns = [
            path("", views.index, name="index"),
            path("<int:pk>/", views.detail, name="detail"),
            path("secret/", views.secret, name="secret"),
            path("drf/", api.Posts.as_view(), name="drf"),
            path("plain/", views.plain, name="plain"),
            path("form/", views.form, name="form"),
            path("drf-default/", api.DefaultPosts.as_view(), name="drf_default"),
        ]
    """,
    "blog/api.py": """
        from rest_framework.authentication import SessionAuthentication
        from rest_framework.permissions import IsAuthenticated
        from rest_framework.response import Response
        from rest_framework.views import APIView


        class Posts(APIView):
            authentication_classes = [SessionAuthentication]
            permission_classes = [IsAuthenticated]

            def post(self, request):
                return Response({"user": request.user.pk, "staff": request.user.is_staff})


        class DefaultPosts(APIView):
            permission_classes = [IsAuthenticated]

            def get(self, request):
                return Response({"user": request.user.pk})
    """,
    "blog/static/blog/app.css": "body { color: teal; }\n",
    "blog/extra_urls.py": """
        from django.urls import path

        from blog import views

        app_name = "extra"
        urlpatterns = [path("x/", views.extra, name="x")]
    """,
    "blog/api_urls.py": """
        from django.urls import path

        from blog import views

        urlpatterns = [path("posts/", views.api_posts)]
    """,
    "blog/templates/blog/form.html": "<form>{% csrf_token %}</form>\n",
    "blog/templates/blog/count.html": "{% load humanize crispy_forms_tags %}{{ 1234|intcomma }}\n",
    "blog/templates/blog/index.html": """
        {% extends "base.html" %}{% load site_tags %}
        {% block body %}<h1>{{ title|loud }}</h1><a href="{% url 'news:detail' 1 %}">one</a>{% endblock %}
    """,
}


def _write(root: Path, files: dict[str, str]) -> Path:
    return write_project(root, files)


def _extract(project: Path, service: str, apps: str, out: Path) -> Path:
    result = CliRunner().invoke(
        cli, ["extract", str(project), "--service", service, "--apps", apps, "--out", str(out), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    return out / service


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "DECOMPOSE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'service.sqlite3'}",
        DJANGO_SECRET_KEY="web-face-secret-key-0123456789",
        DECOMPOSE_IDENTITY_KEY=KEY,
        DJANGO_ALLOWED_HOSTS="testserver",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


#: run in the service's folder with its settings: migrate, then each request of REQUESTS (JSON on argv) with a
#: signed assertion built from its claims, and print one JSON line of answers
DRIVER = """
import json, os, sys, time, uuid
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[1]
import django
django.setup()
import jwt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

call_command("migrate", verbosity=0)
spec = json.loads(sys.argv[2])
client = Client(enforce_csrf_checks=True)
for name, value in spec.get("cookies", {}).items():
    client.cookies[name] = value
answers = []
for method, path, claims in spec["requests"]:
    extra = {}
    if claims is not None:
        now = int(time.time())
        body = {"iss": "monolith", "aud": spec["service"], "iat": now, "exp": now + 30, "jti": uuid.uuid4().hex,
                "is_active": True, "is_staff": False, "is_superuser": False, "perms": []}
        body.update(claims)
        key = body.pop("key", settings.IDENTITY_KEY)
        extra["HTTP_X_DECOMPOSE_IDENTITY"] = jwt.encode(body, key, algorithm="HS256")
    response = getattr(client, method)(path, **extra)
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    answers.append([response.status_code, response.get("Location"), content.decode("utf-8", "replace")])
names = {n: reverse(n, args=a) for n, a in spec.get("reverse", [])}
if spec.get("unmask"):
    from django.middleware.csrf import _unmask_cipher_token
    import re as _re
    answers.append([_unmask_cipher_token(t) for t in _re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', answers[-1][2])])
print(json.dumps({"answers": answers, "reverse": names}))
"""


def _drive(
    folder: Path, service: str, env: dict[str, str], requests: list, reverse: list | None = None, **extra: object
) -> dict:
    spec = json.dumps({"service": service, "requests": requests, "reverse": reverse or [], **extra})
    pkg = f"{service.replace('-', '_')}_service.settings"
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, pkg, spec], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    project = _write(root / "mono", PROJECT)
    return _extract(project, "blog", "blog", root / "out")


def test_the_plan_records_where_the_monolith_mounts_the_moved_pages(blog: Path) -> None:
    plan = json.loads((blog / "extraction-plan.json").read_text())
    web = plan["web"]
    routes = {(r["kind"], r["path"], r["target"]) for r in web["routes"]}
    assert routes == {
        ("include", "blog/", "blog.urls"),
        ("include", "portal/b/", "blog.extra_urls"),
        ("view", "feed/", "blog.views.feed"),
        ("view", "archive/", "blog.views.Archive"),
        ("include", "api/v1/blog/", "blog.api_urls"),
        ("view", "intl/", "blog.views.feed"),
    }
    by_target = {r["target"]: r for r in web["routes"]}
    assert by_target["blog.urls"]["mount"] == {"function": "path", "route": "blog/", "namespace": "news",
                                               "app_name": "blog"}  # fmt: skip
    assert [m["namespace"] for m in by_target["blog.extra_urls"]["parents"]] == ["pages"]
    assert by_target["blog.views.Archive"]["call"] == ".as_view(template_name='blog/index.html')"
    urls = textwrap.dedent(PROJECT["proj/urls.py"]).lstrip("\n").splitlines()
    line = next(i for i, text in enumerate(urls, 1) if 'path("feed/"' in text)
    feed = next(r for r in web["routes"] if r["path"] == "feed/")
    assert feed["evidence"] == {"path": "proj/urls.py", "line": line}
    intl = next(r for r in web["routes"] if r["path"] == "intl/")
    assert intl["parents"] == [{"function": "i18n", "route": "", "namespace": None, "app_name": "True"}]
    assert len(web["collisions"]) == 1 and "'api/v1/blog/posts/'" in web["collisions"][0]
    assert web["templates"] == {
        "base.html": "templates/base.html",
        "partials/nav.html": "templates/partials/nav.html",
        "plain.html": "templates/plain.html",  # rendered by name by a moved view
    }
    assert web["template_libraries"] == {"site_tags": "sitecore.templatetags.site_tags"}
    assert "sitecore.text" in web["modules"] and "sitecore.context_processors" in web["modules"]
    assert "sitecore.context_processors.site" in web["context_processors"]
    # in the settings' package, but not the settings: copied (with its package, not the settings)
    assert "proj.context_processors.version" in web["context_processors"]
    assert {"proj", "proj.context_processors"} <= set(web["modules"]) and "proj.settings" not in web["modules"]
    assert web["skipped_context_processors"] == {
        "pages.context_processors.menu": "it uses staying code that cannot be copied (pages.models)"
    }
    assert "pages.context_processors.menu" not in web["context_processors"]
    assert not any(m.startswith("pages") for m in web["modules"])
    assert "proj.middleware.Timing" not in web["middleware"]
    assert "django.middleware.locale.LocaleMiddleware" in web["middleware"]
    assert web["login_url"] == "/accounts/login/"
    reversible = {(":".join([m["namespace"] for m in r["parents"] if m["namespace"]] + [r["name"]]), r["path"])
                  for r in web["reversible"]}  # fmt: skip
    assert reversible == {("pages:home", "portal/"), ("accounts:login", "accounts/login/")}
    assert web["admin_apps"] == ["blog"]
    assert web["apps"] == ["django.contrib.humanize"]  # {% load humanize %}
    extraction = (blog / "EXTRACTION.md").read_text()
    assert "web route collision" in extraction and "api/v1/blog/posts/" in extraction
    assert "## Pages (the moved apps' web face)" in extraction
    assert "`blog/templates/blog/count.html:1`" in extraction and "'crispy_forms_tags'" in extraction
    assert "- `/portal/b/` — include `blog.extra_urls`, namespace `pages:extra`, mounted at `pages/urls.py:8`" in extraction
    assert "served here at the monolith's paths (`/admin/blog/`)" in extraction
    assert [(a["site"], a["site_name"], a["label"], a["object_name"]) for a in web["admin_models"]] == [
        ("django.contrib.admin.sites.site", "admin", "blog", "Post")
    ]
    assert [(r["kind"], r["path"], r["name"]) for r in web["admin"]] == [("admin", "admin/", "admin")]
    perms = {m["model_name"]: m["permissions"] for m in web["model_permissions"]}
    assert perms["post"][0] == ["add_post", "Can add post"] and len(perms["post"]) == 4
    readme = (blog / "README.md").read_text()
    assert "| `/portal/b/` | include | `blog.extra_urls` | pages:extra |" in readme
    assert "`/admin/blog/`" in readme
    assert re.search(r"^PyJWT>=2\.8,<3", (blog / "requirements.txt").read_text(), re.M)


def test_the_service_serves_the_moved_pages_at_the_same_paths(blog: Path, tmp_path: Path) -> None:
    staff = {"sub": "7", "username": "ada", "email": "ada@example.com", "is_staff": True, "perms": ["blog.view_post"]}
    out = _drive(
        blog,
        "blog",
        _env(tmp_path),
        [
            ["get", "/blog/", {"sub": "3", "username": "bob"}],
            ["get", "/blog/5/", {"sub": "3", "username": "bob"}],
            ["get", "/feed/", {}],
            ["get", "/archive/", {}],
            ["get", "/portal/b/x/", {}],
            ["get", "/blog/secret/", staff],
            ["get", "/blog/secret/", {**staff, "perms": []}],
            ["get", "/blog/secret/", {}],
            ["post", "/blog/5/", staff],
            ["get", "/admin/blog/post/", {**staff, "is_superuser": True}],
            ["get", "/admin/", {"sub": "3", "username": "bob"}],
            ["get", "/admin/login/?next=/admin/", {}],
            ["get", "/blog/", None],
            ["get", "/blog/", {"key": "another-key-of-at-least-32-characters-long"}],
            ["get", "/blog/", {"aud": "payments"}],
            ["get", "/blog/", {"exp": 2_000_000_000}],
            ["get", "/portal/", {}],
            ["post", "/blog/drf/", staff],
            ["post", "/blog/drf/", {}],
            ["get", "/blog/drf-default/", staff],
            ["get", "/blog/drf-default/", None],
            ["get", "/blog/plain/", {}],
            ["get", "/fr/intl/", {}],
            ["get", "/_decompose/admin/admin/apps?language=en", {**staff, "is_superuser": True}],
            ["get", "/_decompose/admin/admin/apps", {"sub": "3", "username": "bob"}],
            ["get", "/_decompose/admin/nosuchsite/apps", staff],
            ["get", "/_decompose/admin/admin/apps", None],
        ],
        reverse=[["news:index", []], ["news:detail", [1]], ["pages:extra:x", []], ["feed", []], ["archive", []]],
    )
    answers = out["answers"]
    page = answers[0]
    assert page[0] == 200, page
    # the staying base.html and its partial, vendored; the staying tag library; the context processor; {% url %}
    assert "NAV-PARTIAL" in page[2] and "HELLO!" in page[2] and "Corner Blog" in page[2]
    assert 'href="/blog/1/"' in page[2]
    assert '<a href="/portal/">HOME</a><a href="/accounts/login/">LOGIN</a>' in page[2]  # staying names reversed
    assert answers[1][:1] == [200] and answers[1][2] == "post 5 for bob"
    assert answers[2][0] == 200 and answers[2][2] == "feed"
    assert answers[3][0] == 200 and "ARCHIVE!" in answers[3][2]  # .as_view(template_name=...) kept
    assert answers[4][:1] == [200] and answers[4][2] == "extra"
    assert answers[5][0] == 200 and answers[5][2] == "secret"  # permission from the assertion
    assert answers[6][0] == 403  # without the permission
    assert answers[7][0] == 302 and answers[7][1].startswith("/accounts/login/?next=")  # anonymous: monolith login
    assert answers[8][0] == 200  # POST with CSRF enforced by the client: checked at the monolith, not here
    assert answers[9][0] == 200 and "Select post to change" in answers[9][2]  # the admin, for staff
    assert answers[10][0] == 302 and answers[10][1] == "/admin/login/?next=/admin/"  # not staff
    assert answers[11][0] == 302 and answers[11][1] == "/accounts/login/?next=%2Fadmin%2F"  # the monolith's login
    for rejected in answers[12:16]:  # missing, forged, other audience, lives too long
        assert rejected[0] == 401 and set(json.loads(rejected[2])) == {"error"}, rejected
    assert answers[16][0] == 404 and "served by the monolith" in answers[16][2]  # reversible only
    # DRF: SessionAuthentication (CSRF enforced for a session user) and the service's defaults see the user
    assert answers[17][0] == 200 and json.loads(answers[17][2]) == {"user": 7, "staff": True}, answers[17]
    assert answers[18][0] == 403  # anonymous assertion: DRF refuses, as in the monolith
    assert answers[19][0] == 200 and json.loads(answers[19][2]) == {"user": 7}, answers[19]
    assert answers[20][0] == 401  # no assertion: the view never runs
    assert answers[21][0] == 200 and "PLAIN-STAYING-TEMPLATE" in answers[21][2]
    assert answers[22][0] == 200 and answers[22][2] == "feed"  # under the monolith's i18n_patterns prefix
    # the monolith's admin index asks for the moved models' entries, as the service's admin builds them for the user
    apps = json.loads(answers[23][2])["apps"]
    assert answers[23][0] == 200 and [a["app_label"] for a in apps] == ["blog"], answers[23]
    post = apps[0]["models"][0]
    assert post["object_name"] == "Post" and post["admin_url"] == "/admin/blog/post/" and "model" not in post
    assert post["perms"] == {"add": True, "change": True, "delete": True, "view": True}
    assert answers[24][0] == 200 and json.loads(answers[24][2]) == {"apps": []}  # not staff: nothing listed
    assert answers[25][0] == 404 and "nosuchsite" in answers[25][2]
    assert answers[26][0] == 401  # only for the monolith's signed requests
    assert out["reverse"] == {
        "news:index": "/blog/", "news:detail": "/blog/1/", "pages:extra:x": "/portal/b/x/", "feed": "/feed/",
        "archive": "/archive/",
    }  # fmt: skip


def test_the_generated_suite_passes_with_its_identity_tests(blog: Path, tmp_path: Path) -> None:
    # the whole suite: the API's own tests hold beside the pages (the OpenAPI document against the live schema)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"],
        cwd=blog,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-4000:]
    passed = re.findall(r"^PASSED blog_service/tests/test_identity.py::(\S+)", run.stdout, re.M)
    for name in ("forged", "expired", "lives-too-long", "other-audience", "alg-none", "missing"):
        assert any(f"[{name}]" in p for p in passed), name
    assert any("replayed" in p for p in passed) and any("valid_assertion" in p for p in passed)


def test_the_moved_apps_static_files_are_served_without_an_assertion(blog: Path, tmp_path: Path) -> None:
    out = _drive(blog, "blog", _env(tmp_path, DJANGO_DEBUG="1"), [["get", "/assets/blog/app.css", None]])
    assert out["answers"][0][0] == 200 and "teal" in out["answers"][0][2]
    settings = (blog / "blog_service" / "settings.py").read_text()
    assert 'STATIC_URL = "/assets/"' in settings


def test_csrf_tokens_rendered_by_the_service_match_the_monolith_cookie(blog: Path, tmp_path: Path) -> None:
    secret = "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f"  # the monolith's CSRF cookie, forwarded by its proxy
    out = _drive(blog, "blog", _env(tmp_path), [["get", "/blog/form/", {}]], cookies={"shopcsrf": secret}, unmask=True)
    assert out["answers"][0][0] == 200
    assert out["answers"][1] == [secret]  # the form posts back to the monolith, which checks it against its cookie
    settings = (blog / "blog_service" / "settings.py").read_text()
    assert "CSRF_COOKIE_NAME = \"shopcsrf\"  # the monolith's (proj/settings.py:" in settings
    assert "LANGUAGES = [(\"en\", \"English\"), (\"fr\", \"French\")]" in settings
    assert 'SESSION_COOKIE_NAME = "blog_sessionid"' in settings


def test_the_service_refuses_to_start_without_an_identity_key(blog: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["DECOMPOSE_IDENTITY_KEY"] = "too-short"
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=blog, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0 and "DECOMPOSE_IDENTITY_KEY" in run.stderr
    env["DJANGO_DEBUG"] = "1"
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=blog, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_service_without_pages_has_no_identity(tmp_path: Path) -> None:
    files = {k: v for k, v in PROJECT.items() if not k.startswith("blog/")}
    files["proj/urls.py"] = "urlpatterns = []\n"
    files["proj/settings.py"] = files["proj/settings.py"].replace('"blog",\n', '"blog",\n        "quiet",\n')
    files |= {
        "blog/__init__.py": "",
        "blog/apps.py": PROJECT["blog/apps.py"],
        "quiet/__init__.py": "",
        "quiet/apps.py": "from django.apps import AppConfig\n\n\nclass QuietConfig(AppConfig):\n    name = 'quiet'\n",
        "quiet/services.py": "def ping():\n    return 1\n",
    }
    plan = build_plan(_write(tmp_path / "mono", files), "quiet", ["quiet"])
    assert plan.web.routes == () and plan.web.admin_apps == ()
    folder = _extract(tmp_path / "mono", "quiet", "quiet", tmp_path / "out")
    assert not (folder / "quiet_service" / "identity.py").exists()
    assert "IDENTITY_KEY" not in (folder / "quiet_service" / "settings.py").read_text()


@pytest.mark.parametrize(
    ("service", "path", "claims", "status", "body"),
    [
        # a moved JSON view of the sample: staff only, the payment does not exist in the new service's database
        ("payments", "/api/payments/999/capture/", {"sub": "1", "is_staff": True}, 404, "payment_not_found"),
        ("payments", "/api/payments/999/capture/", {"sub": "1"}, 302, ""),
        ("notifications", "/api/notifications/", {"sub": "4"}, 200, '"notifications": []'),
        ("notifications", "/api/notifications/", {}, 401, "authentication required"),
    ],
)
def test_the_sample_apps_views_are_served_by_their_service(
    sample_services: dict[str, Path], tmp_path: Path, service: str, path: str, claims: dict, status: int, body: str
) -> None:
    method = "post" if path.endswith("capture/") else "get"
    answer = _drive(sample_services[service], service, _env(tmp_path), [[method, path, claims]])["answers"][0]
    assert answer[0] == status, answer
    assert body in answer[2]


@pytest.fixture(scope="module")
def sample_services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sample")
    project = root / "mono"
    shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns("db.sqlite3", "__pycache__"))
    return {s: _extract(project, s, s, root / "out") for s in ("payments", "notifications")}


def test_urlconfs_that_loop_or_name_nothing_are_read_without_error(tmp_path: Path) -> None:
    files = dict(PROJECT)
    files["proj/urls.py"] = """
        from django.conf import settings
        from django.conf.urls.i18n import i18n_patterns
        from django.urls import include, path, re_path

        from blog import views

        urlpatterns = [
            path(settings.BLOG_PREFIX, include("blog.urls", namespace="pref")),
            path(prefix(), include("blog.extra_urls")),
            path("self/", include("proj.urls")),
            path("gone/", include("nowhere.urls")),
            path(route="kw/", view=views.feed, name="kw"),
            re_path(r"^old/(?P<pk>[0-9]+)/$", views.detail, {"extra": 1}, name="old"),
            path("inline/", include(([path("f/", views.feed, name="f")], "inl"), namespace="inl")),
        ]
        urlpatterns += i18n_patterns(path("i18n/", views.feed))
    """
    files["proj/settings.py"] += '    BLOG_PREFIX = "pref/"\n'
    plan = build_plan(_write(tmp_path / "mono", files), "blog", ["blog"])
    web = plan.web
    assert ("include", "pref/", "blog.urls") in {(r.kind, r.path, r.target) for r in web.routes}  # settings.NAME
    unread = [s for s in plan.manual_steps if "a route decompose cannot read (prefix())" in s.message]
    assert [(s.path, s.pattern) for s in unread] == [("proj/urls.py", "web face")]
    found = {(r.path, r.kind, r.name, r.kwargs) for r in web.routes}
    assert ("kw/", "view", "kw", None) in found
    assert (r"^old/(?P<pk>[0-9]+)/$", "view", "old", "{'extra': 1}") in found
    assert ("inline/f/", "view", "f", None) in found
    inline = next(r for r in web.routes if r.path == "inline/f/")
    assert [(m.namespace, m.app_name) for m in inline.parents] == [("inl", None)]
    assert not [r.path for r in web.routes if r.path.startswith("self/")]  # the include loop stops at the repeat


def test_whitenoise_serves_the_static_files_when_the_monolith_uses_it() -> None:
    from decompose.extract.plan import PLAN_SCHEMA, ExtractionPlan
    from decompose.extract.service import web as web_face
    from decompose.extract.service.settings_values import SettingValue

    web = {"admin_apps": ["shop"], "static": "whitenoise", "middleware": [
        "django.middleware.security.SecurityMiddleware", "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware", "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]}  # fmt: skip
    plan = ExtractionPlan.from_dict({"schema": PLAN_SCHEMA, "service": "shop", "apps": ["shop"], "web": web})
    static = {"STATIC_URL": SettingValue("STATIC_URL", '"/s/"', "proj/settings.py:3", 'STATIC_URL = "/s/"')}
    block = web_face.settings_block(plan, "", static)
    middleware = block.split("MIDDLEWARE = [", 1)[1].split("]", 1)[0].split()
    assert middleware[:2] == ['"django.middleware.security.SecurityMiddleware",',
                              '"whitenoise.middleware.WhiteNoiseMiddleware",']  # fmt: skip
    auth = middleware.index('"django.contrib.auth.middleware.AuthenticationMiddleware",')
    assert middleware[auth + 1] == '"shop_service.identity.IdentityMiddleware",'
    assert '"django.contrib.messages.middleware.MessageMiddleware",' in middleware  # the admin needs it
    assert 'STATIC_URL = "/s/"' in block and 'STATIC_ROOT = BASE_DIR / "staticfiles"' in block
    urls = web_face.urls_module(plan, admin=True)
    assert "staticfiles_urlpatterns" not in urls and 'path("admin/", admin.site.urls)' in urls
    assert web_face.requirements_lines(plan, "Django==5.2\n", {}) == (
        "PyJWT>=2.8,<3  # the identity assertion (identity.py)\n"
        "whitenoise>=6,<7  # serves the static files, as in the monolith\n"
    )
    pinned = web_face.requirements_lines(plan, "whitenoise==6.7\n", {"pyjwt": "PyJWT==2.9.0"})
    assert pinned == "PyJWT==2.9.0  # the identity assertion (identity.py) (the monolith's pin)\n"

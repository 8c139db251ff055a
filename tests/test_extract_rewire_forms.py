"""The rewire edits INSTALLED_APPS and the URLconf where they are defined, in the forms real projects
use, or stops with a one-line error naming the file and the form (issue 13): never a silent no-op.

The monolith is tests/fixtures/rewire/mini (billing moves out, sales stays) with its settings and
URLconf rewritten into each form."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from textwrap import dedent

import pytest

from decompose.errors import InputError
from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import load_stored_plan, rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"
SETTINGS_TAIL = """
ROOT_URLCONF = "mini.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
"""


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return root


def _w(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(dedent(text).lstrip(), encoding="utf-8")


def _rewire(root: Path):  # type: ignore[no-untyped-def]
    plan = build_plan(index_project(root, use_cache=False), "billing", ["billing"])
    return rewire(load_stored_plan(root, plan), root)


def _installed(text: str, mode: str, prelude: str = "") -> list[str]:
    """INSTALLED_APPS after running the switched settings text with DECOMPOSE_BILLING_MODE=mode."""
    scope: dict[str, object] = {}
    old = os.environ.get("DECOMPOSE_BILLING_MODE")
    os.environ["DECOMPOSE_BILLING_MODE"] = mode
    try:
        exec(compile(prelude + text, "settings.py", "exec"), scope)
    finally:
        if old is None:
            del os.environ["DECOMPOSE_BILLING_MODE"]
        else:
            os.environ["DECOMPOSE_BILLING_MODE"] = old
    return list(scope["INSTALLED_APPS"])  # type: ignore[call-overload]


def _again_changes_nothing(root: Path, changes: dict[str, str]) -> None:
    for rel, text in changes.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    assert _rewire(root).effective() == {}


def test_installed_apps_in_a_star_imported_base_module_is_switched_there(mini: Path) -> None:
    _w(mini, "mini/settings.py", "from .base import *  # noqa\n\nDEBUG = True\n")
    _w(mini, "mini/base.py", dedent('''
        import os

        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "billing",
            "sales",
        ]
        ''') + SETTINGS_TAIL)
    r = _rewire(mini)
    assert "mini/settings.py" not in r.changes
    base = r.changes["mini/base.py"]
    assert '"apps": ["billing"]' in base
    assert _installed(base, "local") == ["django.contrib.contenttypes", "django.contrib.auth", "billing", "sales",
                                         "mini.services"]
    assert "billing" not in _installed(base, "remote")
    _again_changes_nothing(mini, r.changes)


def test_installed_apps_built_from_lists_and_plus_equals_is_switched_after_the_last_write(mini: Path) -> None:
    _w(mini, "mini/settings.py", dedent('''
        DJANGO_APPS = ("django.contrib.contenttypes", "django.contrib.auth")
        LOCAL_APPS = ["billing", "sales"]
        INSTALLED_APPS = list(DJANGO_APPS) + LOCAL_APPS
        INSTALLED_APPS += ["django.contrib.admin"]
        if True:
            INSTALLED_APPS.append("django.contrib.sessions")
        ''') + SETTINGS_TAIL)
    r = _rewire(mini)
    text = r.changes["mini/settings.py"]
    lines = text.splitlines()
    assert lines.index('    INSTALLED_APPS.append("django.contrib.sessions")') < lines.index("DECOMPOSE_SERVICES = {")
    assert '"apps": ["billing"]' in text
    assert _installed(text, "remote") == ["django.contrib.contenttypes", "django.contrib.auth", "sales",
                                          "django.contrib.admin", "django.contrib.sessions", "mini.services"]
    _again_changes_nothing(mini, r.changes)


def test_a_tuple_literal_is_switched(mini: Path) -> None:
    apps = '("django.contrib.contenttypes", "billing.apps.BillingConfig", "sales")'
    _w(mini, "mini/settings.py", f"INSTALLED_APPS = {apps}\n" + SETTINGS_TAIL)
    text = _rewire(mini).changes["mini/settings.py"]
    assert '"apps": ["billing.apps.BillingConfig"]' in text
    assert _installed(text, "remote") == ["django.contrib.contenttypes", "sales", "mini.services"]


def test_installed_apps_from_a_helper_function_stops_with_the_file_and_the_form(mini: Path) -> None:
    _w(mini, "mini/settings.py", dedent('''
        from mini.apps_list import apps

        INSTALLED_APPS = apps()
        ''') + SETTINGS_TAIL)
    _w(mini, "mini/apps_list.py", 'def apps():\n    return ["django.contrib.contenttypes", "billing", "sales"]\n')
    with pytest.raises(InputError) as exc:
        _rewire(mini)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("cannot rewire: mini/settings.py: INSTALLED_APPS not switched")
    assert "names none of billing" in msg


def test_root_urlconf_from_the_star_imported_module_and_i18n_patterns(mini: Path) -> None:
    _w(mini, "mini/settings.py", "from mini.base import *  # noqa\n")
    _w(mini, "mini/base.py", 'INSTALLED_APPS = ["django.contrib.contenttypes", "billing", "sales"]\n' + SETTINGS_TAIL)
    _w(mini, "mini/urls.py", '''
        from django.conf.urls.i18n import i18n_patterns
        from django.urls import include, path

        urlpatterns = i18n_patterns(
            path("billing/", include("billing.urls")),
            path("sales/", include("sales.urls")),
            prefix_default_language=False,
        )
        ''')
    r = _rewire(mini)
    urls = r.changes["mini/urls.py"]
    assert '*([path("billing/", include("billing.urls"))] if service_is_local("billing") else [path("billing/", include("mini.services.routes.billing.billing__urls"))]),' in urls
    assert 'urlpatterns = [path("api/v1/", include("mini.services.urls")), *urlpatterns]' in urls
    assert urls.index("i18n_patterns(") < urls.index('include("mini.services.urls")')
    compile(urls, "urls.py", "exec")
    _again_changes_nothing(mini, r.changes)


def test_urlpatterns_plus_equals_and_plus_static(mini: Path) -> None:
    _w(mini, "mini/urls.py", '''
        from django.conf import settings
        from django.conf.urls.static import static
        from django.urls import include, path

        urlpatterns = [path("sales/", include("sales.urls"))] + static("/media/", document_root="m")
        urlpatterns += [
            path("billing/", include("billing.urls")),
        ]
        urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
        ''')
    r = _rewire(mini)
    urls = r.changes["mini/urls.py"]
    assert 'urlpatterns = [path("sales/", include("sales.urls"))] + static("/media/", document_root="m")' in urls
    assert urls.endswith('urlpatterns = [path("api/v1/", include("mini.services.urls")), *urlpatterns]\n')
    assert '    *([path("billing/", include("billing.urls"))] if service_is_local("billing") else [path("billing/", include("mini.services.routes.billing.billing__urls"))]),' in urls
    compile(urls, "urls.py", "exec")
    _again_changes_nothing(mini, r.changes)


def test_urlpatterns_extended_under_an_if_block(mini: Path) -> None:
    _w(mini, "mini/urls.py", '''
        from django.conf import settings
        from django.urls import include, path

        urlpatterns = [path("sales/", include("sales.urls"))]
        if "billing" in settings.INSTALLED_APPS:
            urlpatterns += [path("billing/", include("billing.urls"))]
        ''')
    urls = _rewire(mini).changes["mini/urls.py"]
    switched = '*([path("billing/", include("billing.urls"))] if service_is_local("billing") else [path("billing/", include("mini.services.routes.billing.billing__urls"))])'
    assert f"    urlpatterns += [{switched}]" in urls


def test_an_imported_urls_module_passed_to_include_is_switched(mini: Path) -> None:
    _w(mini, "mini/urls.py", '''
        from django.urls import include, path

        from billing import urls as billing_urls

        urlpatterns = [path("billing/", include(billing_urls)), path("sales/", include("sales.urls"))]
        ''')
    urls = _rewire(mini).changes["mini/urls.py"]
    assert '*([path("billing/", include(billing_urls))] if service_is_local("billing") else [path("billing/", include("mini.services.routes.billing.billing__urls"))])' in urls
    # remote mode does not import the moved URLconf: its mirror is named by a string
    assert 'if service_is_local("billing"):\n    from billing import urls as billing_urls\n' in urls


def test_an_include_in_a_form_the_switch_cannot_handle_stops_with_the_file_and_the_form(mini: Path) -> None:
    _w(mini, "mini/urls.py", '''
        from django.urls import include, path

        urlpatterns = [path("sales/", include("sales.urls"))]
        urlpatterns.append(path("billing/", include("billing.urls")))
        ''')
    with pytest.raises(InputError) as exc:
        _rewire(mini)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("cannot rewire: mini/urls.py: include('billing.urls') in "
                          '`urlpatterns.append(path("billing/", include("billing.urls")))`, a form the URL switch')


def test_a_nested_urlconf_that_includes_the_moved_app_is_switched_too(mini: Path) -> None:
    _w(mini, "mini/urls.py", '''
        from django.urls import include, path

        urlpatterns = [path("api/", include("mini.api_urls")), path("sales/", include("sales.urls"))]
        ''')
    _w(mini, "mini/api_urls.py", '''
        from django.urls import include, path

        urlpatterns = [path("billing/", include("billing.urls"))]
        ''')
    r = _rewire(mini)
    assert 'include("mini.services.urls")' in r.changes["mini/urls.py"]
    api = r.changes["mini/api_urls.py"]
    assert '*([path("billing/", include("billing.urls"))] if service_is_local("billing") else [path("billing/", include("mini.services.routes.billing.billing__urls"))])' in api
    assert "mini.services.urls" not in api


def test_a_root_urlconf_without_urlpatterns_stops(mini: Path) -> None:
    _w(mini, "mini/urls.py", "from mini.other_urls import *  # noqa\n")
    _w(mini, "mini/other_urls.py", "urlpatterns = []\n")
    with pytest.raises(InputError, match=r"^cannot rewire: mini/urls.py \(ROOT_URLCONF\): no module-level urlpatterns"):
        _rewire(mini)


def test_a_root_urlconf_that_is_not_a_literal_stops(mini: Path) -> None:
    text = (FIXTURE / "mini" / "settings.py").read_text(encoding="utf-8")
    _w(mini, "mini/settings.py", text.replace('ROOT_URLCONF = "mini.urls"', 'ROOT_URLCONF = os.environ["URLS"]'))
    with pytest.raises(InputError, match=r"ROOT_URLCONF in mini.settings is not a string literal"):
        _rewire(mini)

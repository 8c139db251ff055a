"""Forms real projects have and the sample does not (issue "Extraction on real projects, part 1"):
relations to contrib models imported by name, joins from staying code through a cut relation's
reverse accessor, moved test modules that need staying test helpers, staying code that reverses the
moved app's URL names in Python and in templates, settings that name moved code by dotted path."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import write_project

from decompose.extract.plan import ExtractionPlan, build_plan
from decompose.extract.plan.index import index_project

FILES = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n',
    "proj/__init__.py": "",
    "proj/settings.py": """
        INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "core", "teams"]
        ROOT_URLCONF = "proj.urls"
        LOGGING = {"handlers": {"x": {"class": "teams.logging.TeamHandler"}}}
    """,
    "proj/urls.py": """
        from django.urls import include, path

        urlpatterns = [path("teams/", include("teams.urls"))]
    """,
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Language(models.Model):
            code = models.CharField(max_length=5)
    """,
    "core/views.py": """
        from django.contrib.auth.models import User
        from django.shortcuts import redirect
        from django.urls import reverse


        def home(request):
            members = User.objects.filter(membership__team__name="x")  # marker: reverse join
            return redirect(reverse("teams:detail", args=[1]))  # marker: reverse url
    """,
    "core/templates/core/home.html": """
        <a href="{% url 'teams:detail' 1 %}">team</a>
        <a href="{% url 'core-home' %}">home</a>
    """,
    "core/tests/__init__.py": "",
    "core/tests/helpers.py": """
        def make_user():
            return None
    """,
    "teams/__init__.py": "",
    "teams/apps.py": """
        from django.apps import AppConfig


        class TeamsConfig(AppConfig):
            name = "teams"
    """,
    "teams/logging.py": """
        import logging


        class TeamHandler(logging.Handler):
            pass
    """,
    "teams/models.py": """
        from django.contrib.auth.models import User
        from django.contrib.contenttypes.models import ContentType
        from django.db import models

        from core.models import Language


        class Team(models.Model):
            name = models.CharField(max_length=20)
            language = models.ForeignKey(Language, on_delete=models.PROTECT)


        class Membership(models.Model):
            user = models.OneToOneField(User, on_delete=models.CASCADE)
            team = models.ForeignKey(Team, on_delete=models.CASCADE)
            kind = models.ForeignKey(ContentType, null=True, on_delete=models.SET_NULL)
    """,
    "teams/urls.py": """
        from django.urls import path

        from teams import views

        app_name = "teams"
        urlpatterns = [path("<int:pk>/", views.detail, name="detail")]
    """,
    "teams/views.py": """
        def detail(request, pk):
            return None
    """,
    "teams/static/teams/logo.png": b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00binary",
    "teams/tests/__init__.py": "",
    "teams/tests/test_teams.py": """
        from core.tests.helpers import make_user
        from teams.models import Team


        def test_needs_a_user():
            assert make_user() is None


        def test_team():
            assert Team
    """,
}


def _write(root: Path) -> None:
    write_project(root, FILES)


def _line(root: Path, rel: str, marker: str) -> int:
    return next(i for i, ln in enumerate((root / rel).read_text().splitlines(), 1) if marker in ln)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExtractionPlan]:
    root = tmp_path_factory.mktemp("teams")
    _write(root)
    return root, build_plan(index_project(root, use_cache=False), "teams", ["teams"])


def test_relations_to_contrib_models_are_cut(project: tuple[Path, ExtractionPlan]) -> None:
    _root, plan = project
    cuts = {(c.model, c.field, c.field_type, c.target) for c in plan.fk_cuts}
    assert ("teams.Membership", "user", "OneToOneField", "auth.User") in cuts
    assert ("teams.Membership", "kind", "ForeignKey", "contenttypes.ContentType") in cuts
    assert ("teams.Team", "language", "ForeignKey", "core.Language") in cuts


def test_a_join_through_a_cut_relations_reverse_accessor_is_listed(project: tuple[Path, ExtractionPlan]) -> None:
    root, plan = project
    line = _line(root, "core/views.py", "marker: reverse join")
    steps = [s for s in plan.manual_steps if (s.path, s.line) == ("core/views.py", line)]
    assert any("membership__team__name" in s.message for s in steps), plan.manual_steps


def test_reversing_the_moved_apps_url_names_is_listed_in_code_and_templates(
    project: tuple[Path, ExtractionPlan],
) -> None:
    root, plan = project
    assert plan.url_namespaces == ("teams",)
    line = _line(root, "core/views.py", "marker: reverse url")
    assert any(s.path == "core/views.py" and s.line == line and "teams:detail" in s.message for s in plan.manual_steps)
    tpl = [s for s in plan.manual_steps if s.path == "core/templates/core/home.html"]
    assert [(s.line, s.pattern) for s in tpl] == [(1, "API gateway")], plan.manual_steps


def test_settings_naming_moved_code_by_dotted_path_are_listed(project: tuple[Path, ExtractionPlan]) -> None:
    _root, plan = project
    assert any(s.path == "proj/settings.py" and "teams.logging.TeamHandler" in s.message for s in plan.manual_steps)


def test_a_moved_test_module_needing_monolith_helpers_stays_whole(project: tuple[Path, ExtractionPlan]) -> None:
    _root, plan = project
    assert "teams/tests/test_teams.py" in plan.staying_tests
    assert "teams/tests/test_teams.py" not in plan.moved_files
    assert not any(k.startswith("teams/tests/test_teams.py::") for k in plan.staying_tests)


def test_binary_files_of_moved_apps_are_planned_for_copy(project: tuple[Path, ExtractionPlan]) -> None:
    _root, plan = project
    assert "teams/static/teams/logo.png" in plan.moved_files


def test_a_view_helper_staying_code_calls_is_no_api_endpoint(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / "teams" / "views.py").write_text(
        "def detail(request, pk):\n    return None\n\n\ndef hook_form(request, channel):\n    return None\n",
        encoding="utf-8",
    )
    (tmp_path / "core" / "hooks.py").write_text(
        "from teams.views import hook_form\n\n\ndef wire(request):\n    return hook_form(request, 'x')\n",
        encoding="utf-8",
    )
    plan = build_plan(index_project(tmp_path, use_cache=False), "teams", ["teams"])
    assert not [f for f in plan.interface_functions if f.name == "hook_form"]
    # web face, never an API call: the monolith keeps a copy of the helper (e3aa7cd), so no route is asked for it
    assert "teams.views.hook_form" in plan.remote_classes.kept_names
    assert not any("teams.views.hook_form" in s.message for s in plan.manual_steps if s.pattern == "API gateway")


def test_a_staying_class_the_moved_code_uses_is_a_contract_never_a_call_back(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / "core" / "forms.py").write_text(
        "from django import forms\n\nfrom core.models import Language\n\n\n"
        "class LanguageForm(forms.ModelForm):\n    class Meta:\n        model = Language\n        fields = ['code']\n",
        encoding="utf-8",
    )
    (tmp_path / "teams" / "admin.py").write_text(
        "from core.forms import LanguageForm\n\n\ndef form():\n    return LanguageForm\n", encoding="utf-8"
    )
    plan = build_plan(index_project(tmp_path, use_cache=False), "teams", ["teams"])
    dep = next(d for d in plan.dependencies if (d.module, d.symbol) == ("core.forms", "LanguageForm"))
    assert dep.classification == "contract", dep
    assert "core.forms.LanguageForm" in plan.service_rewrites.todo
    assert not any("callbacks/core.forms.LanguageForm" in s.message for s in plan.manual_steps)

"""Apps found in two common layouts, and clustered: ``sys.path``-relative app names, entry-point plugins.

Both projects are written to a temporary folder and analysed statically
(nothing of them is imported or run); the apps must appear in the graph and in
an app-level proposal.
"""

from __future__ import annotations

from pathlib import Path

from projects import write_project

from decompose.analysis import analyze
from decompose.cluster.pipeline import propose


def _write(root: Path, files: dict[str, str]) -> None:
    write_project(root, files, dedent=False)


def _app(name: str, fk: str = "") -> dict[str, str]:
    field = f"    other = models.ForeignKey({fk!r}, on_delete=models.CASCADE)\n" if fk else ""
    leaf = name.rsplit("/", 1)[-1]
    return {
        f"{name}/__init__.py": "",
        f"{name}/apps.py": f"from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = {leaf!r}\n",
        f"{name}/models.py": (
            f"from django.db import models\n\n\nclass {leaf.title()}(models.Model):\n{field}"
            "    x = models.IntegerField()\n"
        ),
    }


def test_apps_named_from_a_folder_put_on_sys_path(tmp_path: Path) -> None:
    files = {
        "manage.py": 'import os, sys\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_cfg.settings")\n',
        "site_cfg/__init__.py": "",
        "site_cfg/settings.py": (
            "import os, sys\nfrom pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n"
            'sys.path.insert(0, os.path.join(BASE_DIR, "apps"))\n'
            'INSTALLED_APPS = ["django.contrib.auth", "blog", "shop"]\n'
        ),
        **_app("apps/blog"),
        **_app("apps/shop", fk="blog.Blog"),
        "apps/shop/views.py": "from blog.models import Blog\n\n\ndef page():\n    return Blog.objects.all()\n",
    }
    _write(tmp_path, files)
    g = analyze(tmp_path, use_cache=False)
    assert g.app_labels() == ["blog", "shop"]
    assert g.app_of("shop.views") == "shop" and g.graph.has_edge("shop.views", "blog.models")
    p = propose(g)
    assert set(p.members()) == {"blog", "shop"}


def test_plugin_apps_declared_through_entry_points(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "conf"\n\n[project.entry-points."conf.plugin"]\nposters = "posters"\n',
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings")\n',
        "conf/__init__.py": "",
        "conf/settings.py": (
            "from importlib.metadata import entry_points\n"
            'INSTALLED_APPS = ["conf.talks"]\n'
            'for ep in entry_points(group="conf.plugin"):\n    INSTALLED_APPS.append(ep.module)\n'
        ),
        **_app("conf/talks"),
        **_app("posters", fk="talks.Talks"),
    }
    files["conf/talks/apps.py"] = files["conf/talks/apps.py"].replace("name = 'talks'", "name = 'conf.talks'")
    _write(tmp_path, files)
    g = analyze(tmp_path, use_cache=False)
    assert g.app_labels() == ["posters", "talks"]
    assert g.app_of("posters.models") == "posters"

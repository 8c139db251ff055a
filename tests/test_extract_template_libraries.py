"""The templates the moved code renders without pages (a mail body): their ``{% load %}`` libraries resolve in
the service.

Issue 14 (pretalx mail): the moved app has no routes of its own, its code renders ``mail/mailwrapper.html``,
which loads ``rich_text``, a tag library of a staying app. The plan found the library, but the service only
registered libraries (and vendored templates) when it served pages: ``'rich_text' is not a registered tag
library``. Every ``{% load %}`` of a moved template, and of the staying templates it includes (transitively),
must resolve in the service.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from projects import write_project

from decompose.cli import cli

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
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.humanize",
            "common",
            "mailer",
        ]
        ROOT_URLCONF = "proj.urls"
        TEMPLATES = [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [BASE_DIR / "templates"],
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": []},
            }
        ]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "templates/partials/footer.html": "{% load footer_tags %}<footer>{{ sender|signed }}</footer>\n",
    "common/__init__.py": "",
    "common/apps.py": """
        from django.apps import AppConfig


        class CommonConfig(AppConfig):
            name = "common"
    """,
    "common/text.py": """
        def shout(value):
            return str(value).upper() + "!"
    """,
    "common/templatetags/__init__.py": "",
    "common/templatetags/rich_text.py": """
        from django import template

        from common.text import shout

        register = template.Library()


        @register.filter
        def loud(value):
            return shout(value)
    """,
    "common/templatetags/footer_tags.py": """
        from django import template

        register = template.Library()


        @register.filter
        def signed(value):
            return f"-- {value}"
    """,
    "mailer/__init__.py": "",
    "mailer/apps.py": """
        from django.apps import AppConfig


        class MailerConfig(AppConfig):
            name = "mailer"
    """,
    "mailer/models.py": """
        from django.db import models


        class Mail(models.Model):
            subject = models.CharField(max_length=100)
            count = models.IntegerField(default=0)
    """,
    "mailer/services.py": """
        from django.template.loader import render_to_string

        from mailer.models import Mail


        def render_body(mail: Mail, sender: str) -> str:
            return render_to_string("mailer/wrapper.html", {"mail": mail, "sender": sender})
    """,
    "mailer/templates/mailer/wrapper.html": """
        {% load i18n %}{% load rich_text %}{% load intcomma from humanize %}
        <h1>{{ mail.subject|loud }}</h1><p>{{ mail.count|intcomma }}</p>{% include "partials/footer.html" %}
    """,
}

#: run in the service's folder with its settings: render the moved template as the moved code does
RENDER = """
import os, sys
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "mailer_service.settings"
import django
django.setup()
from mailer.models import Mail
from mailer.services import render_body
print(render_body(Mail(subject="hello", count=12345), "ada"))
"""


def test_a_service_without_pages_renders_templates_loading_staying_libraries(tmp_path: Path) -> None:
    project = write_project(tmp_path / "mono", PROJECT)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["extract", str(project), "--service", "mailer", "--apps", "mailer", "--out", str(out), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    folder = out / "mailer"
    settings = (folder / "mailer_service" / "settings.py").read_text()
    assert '"rich_text": "common.templatetags.rich_text"' in settings
    assert '"footer_tags": "common.templatetags.footer_tags"' in settings  # loaded by an included staying template
    assert "IDENTITY_KEY" not in settings  # still no pages
    assert (folder / "mailer_service" / "templates" / "partials" / "footer.html").is_file()
    assert "the tag library `rich_text` (`common.templatetags.rich_text`)" in (folder / "EXTRACTION.md").read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "DECOMPOSE_"))}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'service.sqlite3'}",
        "DJANGO_SECRET_KEY": "template-libraries-secret-0123456789",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    run = subprocess.run(
        [sys.executable, "-c", RENDER], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "<h1>HELLO!</h1><p>12,345</p><footer>-- ada</footer>" in run.stdout
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stderr[-2000:]

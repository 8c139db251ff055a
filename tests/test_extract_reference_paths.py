"""The staying models a served staying model's lookups go through are served too (issue 14).

pretalx mail in remote mode: the copied ``Submission.sorted_speakers`` orders ``self.speakers`` by
``speaker_roles__position``, the reverse relation of ``SpeakerRole`` (the many-to-many's ``through`` model, which
nobody queries directly), and the monolith's query endpoint refused it: "person.SpeakerProfile.speaker_roles leads
out of this monolith" (62 service 500s, 69 failing tests). The plan now serves, read-only, the staying models along
the lookup paths the service's code names from a served staying model; the endpoint itself opens nothing.
"""

from __future__ import annotations

from pathlib import Path

from projects import MANAGE_PY, write_project

from decompose.extract.plan.planner import build_plan

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        INSTALLED_APPS = ["django.contrib.contenttypes", "core", "planning"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
    """,
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Speaker(models.Model):
            name = models.CharField(max_length=40)


        class Room(models.Model):
            name = models.CharField(max_length=40)


        class Talk(models.Model):
            title = models.CharField(max_length=40)
            speakers = models.ManyToManyField(Speaker, through="TalkRole", related_name="talks")
            room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="talks")

            @property
            def sorted_speakers(self):
                return self.speakers.all().order_by("-talk_roles__position", "name")


        class TalkRole(models.Model):
            talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="talk_roles")
            speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="talk_roles")
            position = models.PositiveIntegerField(default=0)


        class Badge(models.Model):
            speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="badges")
    """,
    "planning/__init__.py": "",
    "planning/models.py": """
        from django.db import models


        class Draft(models.Model):
            talk = models.ForeignKey("core.Talk", on_delete=models.CASCADE, related_name="drafts")
    """,
    "planning/services.py": """
        from core.models import Speaker


        def names(draft):
            return [s.name for s in draft.talk.sorted_speakers]


        def speakers():
            return Speaker.objects.filter(name__startswith="A")
    """,
}


def test_the_models_a_copied_members_ordering_goes_through_are_served_read_only(tmp_path: Path) -> None:
    # Talk.sorted_speakers (copied into the service's reference class) orders Speaker rows by
    # ``talk_roles__position``: core.TalkRole, reached through Speaker's reverse relation, is served read-only.
    # core.Room (Talk's foreign key nobody's lookup names) and core.Badge (a reverse relation of Speaker no lookup
    # names) are not: only the paths the code names are opened.
    plan = build_plan(write_project(tmp_path / "paths", PROJECT), "planning", ["planning"])
    served = {m.label: m.read_only for m in plan.monolith_models}
    assert served == {"core.Speaker": False, "core.Talk": True, "core.TalkRole": True}
    copied = {b.label: [c.name for c in b.members] for b in plan.reference_classes.classes.models}
    assert copied == {"core.Talk": ["sorted_speakers"]}

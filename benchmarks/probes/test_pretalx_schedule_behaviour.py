"""A probe of pretalx schedule's stand-ins in remote mode: the moved models' behaviour staying code uses, each use
with the requests it made (docs/realworld-extraction.md, "The moved models' behaviour on their stand-ins").

Copy it into the rewired copy's ``src/tests/<folder>/`` (with an ``__init__.py``) and run it there with
``SLOT=<n> .venv/bin/python /work/notes/rw/subset.py pretalx:schedule <work> tests/<folder> -q -s``: it prints one
``PROBE`` line per use and a summary. It is pretalx's test code (its factories), not decompose's.
"""

import httpx
import pytest
from django_scopes import scopes_disabled
from pretalx.services.schedule import Room, Schedule, TalkSlot
from pretalx.submission.models import Submission
from tests.factories import TalkSlotFactory

SENT = [0]
_send = httpx.Client.send


def _count(self, request, **kwargs):
    SENT[0] += 1
    return _send(self, request, **kwargs)


def probe(name, fn):
    before = SENT[0]
    try:
        value, error = fn(), None
    except Exception as exc:
        value, error = None, f"{type(exc).__name__}: {str(exc)[:160]}"
    print(
        f"PROBE {name}: requests={SENT[0] - before} {'ok' if error is None else 'FAILED'} "
        f"value={str(value)[:70]!r} error={error}"
    )
    return error is None


@pytest.mark.django_db
def test_probe(monkeypatch):
    monkeypatch.setattr(httpx.Client, "send", _count)
    with scopes_disabled():
        slot = TalkSlotFactory()
        submission = slot.submission
        event = submission.event
        room = Room.objects.get(pk=slot.room_id)
        schedule = Schedule.objects.get(pk=slot.schedule_id)
        slot = TalkSlot.objects.get(pk=slot.pk)
        results = [
            probe(
                "Room.objects.visible()", lambda: [r.pk == room.pk for r in Room.objects.filter(event=event).visible()]
            ),
            probe("schedule.talks.count()", lambda: schedule.talks.count()),
            probe("schedule.scheduled_talks", lambda: len(list(schedule.scheduled_talks))),
            probe("schedule.version_with_fallback", lambda: schedule.version_with_fallback),
            probe("room.urls.edit", lambda: str(room.urls.edit)),
            probe("Room.get_perm('view')", lambda: Room.get_perm("view")),
            probe("room.is_deletable", lambda: room.is_deletable),
            probe("slot.duration", lambda: slot.duration),
            probe("slot.local_end", lambda: slot.local_end),
            probe("slot.room (foreign key between moved models)", lambda: slot.room.pk == room.pk),
            probe("Room._meta.unique_together", lambda: Room._meta.unique_together),
            probe("Schedule._meta.ordering", lambda: list(Schedule._meta.ordering)),
            probe(
                "Submission...prefetch_related('slots')",
                lambda: [len(s.slots.all()) for s in Submission.objects.filter(event=event).prefetch_related("slots")],
            ),
            probe(
                "TalkSlot...prefetch_related('room')",
                lambda: [s.room.pk for s in TalkSlot.objects.filter(pk=slot.pk).prefetch_related("room")],
            ),
            probe("room.logged_actions()", lambda: len(list(room.logged_actions()))),
            probe(
                "rules: Meta.rules_permissions registered",
                lambda: __import__("rules").perm_exists("schedule.view_room"),
            ),
            probe("event.rooms.visible()", lambda: len(event.rooms.visible())),
        ]
    print(f"PROBE summary: {sum(results)} of {len(results)} work")

"""A probe of pretalx mail's stand-ins in remote mode: the moved models' behaviour staying code uses, each use with
the requests it made. Run it as test_pretalx_schedule_behaviour.py is run
(``subset.py pretalx:mail <work> tests/<folder>``)."""

import httpx
import pytest
from django_scopes import scopes_disabled
from pretalx.services.mail import MailTemplate, QueuedMail
from tests.factories import EventFactory

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
        event = EventFactory()
        mail = QueuedMail.objects.create(event=event, subject="Hi", text="Body", to="a@example.org", locale="en")
        mail = QueuedMail.objects.get(pk=mail.pk)
        template = MailTemplate.objects.filter(event=event).first()
        results = [
            probe("mail.urls.edit", lambda: str(mail.urls.edit)),
            probe("mail.has_error", lambda: mail.has_error),
            probe("mail.logged_actions()", lambda: len(list(mail.logged_actions()))),
            probe("QueuedMail.get_perm('view')", lambda: QueuedMail.get_perm("view")),
            probe("MailTemplate.get_perm('view')", lambda: MailTemplate.get_perm("view")),
            probe("template.urls.edit", lambda: str(template.urls.edit)),
            probe("template.log_parent", lambda: template.log_parent == event),
            probe(
                "QueuedMail.objects.with_computed_state()",
                lambda: len(QueuedMail.objects.filter(event=event).with_computed_state()),
            ),
            probe("mail.prefixed_subject", lambda: mail.prefixed_subject),
            probe("QueuedMail._meta.ordering", lambda: list(QueuedMail._meta.ordering)),
            probe("rules registered", lambda: __import__("rules").perm_exists("mail.view_queuedmail")),
        ]
    print(f"PROBE summary: {sum(results)} of {len(results)} work")

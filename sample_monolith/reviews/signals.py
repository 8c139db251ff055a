"""Events of the reviews app. ``review_submitted`` is sent with ``sender=Review`` and the
new ``review`` when a customer submits one (published at once or waiting for moderation)."""
from django.dispatch import Signal

review_submitted = Signal()

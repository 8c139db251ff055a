"""Events of the accounts app. ``user_registered`` is sent with ``sender=User`` and the
new ``user`` once a customer's account and profile exist (not for every save of a User)."""
from django.dispatch import Signal

user_registered = Signal()

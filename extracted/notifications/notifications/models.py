from django.conf import settings
from django.db import models

from core.models import TimeStampedModel
from notifications_service import monolith


class Notification(TimeStampedModel):
    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        ORDER_PLACED = "order_placed", "Order placed"
        ORDER_CANCELLED = "order_cancelled", "Order cancelled"
        REFUND = "refund", "Refund issued"
        SHIPMENT_DISPATCHED = "shipment_dispatched", "Shipment dispatched"
        SHIPMENT_DELIVERED = "shipment_delivered", "Shipment delivered"
        REVIEW_RECEIVED = "review_received", "Review received"

    # decompose: was a relation to accounts.User, which stays in the monolith; same column user_id
    user_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user_id", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def user(self):
        """accounts.User stays in the monolith: a reference by id (decompose)."""
        return monolith.held_ref(self, "user", "accounts.User", self.user_id)

    @user.setter
    def user(self, value):
        self.user_id = monolith.ref_id(value)


class NotificationPreference(TimeStampedModel):
    # decompose: was a relation to accounts.User, which stays in the monolith; same column user_id
    user_id = models.BigIntegerField(unique=True)
    email_enabled = models.BooleanField(default=True)
    order_updates = models.BooleanField(default=True)
    review_updates = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"

    @property
    def user(self):
        """accounts.User stays in the monolith: a reference by id (decompose)."""
        return monolith.held_ref(self, "user", "accounts.User", self.user_id)

    @user.setter
    def user(self, value):
        self.user_id = monolith.ref_id(value)


class OutboxMessage(models.Model):
    """Every e-mail the shop sent (or would have sent), for support and tests."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    backend = models.CharField(max_length=100)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENT)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject} ({self.status})"

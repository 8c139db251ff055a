from django.db import models

from accounts.models import BaseAddress
from core.models import TimeStampedModel


class Carrier(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    tracking_url_template = models.CharField(max_length=200, help_text="Use {tracking_number} as placeholder")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, tracking_number: str) -> str:
        return self.tracking_url_template.format(tracking_number=tracking_number)


class ShippingMethod(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="methods")
    price = models.DecimalField(max_digits=8, decimal_places=2)
    free_over = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Free when the basket total reaches this"
    )
    min_days = models.PositiveSmallIntegerField(default=2)
    max_days = models.PositiveSmallIntegerField(default=5)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.min_days}-{self.max_days} days)"


class Shipment(TimeStampedModel, BaseAddress):
    """A parcel for one order, with a copy of the address it goes to."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting dispatch"
        DISPATCHED = "dispatched", "Dispatched"
        IN_TRANSIT = "in_transit", "In transit"
        DELIVERED = "delivered", "Delivered"
        RETURNED = "returned", "Returned to sender"

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="shipment")
    method = models.ForeignKey(ShippingMethod, on_delete=models.PROTECT, related_name="shipments")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    tracking_number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    weight_grams = models.PositiveIntegerField(default=0)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Shipment {self.tracking_number or self.pk} ({self.status})"

    @property
    def tracking_url(self) -> str:
        return self.method.carrier.tracking_url(self.tracking_number) if self.tracking_number else ""


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_items")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["shipment", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} x line {self.order_line_id}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=Shipment.Status.choices)
    location = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.status} {self.location}"

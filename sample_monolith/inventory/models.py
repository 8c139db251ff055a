from django.db import models
from django.db.models import F, Q

from catalog.models import Product
from core.models import TimeStampedModel


class Warehouse(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    city = models.CharField(max_length=100, blank=True)
    priority = models.PositiveSmallIntegerField(default=10, help_text="Lower ships first")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return self.name


class StockItem(TimeStampedModel):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_items")
    quantity = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)

    class Meta:
        ordering = ["warehouse", "product"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="one_stock_item_per_warehouse"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("quantity")), name="reserved_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku}@{self.warehouse.code}: {self.quantity} ({self.reserved} reserved)"

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


class StockMovement(models.Model):
    class Reason(models.TextChoices):
        RECEIPT = "receipt", "Goods received"
        ADJUSTMENT = "adjustment", "Stock count adjustment"
        RESERVATION = "reservation", "Reserved for an order"
        RELEASE = "release", "Reservation released"
        SHIPMENT = "shipment", "Shipped to a customer"

    stock_item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="movements")
    delta = models.IntegerField(help_text="Change of on-hand (receipt, adjustment, shipment) or reserved quantity")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} {self.delta:+d} {self.reference}"


class Reservation(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RELEASED = "released", "Released"
        COMMITTED = "committed", "Committed"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="reservations")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id} for order {self.order_id} ({self.status})"

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import Category, Product
from core.models import TimeStampedModel


class PriceList(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, default="EUR")
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_price_list")
        ]

    def __str__(self) -> str:
        return self.name


class ProductPrice(TimeStampedModel):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["price_list", "product"]
        constraints = [models.UniqueConstraint(fields=["price_list", "product"], name="one_price_per_list")]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.price_list.code}: {self.amount}"


class DiscountQuerySet(models.QuerySet):
    def current(self, at=None) -> "DiscountQuerySet":
        at = at or timezone.now()
        return self.filter(is_active=True, starts_at__lte=at).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))


class Discount(TimeStampedModel):
    """An automatic promotion: a percentage off products or whole categories."""

    name = models.CharField(max_length=100)
    percent = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("90"))]
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="discounts")
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="discounts")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    objects = DiscountQuerySet.as_manager()

    class Meta:
        ordering = ["-percent", "name"]

    def __str__(self) -> str:
        return f"{self.name} (-{self.percent}%)"


class Coupon(TimeStampedModel):
    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off the subtotal"
        FIXED = "fixed", "Fixed amount off the subtotal"

    code = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    min_subtotal = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty for unlimited")
    times_used = models.PositiveIntegerField(default=0)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class CouponRedemption(TimeStampedModel):
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="coupon_redemption")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupon_redemptions")
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.coupon.code} on order {self.order_id}"

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from core.models import TimeStampedModel


class User(AbstractUser):
    """The shop's user: customers and staff alike."""

    email = models.EmailField(unique=True)
    phone = models.CharField(max_length=32, blank=True)
    marketing_opt_in = models.BooleanField(default=False)

    REQUIRED_FIELDS = ["email"]

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class BaseAddress(models.Model):
    """Postal address fields, reused by shipping for the address a parcel goes to."""

    full_name = models.CharField(max_length=150)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="FR", help_text="ISO 3166-1 alpha-2 code")

    class Meta:
        abstract = True

    def as_lines(self) -> list[str]:
        lines = [self.full_name, self.line1, self.line2, f"{self.postcode} {self.city}", self.country]
        return [line for line in lines if line]

    def address_fields(self) -> dict[str, str]:
        return {
            "full_name": self.full_name,
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "postcode": self.postcode,
            "country": self.country,
        }


class Address(TimeStampedModel, BaseAddress):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, default="Home")
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "label", "id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="one_default_address_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.line1}, {self.city}"


class CustomerProfile(TimeStampedModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    loyalty_points = models.PositiveIntegerField(default=0)
    birthday = models.DateField(null=True, blank=True)
    preferred_language = models.CharField(max_length=8, default="en")

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def tier(self) -> str:
        if self.loyalty_points >= 1000:
            return "gold"
        if self.loyalty_points >= 250:
            return "silver"
        return "bronze"

"""Money as a value: an amount quantised to cents and a currency code."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

CENT = Decimal("0.01")


def default_currency() -> str:
    return getattr(settings, "SHOP_CURRENCY", "EUR")


def quantize(value: Decimal | int | str) -> Decimal:
    """Round ``value`` to cents, half up, as accountants expect."""
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


class CurrencyMismatch(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", quantize(self.amount))
        if not self.currency:
            object.__setattr__(self, "currency", default_currency())

    @classmethod
    def zero(cls, currency: str = "") -> Money:
        return cls(Decimal("0"), currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __radd__(self, other: object) -> Money:
        # Lets sum() start from 0.
        if other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by int or Decimal, not float")
        return Money(self.amount * Decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def percent(self, rate: Decimal | int) -> Money:
        """``rate`` percent of this amount (rate 15 gives 15 %)."""
        return Money(self.amount * Decimal(rate) / Decimal(100), self.currency)

    def clamp_min_zero(self) -> Money:
        return self if self.amount >= 0 else Money.zero(self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def to_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

"""Adapter to the payment service provider.

The monolith talks to the provider only through ``get_gateway()``, which
loads the class named by ``settings.PAYMENT_GATEWAY_BACKEND``. The
``FakeGateway`` stands in for the provider in development and tests: it
never touches the network and declines card tokens that start with
``settings.PAYMENT_FAKE_DECLINE_PREFIX``.
"""
import hashlib
import itertools
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from core.money import Money


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    success: bool
    reference: str = ""
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(ABC):
    """What the shop needs from a payment provider."""

    @abstractmethod
    def authorize(self, amount: Money, card_token: str, *, order_reference: str) -> GatewayResponse: ...

    @abstractmethod
    def capture(self, authorization: str, amount: Money) -> GatewayResponse: ...

    @abstractmethod
    def void(self, authorization: str) -> GatewayResponse: ...

    @abstractmethod
    def refund(self, capture: str, amount: Money) -> GatewayResponse: ...


class FakeGateway(PaymentGateway):
    """In-process provider with deterministic answers."""

    LIMIT = Decimal("5000.00")
    _sequence = itertools.count(1)

    def _reference(self, kind: str, *parts: object) -> str:
        seed = "|".join(str(p) for p in (kind, next(self._sequence), *parts))
        return f"fake_{kind}_{hashlib.sha1(seed.encode()).hexdigest()[:12]}"

    def authorize(self, amount: Money, card_token: str, *, order_reference: str) -> GatewayResponse:
        decline_prefix = getattr(settings, "PAYMENT_FAKE_DECLINE_PREFIX", "tok_decline")
        if card_token.startswith(decline_prefix):
            return GatewayResponse(False, message="card declined", raw={"code": "card_declined"})
        if amount.amount > self.LIMIT:
            return GatewayResponse(False, message="amount over card limit", raw={"code": "limit_exceeded"})
        if amount.amount <= 0:
            return GatewayResponse(False, message="amount must be positive", raw={"code": "invalid_amount"})
        reference = self._reference("auth", order_reference, amount)
        return GatewayResponse(True, reference, "authorised", {"code": "ok", "amount": str(amount.amount)})

    def capture(self, authorization: str, amount: Money) -> GatewayResponse:
        if not authorization.startswith("fake_auth_"):
            return GatewayResponse(False, message="unknown authorisation", raw={"code": "unknown_reference"})
        return GatewayResponse(True, self._reference("cap", authorization), "captured", {"code": "ok"})

    def void(self, authorization: str) -> GatewayResponse:
        if not authorization.startswith("fake_auth_"):
            return GatewayResponse(False, message="unknown authorisation", raw={"code": "unknown_reference"})
        return GatewayResponse(True, authorization, "voided", {"code": "ok"})

    def refund(self, capture: str, amount: Money) -> GatewayResponse:
        if not capture.startswith("fake_cap_"):
            return GatewayResponse(False, message="unknown capture", raw={"code": "unknown_reference"})
        return GatewayResponse(True, self._reference("ref", capture, amount), "refunded", {"code": "ok"})


def get_gateway() -> PaymentGateway:
    gateway_class = import_string(settings.PAYMENT_GATEWAY_BACKEND)
    return gateway_class()


def card_last4(card_token: str) -> str:
    digits = "".join(ch for ch in card_token if ch.isdigit())
    return digits[-4:].rjust(4, "0") if digits else ""

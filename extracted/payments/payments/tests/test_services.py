from decimal import Decimal

import pytest

# TODO(decompose): orders.services.get_order is called back over HTTP (monolith.get_order); the monolith must expose it
from payments_service.monolith import get_order
from payments.exceptions import PaymentError
from payments.gateway import FakeGateway, GatewayResponse, card_last4, get_gateway
from payments.services import (
    authorize_payment,
    capture_payment,
    latest_payment,
    payment_as_dict,
    payment_status,
    payments_for_order,
    refund_payment,
    void_payment,
)
# TODO(decompose): shipping.services.shipment_for_order is called back over HTTP (monolith.shipment_for_order); the monolith must expose it
from payments_service.monolith import shipment_for_order


def test_gateway_is_loaded_from_settings(settings):
    assert isinstance(get_gateway(), FakeGateway)
    settings.PAYMENT_GATEWAY_BACKEND = "payments.tests.test_services.RecordingGateway"
    assert isinstance(get_gateway(), RecordingGateway)
    assert card_last4("tok_mc_5555444433331111") == "1111" and card_last4("tok") == ""


def test_order_without_payment_has_no_status(db):
    assert payment_status(123456) is None


class RecordingGateway(FakeGateway):
    pass


class CaptureFailsGateway(FakeGateway):
    def capture(self, authorization, amount):
        return GatewayResponse(False, message="provider down")

from decimal import Decimal

import pytest

from orders.services import get_order
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
from shipping.services import shipment_for_order


def test_authorisation_records_the_card_and_gateway_reference(buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    payment = payment_as_dict(latest_payment(order.pk))
    assert payment["status"] == "authorized" and payment["card_last4"] == "4242"
    assert payment["amount"] == str(order.total)


def test_capture_marks_the_order_paid_and_prepares_the_parcel(buy, shop, customer):
    order = buy(customer, (shop.headphones, 1)).order
    payment = capture_payment(latest_payment(order.pk).pk)
    assert payment.status == "captured"
    assert get_order(order.pk).status == "paid"
    shipment = shipment_for_order(order.pk)
    assert shipment is not None and shipment.status == "pending" and shipment.city == "Lyon"


def test_only_authorised_payments_can_be_captured(buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    payment = latest_payment(order.pk)
    capture_payment(payment.pk)
    with pytest.raises(PaymentError):
        capture_payment(payment.pk)
    with pytest.raises(PaymentError):
        void_payment(payment.pk)


def test_partial_then_full_refund(buy, shop, customer):
    order = buy(customer, (shop.headphones, 1)).order  # 59.90 + 4.90 delivery
    payment = capture_payment(latest_payment(order.pk).pk)
    refund_payment(payment.pk, Decimal("10.00"), reason="scratched box")
    assert payment_status(order.pk) == "partially_refunded"
    with pytest.raises(PaymentError):
        refund_payment(payment.pk, Decimal("60.00"))
    last = refund_payment(payment.pk)
    assert last.amount == Decimal("54.80")
    assert payment_status(order.pk) == "refunded"
    assert payments_for_order(order.pk)[0]["refunded"] == "64.80"


def test_void_releases_an_authorisation(buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    assert void_payment(latest_payment(order.pk).pk).status == "voided"
    with pytest.raises(PaymentError, match="nothing to refund"):
        refund_payment(latest_payment(order.pk).pk)


def test_gateway_over_limit_is_declined(buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    order.total = Decimal("9999.00")
    payment = authorize_payment(order, "tok_visa_4242")
    assert payment.status == "failed" and "limit" in payment.failure_reason


def test_gateway_is_loaded_from_settings(settings):
    assert isinstance(get_gateway(), FakeGateway)
    settings.PAYMENT_GATEWAY_BACKEND = "payments.tests.test_services.RecordingGateway"
    assert isinstance(get_gateway(), RecordingGateway)
    assert card_last4("tok_mc_5555444433331111") == "1111" and card_last4("tok") == ""


def test_order_without_payment_has_no_status(db):
    assert payment_status(123456) is None


def test_failed_capture_is_recorded_and_changes_nothing(settings, buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    settings.PAYMENT_GATEWAY_BACKEND = "payments.tests.test_services.CaptureFailsGateway"
    payment = latest_payment(order.pk)
    with pytest.raises(PaymentError, match="capture failed: provider down"):
        capture_payment(payment.pk)
    assert payment_status(order.pk) == "authorized"
    assert get_order(order.pk).status == "placed"
    assert [(t.kind, t.success) for t in payment.transactions.all()] == [("authorize", True), ("capture", False)]


class RecordingGateway(FakeGateway):
    pass


class CaptureFailsGateway(FakeGateway):
    def capture(self, authorization, amount):
        return GatewayResponse(False, message="provider down")

from payments.gateway import FakeGateway, GatewayResponse, card_last4, get_gateway
from payments.services import (
    payment_status,
)


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

from core.exceptions import NotFound, ServiceError


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class PaymentError(ServiceError):
    code = "payment_error"
    status = 409


class PaymentDeclined(PaymentError):
    code = "payment_declined"
    status = 402

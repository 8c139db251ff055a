from core.exceptions import NotFound, ServiceError


class OrderNotFound(NotFound):
    code = "order_not_found"


class InvalidOrderState(ServiceError):
    code = "invalid_order_state"
    status = 409


class EmptyCart(ServiceError):
    code = "empty_cart"

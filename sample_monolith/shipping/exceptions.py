from core.exceptions import NotFound, ServiceError


class UnknownShippingMethod(NotFound):
    code = "unknown_shipping_method"


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"


class ShippingError(ServiceError):
    code = "shipping_error"
    status = 409

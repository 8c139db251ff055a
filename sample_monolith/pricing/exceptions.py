from core.exceptions import NotFound, ServiceError


class InvalidCoupon(ServiceError):
    code = "invalid_coupon"


class PriceMissing(NotFound):
    code = "price_missing"

from core.exceptions import NotFound, ServiceError


class OutOfStock(ServiceError):
    code = "out_of_stock"
    status = 409

    def __init__(self, message: str, *, product_id: int | None = None, available: int = 0) -> None:
        super().__init__(message)
        self.product_id = product_id
        self.available = available


class UnknownWarehouse(NotFound):
    code = "unknown_warehouse"

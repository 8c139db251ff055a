from core.exceptions import NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"


class CategoryNotFound(NotFound):
    code = "category_not_found"

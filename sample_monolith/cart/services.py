"""Public API of the cart: what a customer is about to buy."""
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from cart.models import Cart, CartItem, WishlistItem
from catalog.models import Product
from catalog.services import get_product
from core.money import Money
from inventory.exceptions import OutOfStock
from inventory.services import available_quantity
from pricing.services import quote, validate_coupon

MAX_QUANTITY_PER_LINE = 20


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: int
    sku: str
    name: str
    slug: str
    quantity: int
    unit_price: Money
    line_total: Money


@dataclass(frozen=True, slots=True)
class CartSummary:
    lines: list[CartLine]
    subtotal: Money
    discount: Money
    total: Money
    coupon_code: str | None
    messages: list[str] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [
                {
                    "product_id": line.product_id,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price.to_dict(),
                    "line_total": line.line_total.to_dict(),
                }
                for line in self.lines
            ],
            "item_count": self.item_count,
            "subtotal": self.subtotal.to_dict(),
            "discount": self.discount.to_dict(),
            "total": self.total.to_dict(),
            "coupon_code": self.coupon_code,
            "messages": self.messages,
        }


def get_cart(user) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    return cart


def _check_stock(product_id: int, quantity: int) -> None:
    available = available_quantity(product_id)
    if quantity > available:
        raise OutOfStock(f"only {available} left in stock", product_id=product_id, available=available)


def add_item(user, product_id: int, quantity: int = 1) -> CartItem:
    """Add ``quantity`` units of a product, merging with a line already in the cart."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    product = get_product(product_id)
    with transaction.atomic():
        cart = get_cart(user)
        item, created = CartItem.objects.select_for_update().get_or_create(
            cart=cart, product=product, defaults={"quantity": quantity}
        )
        new_quantity = quantity if created else item.quantity + quantity
        if new_quantity > MAX_QUANTITY_PER_LINE:
            raise ValueError(f"at most {MAX_QUANTITY_PER_LINE} units of one product per order")
        _check_stock(product.pk, new_quantity)
        if not created:
            item.quantity = new_quantity
            item.save(update_fields=["quantity", "updated_at"])
    return item


def set_quantity(user, product_id: int, quantity: int) -> CartItem | None:
    """Change a line's quantity; 0 removes the line. Returns the line, or None once removed."""
    if quantity < 0:
        raise ValueError("quantity cannot be negative")
    cart = get_cart(user)
    item = cart.items.filter(product_id=product_id).first()
    if item is None:
        raise ValueError(f"product {product_id} is not in the cart")
    if quantity == 0:
        item.delete()
        return None
    if quantity > MAX_QUANTITY_PER_LINE:
        raise ValueError(f"at most {MAX_QUANTITY_PER_LINE} units of one product per order")
    _check_stock(product_id, quantity)
    item.quantity = quantity
    item.save(update_fields=["quantity", "updated_at"])
    return item


def remove_item(user, product_id: int) -> None:
    get_cart(user).items.filter(product_id=product_id).delete()


def cart_items(user) -> list[tuple[Product, int]]:
    """(product, quantity) pairs, the shape pricing and ordering work with."""
    items = get_cart(user).items.select_related("product", "product__category")
    return [(item.product, item.quantity) for item in items]


def apply_coupon(user, code: str) -> CartSummary:
    """Attach a coupon to the cart after checking it against the current subtotal."""
    cart = get_cart(user)
    current = cart_summary(user)
    coupon = validate_coupon(code, current.subtotal)
    cart.coupon_code = coupon.code
    cart.save(update_fields=["coupon_code", "updated_at"])
    return cart_summary(user)


def remove_coupon(user) -> None:
    Cart.objects.filter(user=user).update(coupon_code="")


def cart_summary(user) -> CartSummary:
    cart = get_cart(user)
    items = cart_items(user)
    priced = quote(items, cart.coupon_code or None)
    lines = [
        CartLine(product.pk, product.sku, product.name, product.slug, qty, line.unit_price, line.line_total)
        for (product, qty), line in zip(items, priced.lines, strict=True)
    ]
    return CartSummary(lines, priced.subtotal, priced.discount, priced.total, priced.coupon_code, priced.messages)


def clear_cart(user) -> None:
    Cart.objects.filter(user=user).update(coupon_code="")
    CartItem.objects.filter(cart__user=user).delete()


def add_to_wishlist(user, product_id: int) -> WishlistItem:
    item, _ = WishlistItem.objects.get_or_create(user=user, product=get_product(product_id))
    return item


def wishlist_product_ids(user) -> list[int]:
    return list(WishlistItem.objects.filter(user=user).values_list("product_id", flat=True))


def move_wishlist_item_to_cart(user, product_id: int) -> CartItem:
    with transaction.atomic():
        item = add_item(user, product_id, 1)
        WishlistItem.objects.filter(user=user, product_id=product_id).delete()
    return item


def cart_item_count(user) -> int:
    """Units in the customer's cart (for the header badge), without pricing anything."""
    return sum(CartItem.objects.filter(cart__user=user).values_list("quantity", flat=True))

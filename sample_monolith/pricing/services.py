"""Public API of pricing: what a product costs today, and what a basket costs
with promotions and a coupon applied."""
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Product
from core.money import Money
from pricing.exceptions import InvalidCoupon, PriceMissing
from pricing.models import Coupon, CouponRedemption, Discount, PriceList, ProductPrice


@dataclass(frozen=True, slots=True)
class QuoteLine:
    product_id: int
    quantity: int
    unit_price: Money
    line_total: Money


@dataclass(frozen=True, slots=True)
class Quote:
    lines: list[QuoteLine]
    subtotal: Money
    discount: Money
    total: Money
    coupon_code: str | None = None
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [
                {
                    "product_id": line.product_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price.to_dict(),
                    "line_total": line.line_total.to_dict(),
                }
                for line in self.lines
            ],
            "subtotal": self.subtotal.to_dict(),
            "discount": self.discount.to_dict(),
            "total": self.total.to_dict(),
            "coupon_code": self.coupon_code,
            "messages": self.messages,
        }


def default_price_list() -> PriceList:
    price_list = PriceList.objects.filter(is_default=True).first()
    if price_list is None:
        raise PriceMissing("no default price list is configured")
    return price_list


def list_price(product_id: int) -> Money:
    """The catalogue price before any promotion."""
    price_list = default_price_list()
    amount = (
        ProductPrice.objects.filter(price_list=price_list, product_id=product_id).values_list("amount", flat=True).first()
    )
    if amount is None:
        raise PriceMissing(f"product {product_id} has no price in {price_list.code}")
    return Money(amount, price_list.currency)


def best_discount_percent(product: Product) -> Decimal:
    """The largest current promotion that applies to ``product`` (directly or through its category)."""
    category_ids = [c.pk for c in product.category.breadcrumb()]
    percents = (
        Discount.objects.current()
        .filter(Q(products__id=product.pk) | Q(categories__id__in=category_ids))
        .values_list("percent", flat=True)
        .distinct()
    )
    return max(percents, default=Decimal("0"))


def price_for(product: Product) -> Money:
    """What a customer pays for one unit of ``product`` today."""
    price = list_price(product.pk)
    percent = best_discount_percent(product)
    return price - price.percent(percent) if percent else price


def prices_for(products: list[Product]) -> dict[int, Money]:
    """Unit prices for many products; products without a price are left out."""
    prices = {}
    for product in products:
        try:
            prices[product.pk] = price_for(product)
        except PriceMissing:
            continue
    return prices


def validate_coupon(code: str, subtotal: Money) -> Coupon:
    """The coupon for ``code`` if it may be used on a basket of ``subtotal``."""
    now = timezone.now()
    coupon = Coupon.objects.filter(code=code.strip().upper()).first()
    if coupon is None or not coupon.is_active:
        raise InvalidCoupon(f"coupon {code!r} does not exist")
    if coupon.valid_from > now or (coupon.valid_until and coupon.valid_until <= now):
        raise InvalidCoupon(f"coupon {coupon.code} is not valid today")
    if coupon.max_uses is not None and coupon.times_used >= coupon.max_uses:
        raise InvalidCoupon(f"coupon {coupon.code} has been used up")
    if subtotal.amount < coupon.min_subtotal:
        raise InvalidCoupon(f"coupon {coupon.code} needs a subtotal of at least {coupon.min_subtotal}")
    return coupon


def coupon_discount(coupon: Coupon, subtotal: Money) -> Money:
    if coupon.kind == Coupon.Kind.PERCENT:
        discount = subtotal.percent(coupon.value)
    else:
        discount = Money(coupon.value, subtotal.currency)
    return min(discount, subtotal)


def quote(items: list[tuple[Product, int]], coupon_code: str | None = None) -> Quote:
    """Price a basket of (product, quantity) pairs, with an optional coupon.

    An unusable coupon does not fail the quote: it is dropped with a message,
    so the basket page can still show prices."""
    currency = default_price_list().currency
    lines = []
    for product, quantity in items:
        unit = price_for(product)
        lines.append(QuoteLine(product.pk, quantity, unit, unit * quantity))
    subtotal = sum((line.line_total for line in lines), Money.zero(currency))
    discount, messages, applied = Money.zero(currency), [], None
    if coupon_code:
        try:
            coupon = validate_coupon(coupon_code, subtotal)
        except InvalidCoupon as exc:
            messages.append(exc.message)
        else:
            discount, applied = coupon_discount(coupon, subtotal), coupon.code
    return Quote(lines, subtotal, discount, (subtotal - discount).clamp_min_zero(), applied, messages)


def redeem_coupon(code: str, order) -> CouponRedemption:
    """Use up one redemption of a coupon for ``order`` (an orders.Order).

    Call inside the transaction that places the order."""
    with transaction.atomic():
        coupon = validate_coupon(code, Money(order.subtotal, order.currency))
        discount = coupon_discount(coupon, Money(order.subtotal, order.currency))
        Coupon.objects.filter(pk=coupon.pk).update(times_used=F("times_used") + 1)
        return CouponRedemption.objects.create(coupon=coupon, order=order, user_id=order.user_id, amount=discount.amount)


def set_price(product_id: int, amount: Decimal, price_list_code: str | None = None) -> ProductPrice:
    price_list = PriceList.objects.get(code=price_list_code) if price_list_code else default_price_list()
    price, _ = ProductPrice.objects.update_or_create(
        price_list=price_list, product_id=product_id, defaults={"amount": amount}
    )
    return price


def release_coupon(order_id: int) -> bool:
    """Undo the coupon redemption of a cancelled order; returns whether there was one."""
    with transaction.atomic():
        redemption = CouponRedemption.objects.select_for_update().filter(order_id=order_id).first()
        if redemption is None:
            return False
        Coupon.objects.filter(pk=redemption.coupon_id, times_used__gt=0).update(times_used=F("times_used") - 1)
        redemption.delete()
    return True


def create_price_list(code: str, name: str, *, currency: str = "EUR", is_default: bool = False) -> PriceList:
    return PriceList.objects.create(code=code, name=name, currency=currency, is_default=is_default)


def create_coupon(code: str, *, kind: str = Coupon.Kind.PERCENT, value: Decimal, **options: Any) -> Coupon:
    coupon = Coupon(code=code, kind=kind, value=value, **options)
    coupon.full_clean()
    coupon.save()
    return coupon


def create_discount(
    name: str, percent: Decimal, *, category_ids: list[int] | None = None, product_ids: list[int] | None = None,
    **options: Any,
) -> Discount:
    discount = Discount.objects.create(name=name, percent=percent, **options)
    discount.categories.set(category_ids or [])
    discount.products.set(product_ids or [])
    return discount

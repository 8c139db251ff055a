"""Public API of shipping: delivery options and prices, parcels and tracking."""
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.money import Money
from core.utils import generate_reference
from shipping.exceptions import ShipmentNotFound, ShippingError, UnknownShippingMethod
from shipping.models import Carrier, Shipment, ShipmentItem, ShippingMethod, TrackingEvent
from shipping.signals import shipment_delivered, shipment_dispatched


def list_methods() -> list[ShippingMethod]:
    return list(ShippingMethod.objects.filter(is_active=True).select_related("carrier"))


def get_method(code: str) -> ShippingMethod:
    try:
        return ShippingMethod.objects.select_related("carrier").get(code=code, is_active=True)
    except ShippingMethod.DoesNotExist as exc:
        raise UnknownShippingMethod(f"no shipping method {code!r}") from exc


def shipping_quote(method_code: str, basket_total: Money) -> Money:
    """What delivery costs for a basket of ``basket_total`` (free above the method's threshold)."""
    method = get_method(method_code)
    if method.free_over is not None and basket_total.amount >= method.free_over:
        return Money.zero(basket_total.currency)
    return Money(method.price, basket_total.currency)


def methods_with_prices(basket_total: Money) -> list[dict[str, Any]]:
    return [
        {
            "code": method.code,
            "name": method.name,
            "carrier": method.carrier.name,
            "days": f"{method.min_days}-{method.max_days}",
            "price": shipping_quote(method.code, basket_total).to_dict(),
        }
        for method in list_methods()
    ]


def create_shipment(order) -> Shipment:
    """Prepare the parcel of a paid order (an orders.Order). Idempotent."""
    existing = Shipment.objects.filter(order=order).first()
    if existing is not None:
        return existing
    if order.status != "paid":
        raise ShippingError(f"order {order.reference} is {order.status}; only paid orders ship")
    lines = list(order.lines.select_related("product"))
    with transaction.atomic():
        shipment = Shipment.objects.create(
            order=order,
            method=get_method(order.shipping_method_code),
            weight_grams=sum(line.product.weight_grams * line.quantity for line in lines),
            **order.shipping_address.address_fields(),
        )
        ShipmentItem.objects.bulk_create(
            ShipmentItem(shipment=shipment, order_line=line, quantity=line.quantity) for line in lines
        )
    return shipment


def _get(shipment_id: int) -> Shipment:
    try:
        return Shipment.objects.select_related("method__carrier").get(pk=shipment_id)
    except Shipment.DoesNotExist as exc:
        raise ShipmentNotFound(f"no shipment {shipment_id}") from exc


def dispatch_shipment(shipment_id: int, *, location: str = "Warehouse") -> Shipment:
    """Hand the parcel to the carrier: it gets a tracking number."""
    shipment = _get(shipment_id)
    if shipment.status != Shipment.Status.PENDING:
        raise ShippingError(f"shipment {shipment.pk} was already dispatched")
    now = timezone.now()
    with transaction.atomic():
        shipment.tracking_number = generate_reference(shipment.method.carrier.code.upper()[:3], 10)
        shipment.status = Shipment.Status.DISPATCHED
        shipment.dispatched_at = now
        shipment.save(update_fields=["tracking_number", "status", "dispatched_at", "updated_at"])
        TrackingEvent.objects.create(
            shipment=shipment, status=shipment.status, location=location, message="Parcel handed to carrier", occurred_at=now
        )
    shipment_dispatched.send(sender=Shipment, shipment=shipment, carrier=shipment.method.carrier.name)
    return shipment


def record_tracking_event(
    tracking_number: str, status: str, *, location: str = "", message: str = "", occurred_at: datetime | None = None
) -> TrackingEvent:
    """Carrier feed: store an event; a ``delivered`` event completes the shipment."""
    shipment = get_shipment_by_tracking(tracking_number)
    if status not in Shipment.Status.values:
        raise ValueError(f"unknown tracking status {status!r}")
    if shipment.status in {Shipment.Status.DELIVERED, Shipment.Status.RETURNED}:
        raise ShippingError(f"shipment {tracking_number} is already {shipment.status}")
    event = TrackingEvent.objects.create(
        shipment=shipment, status=status, location=location, message=message, occurred_at=occurred_at or timezone.now()
    )
    if status == Shipment.Status.DELIVERED:
        mark_delivered(shipment.pk, at=event.occurred_at)
    elif status != shipment.status:
        shipment.status = status
        shipment.save(update_fields=["status", "updated_at"])
    return event


def mark_delivered(shipment_id: int, *, at: datetime | None = None) -> Shipment:
    shipment = _get(shipment_id)
    if shipment.status not in {Shipment.Status.DISPATCHED, Shipment.Status.IN_TRANSIT}:
        raise ShippingError(f"shipment {shipment.pk} is {shipment.status} and cannot be delivered")
    shipment.status = Shipment.Status.DELIVERED
    shipment.delivered_at = at or timezone.now()
    shipment.save(update_fields=["status", "delivered_at", "updated_at"])
    shipment_delivered.send(sender=Shipment, shipment=shipment)
    return shipment


def get_shipment_by_tracking(tracking_number: str) -> Shipment:
    try:
        return Shipment.objects.select_related("method__carrier").get(tracking_number=tracking_number)
    except Shipment.DoesNotExist as exc:
        raise ShipmentNotFound(f"no shipment with tracking number {tracking_number}") from exc


def shipment_for_order(order_id: int) -> Shipment | None:
    return Shipment.objects.select_related("method__carrier").filter(order_id=order_id).first()


def shipment_as_dict(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.pk,
        "order_id": shipment.order_id,
        "status": shipment.status,
        "method": shipment.method.code,
        "carrier": shipment.method.carrier.name,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url or None,
        "address": shipment.as_lines(),
        "dispatched_at": shipment.dispatched_at.isoformat() if shipment.dispatched_at else None,
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "events": [
            {"status": e.status, "location": e.location, "message": e.message, "at": e.occurred_at.isoformat()}
            for e in shipment.events.all()
        ],
    }


def track(tracking_number: str) -> dict[str, Any]:
    return shipment_as_dict(get_shipment_by_tracking(tracking_number))


def add_shipping_method(
    code: str, name: str, *, carrier_code: str, carrier_name: str = "", price: Decimal,
    free_over: Decimal | None = None, min_days: int = 2, max_days: int = 5,
) -> ShippingMethod:
    """Back-office: offer a delivery option (creating its carrier on first use)."""
    carrier, _ = Carrier.objects.get_or_create(
        code=carrier_code,
        defaults={
            "name": carrier_name or carrier_code.title(),
            "tracking_url_template": f"https://track.example.com/{carrier_code}/{{tracking_number}}",
        },
    )
    return ShippingMethod.objects.create(
        code=code, name=name, carrier=carrier, price=price, free_over=free_over, min_days=min_days, max_days=max_days
    )

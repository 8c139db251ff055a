"""Public API of inventory: how many units can be sold, and the reservations
that keep two customers from buying the same last unit."""
from typing import Any

from django.db import transaction
from django.db.models import F, Sum

from catalog.models import Product
from inventory.exceptions import OutOfStock, UnknownWarehouse
from inventory.models import Reservation, StockItem, StockMovement, Warehouse


def available_quantity(product_id: int) -> int:
    """Units on hand and not reserved, over all active warehouses."""
    totals = StockItem.objects.filter(product_id=product_id, warehouse__is_active=True).aggregate(
        on_hand=Sum("quantity"), reserved=Sum("reserved")
    )
    return (totals["on_hand"] or 0) - (totals["reserved"] or 0)


def availability(product_ids: list[int]) -> dict[int, int]:
    """Available units per product id (0 for products without stock)."""
    rows = (
        StockItem.objects.filter(product_id__in=product_ids, warehouse__is_active=True)
        .values("product_id")
        .annotate(on_hand=Sum("quantity"), held=Sum("reserved"))
    )
    result = dict.fromkeys(product_ids, 0)
    for row in rows:
        result[row["product_id"]] = row["on_hand"] - row["held"]
    return result


def get_warehouse(code: str) -> Warehouse:
    try:
        return Warehouse.objects.get(code=code)
    except Warehouse.DoesNotExist as exc:
        raise UnknownWarehouse(f"no warehouse {code!r}") from exc


def receive_stock(product_id: int, warehouse_code: str, quantity: int, reference: str = "") -> StockItem:
    """Book ``quantity`` received units into a warehouse."""
    if quantity <= 0:
        raise ValueError("received quantity must be positive")
    warehouse = get_warehouse(warehouse_code)
    with transaction.atomic():
        item, _ = StockItem.objects.select_for_update().get_or_create(warehouse=warehouse, product_id=product_id)
        item.quantity = F("quantity") + quantity
        item.save(update_fields=["quantity", "updated_at"])
        StockMovement.objects.create(
            stock_item=item, delta=quantity, reason=StockMovement.Reason.RECEIPT, reference=reference
        )
    item.refresh_from_db()
    return item


def adjust_stock(product_id: int, warehouse_code: str, counted: int, reference: str = "stock count") -> StockItem:
    """Set the on-hand quantity to what a stock count found."""
    warehouse = get_warehouse(warehouse_code)
    with transaction.atomic():
        item, _ = StockItem.objects.select_for_update().get_or_create(warehouse=warehouse, product_id=product_id)
        if counted < item.reserved:
            raise OutOfStock(
                f"cannot count {counted}: {item.reserved} units are reserved", product_id=product_id, available=counted
            )
        delta = counted - item.quantity
        item.quantity = counted
        item.save(update_fields=["quantity", "updated_at"])
        if delta:
            StockMovement.objects.create(
                stock_item=item, delta=delta, reason=StockMovement.Reason.ADJUSTMENT, reference=reference
            )
    return item


def reserve_stock(order) -> list[Reservation]:
    """Reserve every line of ``order`` (an orders.Order), warehouse by warehouse
    in priority order. All or nothing: raises OutOfStock and reserves nothing
    when a line cannot be covered."""
    reservations = []
    with transaction.atomic():
        for line in order.lines.all():
            needed = line.quantity
            items = (
                StockItem.objects.select_for_update()
                .filter(product_id=line.product_id, warehouse__is_active=True, quantity__gt=F("reserved"))
                .select_related("warehouse")
                .order_by("warehouse__priority", "warehouse__code")
            )
            for item in items:
                if needed == 0:
                    break
                take = min(needed, item.available)
                item.reserved += take
                item.save(update_fields=["reserved", "updated_at"])
                StockMovement.objects.create(
                    stock_item=item, delta=take, reason=StockMovement.Reason.RESERVATION, reference=order.reference
                )
                reservations.append(
                    Reservation.objects.create(
                        order=order, product_id=line.product_id, warehouse=item.warehouse, quantity=take
                    )
                )
                needed -= take
            if needed:
                available = line.quantity - needed
                raise OutOfStock(
                    f"only {available} of {line.quantity} x {line.sku} in stock",
                    product_id=line.product_id,
                    available=available,
                )
    return reservations


def _settle(order_id: int, status: str, reason: str) -> int:
    count = 0
    with transaction.atomic():
        active = Reservation.objects.select_for_update().filter(order_id=order_id, status=Reservation.Status.ACTIVE)
        for reservation in active.select_related("order"):
            item = StockItem.objects.select_for_update().get(
                warehouse_id=reservation.warehouse_id, product_id=reservation.product_id
            )
            item.reserved -= reservation.quantity
            fields = ["reserved", "updated_at"]
            if status == Reservation.Status.COMMITTED:
                item.quantity -= reservation.quantity
                fields.append("quantity")
            item.save(update_fields=fields)
            delta = -reservation.quantity
            StockMovement.objects.create(stock_item=item, delta=delta, reason=reason, reference=reservation.order.reference)
            reservation.status = status
            reservation.save(update_fields=["status", "updated_at"])
            count += 1
    return count


def release_reservations(order_id: int) -> int:
    """Give the units reserved for an order back to sale; returns how many reservations were released."""
    return _settle(order_id, Reservation.Status.RELEASED, StockMovement.Reason.RELEASE)


def commit_reservations(order_id: int) -> int:
    """The parcel left: reserved units leave the warehouse for good."""
    return _settle(order_id, Reservation.Status.COMMITTED, StockMovement.Reason.SHIPMENT)


def reservations_for_order(order_id: int) -> list[dict[str, Any]]:
    return [
        {"product_id": r.product_id, "warehouse": r.warehouse.code, "quantity": r.quantity, "status": r.status}
        for r in Reservation.objects.filter(order_id=order_id).select_related("warehouse")
    ]


def low_stock(threshold: int) -> list[dict[str, Any]]:
    """Active products whose available units are at or below ``threshold``, fewest first."""
    products = (
        Product.objects.active()
        .annotate(on_hand=Sum("stock_items__quantity"), held=Sum("stock_items__reserved"))
        .order_by("sku")
    )
    rows = []
    for product in products:
        available = (product.on_hand or 0) - (product.held or 0)
        if available <= threshold:
            rows.append({"product_id": product.pk, "sku": product.sku, "name": product.name, "available": available})
    return sorted(rows, key=lambda row: (row["available"], row["sku"]))


def create_warehouse(code: str, name: str, *, city: str = "", priority: int = 10) -> Warehouse:
    return Warehouse.objects.create(code=code, name=name, city=city, priority=priority)


def set_warehouse_active(code: str, active: bool) -> Warehouse:
    warehouse = get_warehouse(code)
    warehouse.is_active = active
    warehouse.save(update_fields=["is_active"])
    return warehouse

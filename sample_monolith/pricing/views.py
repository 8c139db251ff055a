"""JSON endpoints of pricing."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from catalog.services import get_product, products_by_ids
from core.http import json_error, read_json, service_errors_as_json
from pricing.services import list_price, price_for, quote


@require_GET
@service_errors_as_json
def product_price(request, product_id: int):
    product = get_product(product_id)
    return JsonResponse(
        {"product_id": product.pk, "list_price": list_price(product.pk).to_dict(), "price": price_for(product).to_dict()}
    )


@require_POST
@service_errors_as_json
def basket_quote(request):
    payload = read_json(request)
    try:
        wanted = {int(line["product_id"]): int(line["quantity"]) for line in payload.get("lines", [])}
    except (KeyError, TypeError, ValueError):
        return json_error("lines must be a list of {product_id, quantity}")
    products = products_by_ids(list(wanted))
    missing = sorted(set(wanted) - set(products))
    if missing:
        return json_error(f"unknown products: {missing}", code="product_not_found", status=404)
    items = [(products[pid], qty) for pid, qty in wanted.items()]
    return JsonResponse(quote(items, payload.get("coupon") or None).to_dict())

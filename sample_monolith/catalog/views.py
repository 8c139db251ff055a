"""JSON endpoints of the catalogue."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from catalog.services import category_tree, get_product, list_products, product_as_dict
from core.http import service_errors_as_json


@require_GET
@service_errors_as_json
def product_list(request):
    products = list_products(
        category_slug=request.GET.get("category") or None,
        query=request.GET.get("q", ""),
        brand_slug=request.GET.get("brand") or None,
    )
    return JsonResponse({"products": [product_as_dict(p) for p in products]})


@require_GET
@service_errors_as_json
def product_detail(request, product_id: int):
    return JsonResponse(product_as_dict(get_product(product_id)))


@require_GET
def categories(request):
    return JsonResponse({"categories": category_tree()})

"""JSON endpoints of reviews."""
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from core.http import json_error, login_required_json, read_json, service_errors_as_json
from reviews.services import rating_summary, reviews_for_product, submit_review


@require_http_methods(["GET", "POST"])
@service_errors_as_json
def product_reviews(request, product_id: int):
    if request.method == "POST":
        return _submit(request, product_id)
    return JsonResponse({"summary": rating_summary(product_id), "reviews": reviews_for_product(product_id)})


@login_required_json
def _submit(request, product_id: int):
    payload = read_json(request)
    try:
        rating = int(payload.get("rating", 0))
    except (TypeError, ValueError):
        return json_error("rating must be an integer")
    review = submit_review(
        request.user, product_id, rating=rating, title=str(payload.get("title", "")), body=str(payload.get("body", ""))
    )
    return JsonResponse({"id": review.pk, "status": review.status, "verified_purchase": review.verified_purchase}, status=201)

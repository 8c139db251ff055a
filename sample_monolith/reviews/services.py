"""Public API of reviews: customers' ratings of products."""
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q

from catalog.services import get_product
from orders.services import has_purchased
from reviews.exceptions import CannotVote, DuplicateReview, ReviewNotFound
from reviews.models import Review, ReviewReply, ReviewVote
from reviews.signals import review_submitted


def submit_review(user, product_id: int, *, rating: int, title: str, body: str = "") -> Review:
    """Reviews from verified buyers are published at once; others wait for moderation."""
    if not 1 <= rating <= 5:
        raise ValueError("rating must be between 1 and 5")
    if not title.strip():
        raise ValueError("a review needs a title")
    product = get_product(product_id)
    verified = has_purchased(user.pk, product.pk)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                product=product,
                user=user,
                rating=rating,
                title=title.strip(),
                body=body.strip(),
                verified_purchase=verified,
                status=Review.Status.PUBLISHED if verified else Review.Status.PENDING,
            )
    except IntegrityError as exc:
        raise DuplicateReview("you already reviewed this product") from exc
    review_submitted.send(sender=Review, review=review)
    return review


def _get(review_id: int) -> Review:
    try:
        return Review.objects.select_related("user").get(pk=review_id)
    except Review.DoesNotExist as exc:
        raise ReviewNotFound(f"no review {review_id}") from exc


def moderate_review(review_id: int, *, publish: bool) -> Review:
    review = _get(review_id)
    review.status = Review.Status.PUBLISHED if publish else Review.Status.REJECTED
    review.save(update_fields=["status", "updated_at"])
    return review


def pending_reviews() -> list[Review]:
    return list(Review.objects.filter(status=Review.Status.PENDING).select_related("product", "user"))


def vote(review_id: int, user, *, helpful: bool) -> ReviewVote:
    review = _get(review_id)
    if review.user_id == user.pk:
        raise CannotVote("you cannot vote on your own review")
    if review.status != Review.Status.PUBLISHED:
        raise CannotVote("only published reviews take votes")
    result, _ = ReviewVote.objects.update_or_create(review=review, user=user, defaults={"helpful": helpful})
    return result


def reply(review_id: int, author, body: str) -> ReviewReply:
    review = _get(review_id)
    result, _ = ReviewReply.objects.update_or_create(review=review, defaults={"author": author, "body": body})
    return result


def reviews_for_product(product_id: int) -> list[dict[str, Any]]:
    """Published reviews, most helpful first."""
    reviews = (
        Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
        .select_related("user", "reply")
        .annotate(helpful_votes=Count("votes", filter=Q(votes__helpful=True)))
        .order_by("-helpful_votes", "-created_at", "-id")
    )
    return [_review_as_dict(review) for review in reviews]


def _review_as_dict(review: Review) -> dict[str, Any]:
    reply = getattr(review, "reply", None)  # reverse one-to-one: missing reply raises AttributeError
    return {
        "id": review.pk,
        "author": review.user.display_name(),
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "verified_purchase": review.verified_purchase,
        "helpful_votes": review.helpful_votes,
        "reply": reply.body if reply else None,
        "created_at": review.created_at.isoformat(),
    }


def rating_summary(product_id: int) -> dict[str, Any]:
    published = Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
    totals = published.aggregate(average=Avg("rating"), count=Count("id"))
    distribution = dict.fromkeys(range(1, 6), 0)
    for row in published.values("rating").annotate(n=Count("id")):
        distribution[row["rating"]] = row["n"]
    average = totals["average"]
    return {
        "count": totals["count"],
        "average": round(average, 2) if average is not None else None,
        "distribution": {str(k): v for k, v in distribution.items()},
    }

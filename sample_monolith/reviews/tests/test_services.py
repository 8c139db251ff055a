import pytest

from notifications.services import list_notifications
from reviews.exceptions import CannotVote, DuplicateReview
from reviews.services import (
    moderate_review,
    pending_reviews,
    rating_summary,
    reply,
    reviews_for_product,
    submit_review,
    vote,
)


def test_verified_buyers_are_published_at_once(buy, ship, shop, customer):
    ship(buy(customer, (shop.novel, 1)).order)
    review = submit_review(customer, shop.novel.pk, rating=5, title="Lovely", body="Read it twice.")
    assert review.status == "published" and review.verified_purchase
    assert [r["title"] for r in reviews_for_product(shop.novel.pk)] == ["Lovely"]


def test_other_reviews_wait_for_moderation(shop, customer):
    review = submit_review(customer, shop.speaker.pk, rating=2, title="Meh")
    assert review.status == "pending" and not review.verified_purchase
    assert reviews_for_product(shop.speaker.pk) == []
    assert pending_reviews() == [review]
    moderate_review(review.pk, publish=True)
    assert rating_summary(shop.speaker.pk)["count"] == 1


def test_one_review_per_customer_and_product(shop, customer):
    submit_review(customer, shop.speaker.pk, rating=4, title="Good")
    with pytest.raises(DuplicateReview):
        submit_review(customer, shop.speaker.pk, rating=1, title="Changed my mind")
    with pytest.raises(ValueError):
        submit_review(customer, shop.novel.pk, rating=6, title="Too good")


def test_votes_rank_reviews_and_authors_cannot_vote(shop, customer, other_customer, staff):
    first = submit_review(customer, shop.speaker.pk, rating=3, title="Fine")
    second = submit_review(other_customer, shop.speaker.pk, rating=5, title="Great")
    for review in (first, second):
        moderate_review(review.pk, publish=True)
    with pytest.raises(CannotVote):
        vote(first.pk, customer, helpful=True)
    vote(first.pk, other_customer, helpful=True)
    vote(first.pk, staff, helpful=True)
    reply(second.pk, staff, "Thank you!")
    listed = reviews_for_product(shop.speaker.pk)
    assert [(r["title"], r["helpful_votes"]) for r in listed] == [("Fine", 2), ("Great", 0)]
    assert listed[1]["reply"] == "Thank you!" and listed[0]["reply"] is None


def test_rating_summary(shop, customer, other_customer):
    for user, rating in ((customer, 4), (other_customer, 5)):
        moderate_review(submit_review(user, shop.headphones.pk, rating=rating, title="x").pk, publish=True)
    summary = rating_summary(shop.headphones.pk)
    assert summary["average"] == 4.5 and summary["distribution"]["5"] == 1 and summary["distribution"]["1"] == 0
    assert rating_summary(shop.novel.pk) == {"count": 0, "average": None, "distribution": {str(n): 0 for n in range(1, 6)}}


def test_the_author_is_thanked(shop, customer):
    submit_review(customer, shop.speaker.pk, rating=4, title="Good")
    latest = list_notifications(customer.pk)[0]
    assert latest["kind"] == "review_received" and "once approved" in latest["body"]


def test_reviews_api(client, shop, customer):
    url = f"/api/reviews/products/{shop.speaker.pk}/"
    assert client.post(url, {"rating": 4, "title": "Good"}, content_type="application/json").status_code == 401
    client.force_login(customer)
    created = client.post(url, {"rating": 4, "title": "Good"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert client.get(url).json()["summary"]["count"] == 0

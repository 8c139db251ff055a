"""A staying model's reverse accessors of a moved model's one-to-one and many-to-many relations, in remote mode.

pretalx mail: ``QueuedMail.to_speakers = ManyToManyField(SpeakerProfile, related_name="mails")``; the staying
``person.domain.profile`` reads ``profile.mails.all()`` and deletes them, and 22 tests of the monolith's suite
failed in remote mode with ``'SpeakerProfile' object has no attribute 'mails'``: only a foreign key's reverse
accessor was installed on the staying model. The sample's ``pricing`` has both kinds: ``Discount.categories``
(many-to-many to the staying ``catalog.Category``, ``category.discounts``) and ``CouponRedemption.order``
(one-to-one to the staying ``orders.Order``, ``order.coupon_redemption``).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from projects import RunningService, extract_applied, run_json_script

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from decimal import Decimal as D

    import django
    import httpx

    django.setup()

    from catalog.models import Category
    from orders.models import Order
    from shop.services.pricing import Coupon, CouponRedemption, Discount

    requests = []
    _send = httpx.Client.send

    def counting(self, request, **kwargs):
        requests.append(f"{request.method} {request.url.path}")
        return _send(self, request, **kwargs)

    httpx.Client.send = counting
    results = {}

    def case(name, fn):
        before = len(requests)
        try:
            value, error = fn(), None
        except Exception as exc:
            value, error = None, [type(exc).__name__, str(exc), isinstance(exc, AttributeError)]
        results[name] = {"value": value, "error": error, "requests": requests[before:]}

    summer = Discount.objects.create(name="Summer", percent=D("10"))
    winter = Discount.objects.create(name="Winter", percent=D("20"))
    summer.categories.add(7, 8)
    winter.categories.add(8)
    coupon = Coupon.objects.create(code="rev", value=D("5"))
    CouponRedemption.objects.create(coupon=coupon, order_id=41, user_id=1, amount=D("5"))

    case("m2m_count", lambda: Category(pk=8).discounts.count())
    case("m2m_names", lambda: sorted(d.name for d in Category(pk=8).discounts.all()))
    case("m2m_filter", lambda: [d.name for d in Category(pk=7).discounts.filter(percent__gte=D("5"))])
    case("m2m_none", lambda: Category(pk=9).discounts.exists())
    order = Order(pk=41)
    case("o2o", lambda: [order.coupon_redemption.amount, order.coupon_redemption.coupon_id == coupon.pk])  # cached
    case("o2o_missing", lambda: Order(pk=42).coupon_redemption)
    case("o2o_hasattr", lambda: hasattr(Order(pk=42), "coupon_redemption"))
    json.dump(results, sys.stdout, default=str)
    """
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("reverse-relations")
    monolith = tmp / "monolith"
    shutil.copytree(ROOT / "sample_monolith", monolith, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    with RunningService(extract_applied(monolith, "pricing", out=tmp / "out"), tmp) as service:
        env = {**service.monolith_env("pricing"), "PYTHONPATH": str(monolith), "DJANGO_SETTINGS_MODULE": "shop.settings"}
        yield run_json_script(monolith, "reverse_script.py", SCRIPT, env)


def _ok(results: dict[str, Any], name: str) -> Any:
    r = results[name]
    assert r["error"] is None, r
    assert len(r["requests"]) == 1 and r["requests"][0].startswith("POST /api/v1/query/pricing/"), r
    return r["value"]


def test_a_many_to_many_reverse_accessor_is_a_queryset_of_the_service(results: dict[str, Any]) -> None:
    assert _ok(results, "m2m_count") == 2
    assert _ok(results, "m2m_names") == ["Summer", "Winter"]
    assert _ok(results, "m2m_filter") == ["Summer"]
    assert _ok(results, "m2m_none") is False


def test_a_one_to_one_reverse_accessor_is_the_services_row(results: dict[str, Any]) -> None:
    assert _ok(results, "o2o") == ["5.00", True]


def test_a_missing_one_to_one_row_is_djangos_related_object_does_not_exist(results: dict[str, Any]) -> None:
    missing = results["o2o_missing"]
    assert missing["error"][0] == "RelatedObjectDoesNotExist", missing
    assert missing["error"][1] == "Order has no coupon_redemption.", missing
    assert missing["error"][2] is True, missing  # an AttributeError too, as Django's: hasattr() is False
    assert _ok(results, "o2o_hasattr") is False

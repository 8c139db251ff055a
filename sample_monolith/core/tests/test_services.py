from datetime import date

import pytest

from core.http import read_json
from core.exceptions import ServiceError
from core.services import audit, audit_trail, get_setting, set_setting
from core.utils import daterange, generate_reference, parse_positive_int, period_bounds


@pytest.mark.django_db
def test_audit_trail_lists_actions_on_one_object_in_order():
    target = set_setting("banner", "Summer sale")
    audit("settings.changed", target, actor_id=7, value="Summer sale")
    audit("settings.viewed", target)
    trail = audit_trail(target)
    assert [entry["action"] for entry in trail] == ["settings.changed", "settings.viewed"]
    assert trail[0]["actor_id"] == 7 and trail[0]["data"] == {"value": "Summer sale"}


@pytest.mark.django_db
def test_settings_default_and_overwrite():
    assert get_setting("free_gift", "none") == "none"
    set_setting("free_gift", "tote bag")
    set_setting("free_gift", "mug")
    assert get_setting("free_gift") == "mug"


def test_references_have_prefix_and_vary():
    refs = {generate_reference("ORD") for _ in range(50)}
    assert len(refs) == 50
    assert all(ref.startswith("ORD-") and len(ref) == 12 for ref in refs)


def test_period_bounds_cover_whole_days():
    start, end = period_bounds(date(2024, 3, 1), date(2024, 3, 2))
    assert (end - start).days == 2
    assert list(daterange(date(2024, 2, 28), date(2024, 3, 1))) == [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    with pytest.raises(ValueError):
        period_bounds(date(2024, 3, 2), date(2024, 3, 1))


def test_parse_positive_int():
    assert parse_positive_int("3") == 3
    assert parse_positive_int("", default=5) == 5
    with pytest.raises(ValueError):
        parse_positive_int("0")


def test_read_json_rejects_non_objects(rf):
    request = rf.post("/", data="[1, 2]", content_type="application/json")
    with pytest.raises(ServiceError):
        read_json(request)
    assert read_json(rf.post("/", data='{"a": 1}', content_type="application/json")) == {"a": 1}

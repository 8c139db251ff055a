import pytest

from accounts.exceptions import AddressNotFound, RegistrationError
from accounts.services import (
    add_address,
    add_loyalty_points,
    default_address,
    get_address,
    list_addresses,
    register_user,
    user_summary,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_registration_normalises_email_and_creates_profile():
    user = register_user("carol", "  Carol@Example.COM ", PASSWORD)
    summary = user_summary(user.pk)
    assert summary["email"] == "carol@example.com"
    assert summary["loyalty_points"] == 0 and summary["tier"] == "bronze"
    assert user.check_password(PASSWORD)


def test_registration_refuses_duplicates_and_weak_passwords():
    register_user("carol", "carol@example.com", PASSWORD)
    with pytest.raises(RegistrationError, match="already"):
        register_user("caroline", "CAROL@example.com", PASSWORD)
    with pytest.raises(RegistrationError, match="taken"):
        register_user("carol", "other@example.com", PASSWORD)
    with pytest.raises(RegistrationError):
        register_user("dave", "dave@example.com", "password")


def test_first_address_becomes_default_and_a_new_default_replaces_it():
    user = register_user("carol", "carol@example.com", PASSWORD)
    home = add_address(user, full_name="Carol", line1="1 Main St", city="Paris", postcode="75001")
    assert default_address(user) == home
    office = add_address(user, label="Office", full_name="Carol", line1="9 Quai", city="Paris", postcode="75007", make_default=True)
    assert default_address(user) == office
    assert [a.label for a in list_addresses(user)] == ["Office", "Home"]


def test_addresses_are_private_to_their_owner():
    carol = register_user("carol", "carol@example.com", PASSWORD)
    dave = register_user("dave", "dave@example.com", PASSWORD)
    address = add_address(carol, full_name="Carol", line1="1 Main St", city="Paris", postcode="75001")
    assert get_address(address.pk, user_id=carol.pk) == address
    with pytest.raises(AddressNotFound):
        get_address(address.pk, user_id=dave.pk)


def test_loyalty_points_never_go_negative_and_set_the_tier():
    user = register_user("carol", "carol@example.com", PASSWORD)
    assert add_loyalty_points(user.pk, 300) == 300
    assert user_summary(user.pk)["tier"] == "silver"
    assert add_loyalty_points(user.pk, -1000) == 0

"""Public API of the accounts app: users, profiles and addresses."""
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.exceptions import AddressNotFound, RegistrationError
from accounts.models import Address, CustomerProfile, User
from accounts.signals import user_registered
from core.exceptions import NotFound
from core.services import audit


def register_user(username: str, email: str, password: str, **extra: Any) -> User:
    """Create a customer with a profile; raises RegistrationError on bad input."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise RegistrationError(f"an account already uses {email}")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise RegistrationError(" ".join(exc.messages)) from exc
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=username, email=email, password=password, **extra)
            CustomerProfile.objects.create(user=user)
    except IntegrityError as exc:
        raise RegistrationError(f"username {username!r} is taken") from exc
    audit("accounts.registered", user, actor_id=user.pk)
    user_registered.send(sender=User, user=user)
    return user


def get_user(user_id: int) -> User:
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist as exc:
        raise NotFound(f"no user {user_id}") from exc


def get_profile(user: User) -> CustomerProfile:
    profile, _ = CustomerProfile.objects.get_or_create(user=user)
    return profile


def user_summary(user_id: int) -> dict[str, Any]:
    """The contact details other apps need about a customer, as plain values."""
    user = get_user(user_id)
    profile = get_profile(user)
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "name": user.display_name(),
        "marketing_opt_in": user.marketing_opt_in,
        "loyalty_points": profile.loyalty_points,
        "tier": profile.tier,
    }


def add_loyalty_points(user_id: int, points: int) -> int:
    """Credit (or, with a negative number, debit) points; returns the new balance."""
    with transaction.atomic():
        profile, _ = CustomerProfile.objects.select_for_update().get_or_create(user_id=user_id)
        profile.loyalty_points = max(0, profile.loyalty_points + points)
        profile.save(update_fields=["loyalty_points", "updated_at"])
    return profile.loyalty_points


def add_address(user: User, *, make_default: bool = False, **fields: Any) -> Address:
    with transaction.atomic():
        first = not user.addresses.exists()
        if make_default or first:
            user.addresses.filter(is_default=True).update(is_default=False)
        address = Address(user=user, is_default=make_default or first, **fields)
        address.full_clean()
        address.save()
    return address


def list_addresses(user: User) -> list[Address]:
    return list(user.addresses.all())


def default_address(user: User) -> Address | None:
    return user.addresses.filter(is_default=True).first()


def get_address(address_id: int, *, user_id: int | None = None) -> Address:
    """An address by id; with ``user_id``, only if it belongs to that user."""
    queryset = Address.objects.all()
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    try:
        return queryset.get(pk=address_id)
    except Address.DoesNotExist as exc:
        raise AddressNotFound(f"no address {address_id} for this customer") from exc


def address_as_dict(address: Address) -> dict[str, Any]:
    return {"id": address.pk, "label": address.label, "is_default": address.is_default, **address.address_fields()}

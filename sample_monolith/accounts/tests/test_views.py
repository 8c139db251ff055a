import pytest
from django.urls import reverse


def test_me_requires_authentication(client, db):
    response = client.get(reverse("accounts:me"))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def test_me_and_addresses_for_signed_in_customer(customer_client, customer):
    assert customer_client.get(reverse("accounts:me")).json()["username"] == customer.username
    created = customer_client.post(
        reverse("accounts:addresses"),
        {"label": "Work", "full_name": "Alice M", "line1": "2 Place Bellecour", "city": "Lyon", "postcode": "69002", "country": "FR"},
    )
    assert created.status_code == 201 and created.json()["is_default"] is False
    labels = [a["label"] for a in customer_client.get(reverse("accounts:addresses")).json()["addresses"]]
    assert sorted(labels) == ["Home", "Work"]


@pytest.mark.django_db
def test_invalid_address_is_rejected_with_field_errors(customer_client):
    response = customer_client.post(reverse("accounts:addresses"), {"label": "Work"})
    assert response.status_code == 400
    assert "line1" in response.json()["fields"]

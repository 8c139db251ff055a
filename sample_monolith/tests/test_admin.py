"""Every registered model's admin pages render for a superuser."""
import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.fixture
def superuser_client(client, staff):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client.force_login(staff)
    return client


def test_every_app_registers_its_models():
    labels = {model._meta.app_label for model in admin.site._registry}
    assert {"core", "accounts", "catalog", "inventory", "pricing", "cart", "orders", "payments", "shipping",
            "notifications", "reviews", "reports"} <= labels


def test_changelists_and_add_forms_render(superuser_client, buy, shop, customer):
    buy(customer, (shop.novel, 1))
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert superuser_client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        assert superuser_client.get(add).status_code == 200, add

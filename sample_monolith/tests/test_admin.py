"""Every registered model's admin pages render for a superuser."""
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse


@pytest.fixture
def superuser_client(client, staff):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client.force_login(staff)
    return client


def test_every_app_registers_its_models():
    """Every installed app of the shop that has models registers them (an app extracted to a
    service is not installed here any more, and registers its models in the service)."""
    labels = {model._meta.app_label for model in admin.site._registry}
    shop_apps = {
        config.label for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(settings.BASE_DIR) and next(config.get_models(), None) is not None
    }
    assert {"core", "accounts", "catalog", "inventory", "pricing", "cart", "orders", "shipping", "reviews",
            "reports"} <= shop_apps
    assert shop_apps <= labels, shop_apps - labels


def test_changelists_and_add_forms_render(superuser_client, buy, shop, customer):
    buy(customer, (shop.novel, 1))
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert superuser_client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        assert superuser_client.get(add).status_code == 200, add

"""A moved ModelAdmin's options naming a many-to-many relation to a staying model (issue 13: a service that
stands up).

The sample's ``pricing.Discount`` has ``categories``/``products`` many-to-many to the staying
``catalog``; in the service they are gone from the model (the join table is the service's own
``<name>_join`` model), but ``DiscountAdmin.filter_horizontal = ["categories", "products"]`` was kept and
the service's ``manage.py check`` failed with admin.E019.
"""

from __future__ import annotations

import textwrap

import libcst as cst

from decompose.extract.codemods.chain import module_context
from decompose.extract.codemods.moved_imports import CutAdminOptions, ModelCut
from decompose.extract.plan import ForeignKeyCut
from decompose.graph import Evidence


def _many(field: str, target: str) -> ModelCut:
    fk = ForeignKeyCut(
        "from_moved", "pricing.Discount", field, target, f"{field}_id", False, Evidence("pricing/models.py", 1),
        "ManyToManyField",
    )  # fmt: skip
    return ModelCut(fk, "pricing.models.Discount")


def test_admin_options_drop_a_many_to_many_relation_that_left_the_model() -> None:
    src = textwrap.dedent(
        """
        from django.contrib import admin

        from pricing.models import Discount


        @admin.register(Discount)
        class DiscountAdmin(admin.ModelAdmin):
            list_display = ["name", "percent"]
            filter_horizontal = ["categories", "products"]
            list_filter = ["active", ("categories", admin.RelatedOnlyFieldListFilter)]
            search_fields = ["name", "products__name"]
        """
    )
    cuts = [_many("categories", "catalog.Category"), _many("products", "catalog.Product")]
    ctx = module_context("pricing.admin")
    once = CutAdminOptions(ctx, cuts).transform_module(cst.parse_module(src)).code
    assert "filter_horizontal = []" in once
    assert 'list_filter = ["active"]' in once
    assert 'search_fields = ["name"]' in once
    assert 'list_display = ["name", "percent"]' in once
    assert (
        "# TODO(decompose): filter_horizontal entry 'categories' dropped: categories was a many-to-many relation to "
        "a model of another service; the service keeps its join table (categories_join, the other side's ids)"
    ) in once
    twice = CutAdminOptions(module_context("pricing.admin"), cuts).transform_module(cst.parse_module(once)).code
    assert twice == once


def test_the_moved_module_chain_runs_it_for_a_module_whose_only_cuts_are_many_to_many() -> None:
    # the chain gave CutAdminOptions the foreign-key cuts only, so the sample's pricing service kept
    # filter_horizontal = ["categories", "products"] (its check failed before this test's fix)
    from decompose.extract.codemods.moved_imports import MovedModuleEdits, moved_module_command

    src = textwrap.dedent(
        """
        from django.contrib import admin

        from pricing.models import Discount


        @admin.register(Discount)
        class DiscountAdmin(admin.ModelAdmin):
            filter_horizontal = ["categories", "products"]
        """
    )
    edits = MovedModuleEdits(cuts=(_many("categories", "catalog.Category"), _many("products", "catalog.Product")))
    out = moved_module_command(module_context("pricing.admin"), edits, src).transform_module(cst.parse_module(src)).code
    assert "filter_horizontal = []" in out

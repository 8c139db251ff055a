import pytest

from catalog.exceptions import CategoryNotFound, ProductNotFound
from catalog.services import (
    category_tree,
    deactivate_product,
    get_product,
    get_product_by_slug,
    list_products,
    product_as_dict,
)


def test_category_listing_includes_subcategories(shop):
    names = [p.name for p in list_products(category_slug="electronics")]
    assert names == ["Bookshelf Speaker", "Studio Headphones"]
    assert [p.sku for p in list_products(category_slug="books")] == ["BK-300"]


def test_search_matches_name_sku_and_tag(shop):
    assert [p.sku for p in list_products(query="quiet")] == ["BK-300"]
    assert [p.sku for p in list_products(query="sp-200")] == ["SP-200"]
    assert [p.sku for p in list_products(query="wireless")] == ["HP-100"]


def test_inactive_products_disappear_from_the_shop(shop):
    deactivate_product(shop.novel.pk)
    assert "BK-300" not in [p.sku for p in list_products()]
    with pytest.raises(ProductNotFound):
        get_product(shop.novel.pk)
    assert get_product(shop.novel.pk, active_only=False).sku == "BK-300"


def test_unknown_category_and_slug(shop):
    with pytest.raises(CategoryNotFound):
        list(list_products(category_slug="garden"))
    with pytest.raises(ProductNotFound):
        get_product_by_slug("nope")


def test_category_tree_counts_products_of_subtrees(shop):
    tree = {node["slug"]: node for node in category_tree()}
    assert tree["electronics"]["products"] == 2
    assert [child["slug"] for child in tree["electronics"]["children"]] == ["audio"]
    assert tree["books"]["products"] == 1


def test_product_dict_is_plain_data(shop):
    data = product_as_dict(shop.headphones)
    assert data["sku"] == "HP-100" and data["category"] == "audio" and data["brand"] == "Sonora"
    assert data["tags"] == ["wireless"]

from django.urls import reverse


def test_product_api_lists_and_filters(client, shop):
    response = client.get(reverse("catalog:product_list"), {"category": "books"})
    assert response.status_code == 200
    assert [p["sku"] for p in response.json()["products"]] == ["BK-300"]


def test_product_api_unknown_product_is_404_json(client, shop):
    response = client.get(reverse("catalog:product_detail", args=[999999]))
    assert response.status_code == 404
    assert response.json()["error"] == "product_not_found"


def test_unknown_category_is_404_json(client, shop):
    response = client.get(reverse("catalog:product_list"), {"category": "garden"})
    assert response.status_code == 404

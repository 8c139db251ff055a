def test_customers_see_only_their_own_orders(client, buy, shop, customer, other_customer):
    order = buy(customer, (shop.novel, 1)).order
    client.force_login(other_customer)
    assert client.get(f"/api/orders/{order.pk}/").status_code == 404
    assert client.get("/api/orders/").json() == {"orders": []}
    client.force_login(customer)
    detail = client.get(f"/api/orders/{order.pk}/").json()
    assert detail["reference"] == order.reference
    assert [h["to"] for h in detail["history"]] == ["placed"]


def test_cancel_endpoint(client, buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    client.force_login(customer)
    response = client.post(f"/api/orders/{order.pk}/cancel/", {"reason": "oops"}, content_type="application/json")
    assert response.json()["status"] == "cancelled"
    again = client.post(f"/api/orders/{order.pk}/cancel/")
    assert again.status_code == 409 and again.json()["error"] == "invalid_order_state"

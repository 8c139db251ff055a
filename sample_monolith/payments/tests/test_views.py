def test_customer_sees_payment_status_and_staff_captures(client, buy, shop, customer, staff):
    order = buy(customer, (shop.novel, 1)).order
    client.force_login(customer)
    data = client.get(f"/api/payments/orders/{order.pk}/").json()
    assert data["status"] == "authorized"
    payment_id = data["payments"][0]["id"]
    assert client.post(f"/api/payments/{payment_id}/capture/").status_code == 302  # not staff: to admin login
    client.force_login(staff)
    assert client.post(f"/api/payments/{payment_id}/capture/").json()["status"] == "captured"
    refund = client.post(f"/api/payments/{payment_id}/refund/", {"amount": "5.00"}, content_type="application/json")
    assert refund.status_code == 201 and refund.json()["refunded"] == "5.00"

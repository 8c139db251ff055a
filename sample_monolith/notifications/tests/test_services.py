import pytest
from django.core import mail

from accounts.services import register_user
from core.exceptions import NotFound
from notifications.services import (
    list_notifications,
    mark_all_read,
    mark_read,
    sent_messages,
    set_preferences,
    unread_count,
)
from orders.services import cancel_order

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db
def test_new_customers_are_welcomed_by_notification_and_email():
    user = register_user("erin", "erin@example.com", PASSWORD)
    assert [n["kind"] for n in list_notifications(user.pk)] == ["welcome"]
    assert [m.subject for m in mail.outbox] == ["Welcome to the shop, erin!"]
    assert sent_messages("erin@example.com")[0]["status"] == "sent"


def test_order_life_cycle_is_notified(buy, ship, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    shipment = ship(order)
    kinds = [n["kind"] for n in list_notifications(customer.pk)]
    assert kinds == ["shipment_dispatched", "order_placed", "welcome"]
    dispatched = list_notifications(customer.pk)[0]
    assert shipment.tracking_number in dispatched["body"]
    assert dispatched["link"] == f"/account/orders/{order.reference}/"
    subjects = [m["subject"] for m in sent_messages(customer.email)]
    assert f"Order {order.reference} received" in subjects


def test_cancellation_and_refund_are_notified(buy, shop, customer):
    from payments.services import capture_payment, latest_payment

    order = buy(customer, (shop.novel, 1)).order
    capture_payment(latest_payment(order.pk).pk)
    cancel_order(order.pk, reason="out of gift wrap")
    latest = list_notifications(customer.pk)[:2]
    assert {n["kind"] for n in latest} == {"order_cancelled", "refund"}
    assert any("out of gift wrap" in n["body"] for n in latest)


def test_customers_can_opt_out_of_order_updates_and_email(buy, shop, customer):
    set_preferences(customer.pk, order_updates=False)
    buy(customer, (shop.novel, 1))
    assert [n["kind"] for n in list_notifications(customer.pk)] == ["welcome"]
    set_preferences(customer.pk, order_updates=True, email_enabled=False)
    before = len(mail.outbox)
    buy(customer, (shop.headphones, 1))
    assert list_notifications(customer.pk)[0]["kind"] == "order_placed"
    assert len(mail.outbox) == before
    with pytest.raises(ValueError):
        set_preferences(customer.pk, sms=True)


def test_read_state(customer, other_customer):
    notification_id = list_notifications(customer.pk)[0]["id"]
    assert unread_count(customer.pk) == 1
    with pytest.raises(NotFound):
        mark_read(notification_id, other_customer.pk)
    mark_read(notification_id, customer.pk)
    assert unread_count(customer.pk) == 0
    assert list_notifications(customer.pk, unread_only=True) == []
    assert mark_all_read(other_customer.pk) == 1


def test_notifications_api(client, customer):
    assert client.get("/api/notifications/").status_code == 401
    client.force_login(customer)
    data = client.get("/api/notifications/").json()
    assert data["unread"] == 1
    response = client.post(f"/api/notifications/{data['notifications'][0]['id']}/read/")
    assert response.json()["read"] is True
    assert client.post("/api/notifications/999999/read/").status_code == 404

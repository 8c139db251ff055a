"""Signals of the monolith that the notifications service receives (or sends) as events.

Each is a copy of the monolith's signal; the moved code's imports were rewritten to use it.
The other side posts the event to /api/v1/events/<name>, which sends the copy here.
"""

from django.dispatch import Signal

#: copy of accounts.signals.user_registered (the monolith posts it); arguments: user
user_registered = Signal()

#: copy of orders.signals.order_cancelled (the monolith posts it); arguments: order, reason
order_cancelled = Signal()

#: copy of orders.signals.order_placed (the monolith posts it); arguments: order
order_placed = Signal()

#: copy of payments.signals.payment_refunded (the monolith posts it); arguments: payment, refund
payment_refunded = Signal()

#: copy of reviews.signals.review_submitted (the monolith posts it); arguments: review
review_submitted = Signal()

#: copy of shipping.signals.shipment_delivered (the monolith posts it); arguments: shipment
shipment_delivered = Signal()

#: copy of shipping.signals.shipment_dispatched (the monolith posts it); arguments: carrier, shipment
shipment_dispatched = Signal()

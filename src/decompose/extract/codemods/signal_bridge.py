"""Codemod for STAYING code: bridged signals.

A signal sent by the service whose receivers stayed in the monolith
(``payments.signals.payment_captured`` → ``shipping.receivers.prepare_parcel``) is
imported by the receivers from the client module instead
(``from shop.services.payments import payment_captured``): locally that is the
original signal object; remotely it is the monolith's own copy, sent by the inbound
event endpoint (``POST /api/v1/events/payment_captured``) when the service posts it.

The other direction (sent here, received there) needs no source change: the client
module connects a forwarder to the staying signal that posts the event to the
service's ``/api/v1/events/<signal>`` endpoint (see ``connect_bridges``).

Example::

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> from decompose.extract.plan import SignalBridge
    >>> b = SignalBridge("payments.signals.paid", "service", ("shipping.receivers.r",), ())
    >>> m = cst.parse_module("from payments.signals import paid\\n")
    >>> BridgeSignalImports(CodemodContext(), (b,), "shop.services.payments").transform_module(m).code
    'from shop.services.payments import paid\\n'
"""

from __future__ import annotations

from collections.abc import Iterable

from libcst.codemod import CodemodContext

from decompose.extract.codemods.call_sites import RetargetImports
from decompose.extract.plan import SignalBridge


class BridgeSignalImports(RetargetImports):
    """Receivers of a service-sent signal import it from the client module."""

    DESCRIPTION = "Import signals sent by the service from its client module."

    def __init__(self, context: CodemodContext, bridges: Iterable[SignalBridge], client_module: str) -> None:
        mapping: dict[str, dict[str, str]] = {}
        for b in bridges:
            if b.sender_side == "service":
                module, name = b.signal.rsplit(".", 1)
                mapping.setdefault(module, {})[name] = client_module
        super().__init__(context, mapping)

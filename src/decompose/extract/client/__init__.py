"""Client modules of extracted services, generated into the monolith.

:func:`client_files` returns the files of the package ``<project>.services``:

- ``runtime.py`` — HTTP (httpx, timeouts), bounded retries with backoff and jitter for
  idempotent calls only, a circuit breaker per service (pybreaker), one
  ``ServiceUnavailable`` exception, the ``local``/``remote`` switch, DTO wrappers;
- ``<service>.py`` — one function per interface function of the service, with the
  same name and signature as the moved function (call sites change only their
  import); bridged signals (forwarders for monolith → service, re-exported signal
  objects for service → monolith);
- ``inbound.py`` / ``urls.py`` — what the monolith serves to its services: bridged
  events (``POST /api/v1/events/<name>``) and call backs (``POST /api/v1/callbacks/<dotted>``);
- ``exports.py`` — the models, signals and Celery tasks a client module re-exports, looked
  up on first use (PEP 562): the original objects when local, stand-ins when remote
  (``RemoteTask``: ``delay``/``apply_async``/``apply`` as POSTs to the service);
- ``<service>_models.py`` — the moved models' stand-ins in remote mode with their behaviour copied from the
  moved code (methods, properties, inner classes, custom queryset methods, mixins; see
  :mod:`decompose.extract.plan.behaviour`), which ``orm.py`` imports on the first stand-in asked for;
- ``fields.py`` — ``ServiceForeignKey`` / ``ServiceOneToOneField``, what staying models' foreign keys to
  moved models become: the relation (no database constraint) when local, the id when remote;
- ``apps.py`` — connects the bridges at start-up when a service is remote;
- ``checks.py`` — Django system checks: start-up fails when a ``remote`` service's apps are
  still installed or its URL/token are missing.

All of it derives from :func:`decompose.extract.api_spec.endpoints`, the one place
that names endpoints, so the client and the service cannot disagree.

Example::

    >>> from decompose.extract.plan import ExtractionPlan
    >>> plan = ExtractionPlan(
    ...     service="billing", apps=("billing",), moved_modules=(), interface_functions=(),
    ...     interface_models=(), dependencies=(), fk_cuts=(), tables={}, signal_bridges=(),
    ...     manual_steps=(), settings_module="shop.settings",
    ... )
    >>> for path in sorted(client_files(plan)):
    ...     print(path)
    shop/services/__init__.py
    shop/services/apps.py
    shop/services/billing.py
    shop/services/checks.py
    shop/services/exports.py
    shop/services/fields.py
    shop/services/inbound.py
    shop/services/management/__init__.py
    shop/services/management/commands/__init__.py
    shop/services/management/commands/prune_decompose.py
    shop/services/management/commands/relay_service_events.py
    shop/services/migrations/0001_initial.py
    shop/services/migrations/__init__.py
    shop/services/models.py
    shop/services/orm.py
    shop/services/query_core.py
    shop/services/runtime.py
    shop/services/urls.py
    shop/services/wire.py
"""

from __future__ import annotations

from decompose.extract.client.generator import (
    ClientLocation,
    client_files,
    client_location,
    client_module,
    project_package,
    services_package,
)

__all__ = ["ClientLocation", "client_files", "client_location", "client_module", "project_package", "services_package"]

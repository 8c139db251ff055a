"""The values the monolith's test settings give the settings the moved code reads (read as text, never imported).

A monolith's test suite runs with test settings of its own, which star-import the monolith's settings and set
some of them again: a fixed site address (pretalx: ``SITE_URL = "http://testserver"`` where its settings read
a configuration file), a sender address, a cache. The moved code builds links and mails with them; a service
started for that suite (``DECOMPOSE_TEST_RESET=1``) must give the same values, or its pages and mails differ
from what the tests expect, and a setting not static in the monolith's settings is missing there altogether
(pretalx mail in remote mode: ``'Settings' object has no attribute 'SITE_URL'``).

The test settings module is a settings module of the project (a module named ``*settings*`` or in a
``settings`` package) with ``test`` in its name (``test_settings``, ``settings/test.py``, ``settings_test``,
``tests/settings.py``) whose settings come from the monolith's settings module through star imports. Its static
values (:mod:`decompose.extract.service.settings_values`) that differ from the monolith's settings are the
service's under ``if DECOMPOSE_TEST_RESET:``.

Example::

    >>> sources = {
    ...     "proj.settings": ("proj/settings.py", "SITE = read_config()\\nA = 1\\n", False),
    ...     "proj.test_settings": ("proj/test_settings.py", "from proj.settings import *\\nSITE = 'x'\\n", False),
    ... }
    >>> module = suite_settings_module(sorted(sources), "proj.settings", sources.get)
    >>> module
    'proj.test_settings'
    >>> [(v.name, v.text) for v in suite_values(sources.get, "proj.settings", module, {"SITE", "A"})]
    [('SITE', "'x'")]
"""

from __future__ import annotations

from collections.abc import Iterable

from decompose.extract.service.settings_values import Loader, SettingValue, settings_values


def _is_test_settings(name: str) -> bool:
    parts = name.split(".")
    settings = "settings" in parts[:-1] or "settings" in parts[-1]
    return settings and any("test" in part for part in parts)


def suite_settings_module(modules: Iterable[str], settings_module: str, load: Loader) -> str | None:
    """The project's test settings module that builds on ``settings_module`` (see the module docstring); the
    first by name when several do, None when none does."""
    main = load(settings_module)
    if main is None:
        return None
    for name in sorted(set(modules)):
        if name == settings_module or not _is_test_settings(name):
            continue
        values = settings_values(load, name)
        if any(v.where.rpartition(":")[0] == main[0] for v in values.values()):
            return name
    return None


def suite_values(load: Loader, settings_module: str, test_module: str, names: Iterable[str]) -> list[SettingValue]:
    """The settings of ``names`` the test settings set to a static value other than the monolith's settings',
    with the static settings those values name (before them), in order."""
    main = settings_values(load, settings_module)
    test = settings_values(load, test_module)
    out: dict[str, SettingValue] = {}

    def add(name: str, needed: bool) -> None:
        v, before = test.get(name), main.get(name)
        if name in out or v is None or v.text is None:
            return
        if not needed and before is not None and before.text == v.text and before.where == v.where:
            return  # the same statement: the monolith's settings give it already
        for need in v.needs:
            add(need, True)
        out[name] = v

    for name in sorted(set(names)):
        add(name, False)
    return list(out.values())

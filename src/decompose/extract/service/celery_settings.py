"""Whether the service runs Celery tasks eagerly, as the monolith's settings do (read as text, never imported).

A moved task the service queues goes to the service's broker. The monolith's own test suite usually has none:
its settings run tasks at once in the calling process (``CELERY_TASK_ALWAYS_EAGER = True``; pretalx sets it
when no broker is configured, in an ``else`` branch). The service started for that suite must do the same, or
the task is sent to a broker that is not there (pretalx schedule in remote mode: ``amqp ... Connection refused``
in ``task_update_unreleased_schedule_changes``, 15 failing tests of three test files).

The settings modules of the project (a module named ``*settings*`` or in a ``settings`` package, test settings
included) are searched for an assignment of ``True`` to one of :data:`EAGER_SETTINGS`, anywhere in the module
(under ``if``/``else`` too). The service's settings then set the same name, from the environment, defaulting to
``True`` when the monolith's settings module sets it so unconditionally, else to ``DECOMPOSE_TEST_RESET`` (the
service was started for the monolith's test suite).

Example::

    >>> text = "import os\\nif os.environ.get('BROKER'):\\n    CELERY_TASK_ALWAYS_EAGER = False\\n"
    >>> text += "else:\\n    CELERY_TASK_ALWAYS_EAGER = True\\n"
    >>> found = eager_settings([("proj.settings", "proj/settings.py", text)], "proj.settings")
    >>> [(e.name, e.where, e.always) for e in found]
    [('CELERY_TASK_ALWAYS_EAGER', 'proj/settings.py:5', False)]
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from decompose.scan.source import ScanError, parse_tree

#: Celery's eager settings as a Django settings module spells them (the ``CELERY`` namespace, and the old names)
EAGER_SETTINGS = (
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_ALWAYS_EAGER",
    "CELERY_TASK_EAGER_PROPAGATES",
    "CELERY_EAGER_PROPAGATES_EXCEPTIONS",
)


@dataclass(frozen=True, slots=True)
class EagerSetting:
    """One eager setting the monolith's settings set to ``True``."""

    name: str
    #: ``path:line`` of the first such assignment
    where: str
    #: the settings module sets it to ``True`` at its top level (not under a condition): always eager
    always: bool


def is_settings_module(name: str) -> bool:
    """A module named ``settings`` / ``*settings*`` or inside a ``settings`` package (test settings too)."""
    parts = name.split(".")
    return "settings" in parts[:-1] or "settings" in parts[-1]


def eager_settings(modules: Iterable[tuple[str, str, str]], settings_module: str | None) -> tuple[EagerSetting, ...]:
    """The eager settings ``modules`` (``(module, path, source)`` of the project's settings modules) set to
    ``True``, by name; ``always`` when ``settings_module`` (the monolith's) does so at its top level."""
    found: dict[str, EagerSetting] = {}
    for module, path, source in sorted(modules):
        if not any(name in source for name in EAGER_SETTINGS):
            continue
        try:
            tree = parse_tree(source.encode("utf-8"))
        except ScanError:
            continue
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is True):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in EAGER_SETTINGS:
                    always = module == settings_module and id(node) in top
                    seen = found.get(target.id)
                    if seen is None or (always and not seen.always):
                        found[target.id] = EagerSetting(target.id, f"{path}:{node.lineno}", always)
    return tuple(found[n] for n in EAGER_SETTINGS if n in found)


def settings_text(found: tuple[EagerSetting, ...]) -> str:
    """The block the service's settings end with ("" when the monolith runs no task eagerly)."""
    if not found:
        return ""
    lines = [
        "",
        "#: Celery runs tasks at once, in the calling process, as the monolith's settings say; a service started for",
        "#: the monolith's test suite (DECOMPOSE_TEST_RESET=1) does, where the monolith does so only in some",
        "#: configurations (its tests have no broker)",
    ]
    for e in found:
        default = "True" if e.always else "DECOMPOSE_TEST_RESET"
        lines.append(f'{e.name} = env.bool("{e.name}", default={default})  # the monolith: {e.where}')
    return "\n".join(lines) + "\n"

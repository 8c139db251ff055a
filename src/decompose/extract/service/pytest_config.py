"""The monolith's own test file patterns, so the service's pytest collects the tests that moved.

Read as text from the file pytest itself would use (nothing is run).

Example::

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "setup.cfg").write_text("[tool:pytest]\\npython_files = check_*.py\\n")
    >>> python_file_patterns(root)
    (('check_*.py',), 'setup.cfg')
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

from decompose.scan.source import read_text

#: Where pytest looks for its configuration, in the order it does (file, section).
_PYTEST_CONFIGS = (
    ("pytest.ini", "pytest"),
    ("pyproject.toml", None),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)
#: pytest's own default plus the names Django's test runner finds (``tests.py``, ``tests_*.py``).
DEFAULT_TEST_FILES = ("test_*.py", "*_test.py", "tests.py", "tests_*.py")


def python_file_patterns(root: Path) -> tuple[tuple[str, ...], str | None]:
    """The monolith's pytest ``python_files`` and the file it was read from (pytest's own search order:
    ``pytest.ini``, ``pyproject.toml`` ``[tool.pytest.ini_options]``, ``tox.ini`` ``[pytest]``,
    ``setup.cfg`` ``[tool:pytest]``); :data:`DEFAULT_TEST_FILES` when none sets it."""
    root = Path(root)
    for rel, section in _PYTEST_CONFIGS:
        text = read_text(root, rel)
        if text is None:
            continue
        value: object = None
        if section is None:
            try:
                options = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options")
            except (tomllib.TOMLDecodeError, AttributeError):
                continue
            if not isinstance(options, dict):
                continue
            value = options.get("python_files")
        else:
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(text, source=rel)
            except configparser.Error:
                continue
            if not parser.has_section(section):
                continue
            value = parser.get(section, "python_files", fallback=None)
        if isinstance(value, str):
            value = value.split()
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(str(v) for v in value), rel
        if rel == "pytest.ini":
            break  # pytest.ini is the configuration even without python_files
        if section is None or parser.has_section(section):
            break  # pytest stops at the first file with its section
    return DEFAULT_TEST_FILES, None


__all__ = ["DEFAULT_TEST_FILES", "python_file_patterns"]

"""The real-project harness's own logic (benchmarks/realworld.py), on canned output: reading the suites'
summaries and failures, telling flaky tests from new failures, naming known defects. Fast, no project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from realworld import APPS, CHOSEN, FLAKY, known_defects, parse_suite  # noqa: E402

PYTEST_RUN = """\
........F.....E...
=========================== short test summary info ============================
FAILED src/tests/common/text/test_diff.py::test_render_diff_marks_changes_in_long_text - AssertionError: assert 1 > 10
FAILED src/tests/mail/test_tasks.py::test_send_draft[True] - AttributeError: 'function' object has no attribute 'apply_async'
ERROR src/tests/orga/test_admin.py::test_admin_view
2 failed, 9667 passed, 2 skipped, 1 error in 360.20s (0:06:00)
realworld pretalx: 9667 passed, 3 failed, 2 skipped in 361s
"""

UNITTEST_RUN = """\
Found 342 test(s).
======================================================================
FAIL: test_the_lead (tests.crm.views.test_request_receiving.TestRequestReceiving.test_the_lead)
----------------------------------------------------------------------
AssertionError: 0 != 1
======================================================================
ERROR: test_chat (unittest.loader._FailedTest.test_chat)
----------------------------------------------------------------------
ImportError: Failed to import test module: test_chat
ModuleNotFoundError: No module named 'chat.site'
----------------------------------------------------------------------
Ran 342 tests in 48.100s

FAILED (failures=1, errors=1, skipped=4)
realworld django-crm: 336 passed, 2 failed, 4 skipped in 50s
"""


def test_a_pytest_run_names_each_failure_and_error_and_keeps_the_summary():
    result = parse_suite(PYTEST_RUN)
    assert (result.passed, result.failed, result.skipped, result.named) == (9667, 3, 2, 3)
    assert result.failures == (
        "src/tests/common/text/test_diff.py::test_render_diff_marks_changes_in_long_text",
        "src/tests/mail/test_tasks.py::test_send_draft[True]",
        "src/tests/orga/test_admin.py::test_admin_view",
    )
    # the flaky test of the pristine suite is allowed, nothing else
    assert result.unexpected("pretalx") == result.failures[1:]


def test_a_unittest_run_names_failures_by_dotted_id():
    result = parse_suite(UNITTEST_RUN)
    assert (result.passed, result.failed, result.skipped, result.named) == (336, 2, 4, 2)
    assert result.unexpected("django-crm") == ("unittest.loader._FailedTest.test_chat",)


def test_a_unittest_module_that_failed_to_import_is_named_by_its_dotted_id():
    # Django's runner given `tests/` names a module that does not import by its dotted name (django-crm chat's
    # remote run at 01e208a: "1 failed" and no failure named, so the run counted as passing)
    text = UNITTEST_RUN.replace(
        "ERROR: test_chat (unittest.loader._FailedTest.test_chat)",
        "ERROR: tests.chat.test_chat (unittest.loader._FailedTest.tests.chat.test_chat)",
    )
    result = parse_suite(text)
    assert (result.failed, result.named) == (2, 2)
    assert result.unexpected("django-crm") == ("unittest.loader._FailedTest.tests.chat.test_chat",)


def test_a_run_that_stopped_before_its_summary_has_none():
    result = parse_suite("ImportError: cannot import name 'Schedule'\nrealworld pretalx: no test summary in the output")
    assert result.summary == ""
    assert result.failures == ()


def test_known_defects_name_the_specific_cause_once_and_say_nothing_of_unknown_output():
    text = (
        "AttributeError: 'function' object has no attribute 'apply_async'\n"
        "ImportError: cannot import name 'Schedule' from partially initialized module 'pretalx.schedule.models.schedule' "
        "(most likely due to a circular import)\n"
        "ModuleNotFoundError: No module named 'crm'\n"
    )
    found = known_defects(text)
    assert [f.split(" (issue 13")[0] for f in found] == [
        "Celery tasks turned into plain functions by the client: the task API (.apply_async, .apply, .retry, the bound self) is gone",
        "import cycle: a staying module re-pointed at the client, which imports the moved models eagerly",
        "dangling import: the module is not there",
    ]
    assert known_defects("TypeError: unsupported operand type(s) for /: 'str' and 'str'") == []


def test_ci_runs_one_known_app_per_project_and_every_project_has_its_flaky_list():
    assert set(CHOSEN) <= set(APPS)
    assert sorted(APPS[k].project for k in CHOSEN) == sorted(FLAKY)


def test_a_known_defect_can_span_lines_and_is_reported_by_its_last_line():
    text = (
        '  File "/venv/lib/python3.13/site-packages/rules/predicates.py", line 186, in __and__\n'
        '    return type(self)(AND, "(%s & %s)" % (self.name, other.name))\n'
        "                                                     ^^^^^^^^^^\n"
        "AttributeError: 'function' object has no attribute 'name'\n"
    )
    (found,) = known_defects(text)
    assert found.startswith("a django-rules predicate of staying code became a call back")
    assert found.endswith(": AttributeError: 'function' object has no attribute 'name'")
    # the same error elsewhere is not this defect
    assert known_defects("AttributeError: 'function' object has no attribute 'name'\n") == []


def test_the_client_runtime_leaves_out_imports_guarded_by_import_error(tmp_path: Path) -> None:
    # the client's testing.py imports pytest under `except ImportError` (a test-only helper): the runtime-declared
    # step failed for voip and mail, asking the projects to declare pytest as a runtime dependency
    import subprocess

    from realworld import Chain

    monolith = tmp_path / "monolith"
    (monolith / "proj" / "services").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(monolith)], check=True)
    (monolith / "proj" / "services" / "testing.py").write_text(
        "try:\n    import pytest\nexcept ImportError:\n    pass\nimport httpx\n", encoding="utf-8"
    )
    chain = Chain(APPS["django-crm:voip"], tmp_path)
    assert chain.client_imports() == {"httpx": ["proj/services/testing.py:5"]}


def test_the_unittest_summary_counts_the_tests_found_when_skipped_ones_did_not_run(tmp_path: Path) -> None:
    """Python 3.12's unittest leaves a test skipped before it starts (the client's test support skipping a test module
    of the moved code, django-crm chat in remote mode) out of "Ran 338 tests" while "skipped=5" counts it: the summary
    said 333 passed where 334 did. Django's runner says how many it found; that is the total. A fake project whose
    manage.py prints a real run's lines, through `scripts/realworld.sh test django-crm --in DIR` (no set-up needed)."""
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (tmp_path / "manage.py").write_text(
        'print("Found 339 test(s).")\n'
        'print("System check identified no issues (0 silenced).")\n'
        'print("-" * 70)\n'
        'print("Ran 338 tests in 279.458s")\n'
        "print()\n"
        'print("OK (skipped=5)")\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECOMPOSE_REALWORLD")}
    env["DECOMPOSE_REALWORLD_CACHE"] = str(tmp_path / "cache")  # empty: nothing is set up
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "realworld.sh"), "test", "django-crm", "--in", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = parse_suite(done.stdout)
    # before: "333 passed, 0 failed, 5 skipped" (and `--in` still required the cached copy to be set up)
    assert (result.passed, result.failed, result.skipped) == (334, 0, 5), done.stdout[-500:]

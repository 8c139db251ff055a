"""The extraction plan: every decision ``decompose extract`` makes, as values that serialise to JSON.

- :mod:`.values`: the plan and its parts (frozen dataclasses with ``to_dict``/``from_dict``)
- :mod:`.selection`: which apps move (checked, or taken from a proposal)
- :mod:`.index`: the analysed project as the planner sees it (facts, models, signals)
- :mod:`.planner`: :func:`build_plan`, with its parts :mod:`.interface`, :mod:`.data`,
  :mod:`.signals`, :mod:`.kernel` and :mod:`.tests`

The service generator and the monolith rewiring only render the plan; ``EXTRACTION.md`` is written by
:func:`decompose.extract.report.plan_markdown`.
"""

from typing import TYPE_CHECKING, Any

from decompose.extract.plan.selection import (
    apps_from_proposal,
    service_env,
    service_identifier,
    validate_selection,
    validate_service_name,
)
from decompose.extract.plan.values import (
    DEPENDENCY_CLASSES,
    PLAN_SCHEMA,
    PLAN_SCHEMA_VERSION,
    CeleryTask,
    Dependency,
    ExtractionPlan,
    ForeignKeyCut,
    InterfaceFunction,
    InterfaceModel,
    ManualStep,
    Param,
    SignalBridge,
)

if TYPE_CHECKING:  # pragma: no cover
    from decompose.extract.plan.index import CodeIndex
    from decompose.extract.plan.planner import build_plan


def __getattr__(name: str) -> Any:
    """The planner and the index load on first use: the values alone (what api_spec and the generators
    read) import nothing of the planner, so the planner may use api_spec without an import circle."""
    if name == "build_plan":
        from decompose.extract.plan.planner import build_plan

        return build_plan
    if name == "CodeIndex":
        from decompose.extract.plan.index import CodeIndex

        return CodeIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEPENDENCY_CLASSES", "PLAN_SCHEMA", "PLAN_SCHEMA_VERSION", "CeleryTask", "CodeIndex", "Dependency",
    "ExtractionPlan", "ForeignKeyCut", "InterfaceFunction", "InterfaceModel", "ManualStep", "Param", "SignalBridge",
    "apps_from_proposal", "build_plan", "service_env", "service_identifier", "validate_selection",
    "validate_service_name",
]  # fmt: skip

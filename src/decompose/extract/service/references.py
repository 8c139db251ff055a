"""The staying models' reference classes with their copied members, as ``monolith.py`` of the service holds them.

The plan decided what each reference class carries (:mod:`decompose.extract.plan.reference_behaviour`): the copied
members' text, the helpers they use, the imports the classes need when they are made, and what could not be copied.
This module only writes it down: the imports, the helpers, then per staying model a ``RemoteRefMembers`` subclass
(the members; a ``NotCopied`` for each member that could not be copied) registered as the reference class of its
label, so that every reference of it (``ref``, a decoded value, a cut foreign key) is an instance of it.
"""

from __future__ import annotations

import textwrap

from decompose.extract.plan import ExtractionPlan


def reference_classes_text(plan: ExtractionPlan) -> str:
    """The section of ``monolith.py`` defining the reference classes that carry members ("" when none does)."""
    rc = plan.reference_classes
    if not rc.classes.models:
        return ""
    lines = [
        "# The monolith's models' members the moved code uses, copied from their classes into their references",
        "# (plan.reference_classes); what could not be copied raises RemoteBehaviourMissing naming it.",
        *rc.classes.imports,
    ]
    blocks = ["\n".join(lines)]
    blocks += [h.text.rstrip("\n") for h in rc.classes.helpers]
    for b in rc.classes.models:
        name = rc.names.get(b.label) or b.label.split(".", 1)[1]
        body = [
            f'"""{b.label} of the monolith: a reference, with the members of its class the moved code uses."""',
            f"label = {b.label!r}",
        ]
        if b.init_state:  # what the model's __init__ sets on each new instance, rebuilt for each reference
            state = ", ".join(f"{k!r}: {v}" for k, v in sorted(b.init_state.items()))
            body.append(f"_decompose_init_state = staticmethod(lambda: {{{state}}})")
        body += [c.text.rstrip("\n") for c in b.members]
        body += [f"{n.name} = NotCopied({b.label!r}, {n.name!r}, {n.reason!r})" for n in b.not_copied]
        text = "\n\n".join(textwrap.indent(t + "\n", "    ").rstrip("\n") for t in body)
        blocks.append(f"class {name}(RemoteRefMembers):\n{text}\n\n\n_REFS[{b.label!r}] = {name}")
    return "\n\n\n".join(blocks) + "\n"

"""Service boundary proposals: derive a weighted coupling graph, cluster it, score and explain.

Modules: :mod:`.proposal` (the Proposal value and its files), :mod:`.coupling`
(DependencyGraph → weighted graph), :mod:`.algorithms` (graph → partition),
:mod:`.metrics` ((graph, partition) → number), :mod:`.evaluate` (MoJo / MoJoFM),
:mod:`.pipeline` (the stage: config + graph → Proposal), :mod:`.synthetic`
(a synthetic Django-shaped graph for scale checks).
"""

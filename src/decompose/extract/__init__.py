"""Extraction: plan → service skeleton (part 1) and monolith rewiring (part 2)."""

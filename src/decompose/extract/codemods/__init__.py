"""LibCST codemods, one transformer per concern."""

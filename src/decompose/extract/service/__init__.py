"""Generation of the standalone Django service for an extraction plan."""

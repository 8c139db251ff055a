"""Shared test configuration for decompose's own suite.

tests/fixtures/ holds small hand-written projects that the tests analyse,
render and extract as *data*; their own test files are not part of this suite.
"""

collect_ignore_glob = ["fixtures/*"]

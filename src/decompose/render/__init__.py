"""Views of the dependency graph: DOT (pydot), SVG/PNG (Graphviz), one offline HTML page.

``build_view`` filters and groups a graph; ``to_dot`` and ``to_html`` draw the
result; ``render_image`` runs Graphviz.
"""

from __future__ import annotations

from decompose.render.dot import render_image, to_dot
from decompose.render.html import to_html
from decompose.render.view import View, ViewOptions, build_view, parse_kinds

__all__ = ["View", "ViewOptions", "build_view", "parse_kinds", "render_image", "to_dot", "to_html"]

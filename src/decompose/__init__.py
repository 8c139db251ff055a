"""decompose: see a Django monolith, decide its service boundaries, extract services.

The pipeline (see DESIGN.md): discover -> scan -> build -> {render, propose, check, extract}.
Each stage is a function over plain values that serialise to JSON.
"""

from decompose.errors import DecomposeError

__all__ = ["DecomposeError", "__version__"]
__version__ = "0.1.0"

"""List the dangling imports of a generated service: imports that resolve neither inside the service
folder nor in a Python environment (the standard library and the installed distributions).

    python scripts/dangling_imports.py SERVICE_DIR [--python PY] [--monolith DIR] [--quiet]

SERVICE_DIR is the folder holding the service's manage.py. ``--python`` is the interpreter whose
environment counts as installed (default: this one); use a venv with the monolith's pins and without
the monolith itself installed (the "pins venv" of docs/realworld-extraction.md). Imports under
``if TYPE_CHECKING:`` are not counted (never executed). A name imported from a module of the service
must be a submodule or a name the module binds at top level. Folders of the service that hold Python
modules but no ``__init__.py`` (namespace packages, which an installed monolith would shadow) are
listed too.

With ``--monolith DIR`` (the folder the extraction was given), an import whose top-level package is
one of the monolith's is dangling monolith code; any other unresolved import is a third-party
package missing from the environment, counted apart.

Prints one line a dangling site (``path:line  what``) and a summary line
``dangling: N sites in M modules; K namespace folders``; exit status 1 when anything dangles.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path


def _bound_names(tree: ast.Module) -> tuple[set[str], bool]:
    """Top-level names a module binds, and whether it star-imports (then any name may exist)."""
    names: set[str] = set()
    star = False
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.If | ast.Try | ast.With):
            for part in ("body", "orelse", "finalbody"):
                body += getattr(node, part, [])
            for h in getattr(node, "handlers", []):
                body += h.body
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
        elif isinstance(node, ast.Import):
            for a in node.names:
                names.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name == "*":
                    star = True
                else:
                    names.add(a.asname or a.name)
    return names, star


class Service:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._trees: dict[Path, ast.Module | None] = {}

    def file_of(self, module: str) -> Path | None:
        """The file of a module inside the service, or None."""
        base = self.root.joinpath(*module.split("."))
        if (base / "__init__.py").is_file():
            return base / "__init__.py"
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
        if base.is_dir():
            return base  # a namespace folder
        return None

    def tree(self, path: Path) -> ast.Module | None:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, OSError):
                self._trees[path] = None
        return self._trees[path]


def _type_checking_lines(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            t = node.test
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for sub in node.body:
                    for n in ast.walk(sub):
                        if hasattr(n, "lineno"):
                            out.add(n.lineno)
    return out


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _installed(python: str, tops: set[str]) -> set[str]:
    code = (
        "import importlib.util, json, sys\n"
        "names = json.loads(sys.stdin.read())\n"
        "out = []\n"
        "for n in names:\n"
        "    try:\n"
        "        if importlib.util.find_spec(n) is not None: out.append(n)\n"
        "    except (ImportError, ValueError): pass\n"
        "print(json.dumps(out))\n"
    )
    res = subprocess.run(
        [python, "-c", code], input=json.dumps(sorted(tops)), capture_output=True, text=True, check=True, cwd="/"
    )
    return set(json.loads(res.stdout))


def dangling(root: Path, python: str) -> tuple[list[tuple[str, int, str]], list[str]]:
    svc = Service(root)
    files = sorted(p for p in root.rglob("*.py") if not any(part.startswith(".") for part in p.relative_to(root).parts))
    wanted: list[tuple[str, int, str, str | None]] = []  # path, line, module, name
    for path in files:
        tree = svc.tree(path)
        if tree is None:
            continue
        skip = _type_checking_lines(tree)
        mod, is_package = _module_name(root, path)
        package = mod if is_package else mod.rpartition(".")[0]
        rel = str(path.relative_to(root))
        for node in ast.walk(tree):
            if getattr(node, "lineno", 0) in skip:
                continue
            if isinstance(node, ast.Import):
                for a in node.names:
                    wanted.append((rel, node.lineno, a.name, None))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".") if package else []
                    parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                for a in node.names:
                    wanted.append((rel, node.lineno, base, None if a.name == "*" else a.name))
    tops = {m.split(".")[0] for _, _, m, _ in wanted if m and svc.file_of(m.split(".")[0]) is None}
    installed = _installed(python, tops)
    out: list[tuple[str, int, str]] = []
    for rel, line, module, name in wanted:
        top = module.split(".")[0]
        if svc.file_of(top) is None:
            if top not in installed:
                out.append((rel, line, module + (f".{name}" if name else "")))
            continue
        f = svc.file_of(module)
        if f is None:
            out.append((rel, line, module + (f".{name}" if name else "")))
            continue
        if name is None or svc.file_of(f"{module}.{name}") is not None:
            continue
        tree = svc.tree(f) if f.is_file() else None
        names, star = _bound_names(tree) if tree is not None else (set(), False)
        if name not in names and not star:
            out.append((rel, line, f"{module}.{name}"))
    namespaces = sorted(
        str(d.relative_to(root))
        for d in root.rglob("*")
        if d.is_dir()
        and not any(part.startswith(".") for part in d.relative_to(root).parts)
        and any(d.rglob("*.py"))
        and any(p.is_dir() and (p / "__init__.py").exists() for p in d.iterdir())
        and not (d / "__init__.py").exists()
        and d != root
    )
    return sorted(set(out)), namespaces


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("service_dir", type=Path)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--monolith", type=Path, help="the monolith's source folder (tells its code from third-party)")
    ap.add_argument("--quiet", action="store_true", help="only the summary line")
    args = ap.parse_args(argv)
    sites, namespaces = dangling(args.service_dir.resolve(), args.python)
    third: list[tuple[str, int, str]] = []
    if args.monolith is not None:
        mono = Service(args.monolith.resolve())
        third = [s for s in sites if mono.file_of(s[2].split(".")[0]) is None]
        sites = [s for s in sites if s not in third]
    if not args.quiet:
        for rel, line, what in sites:
            print(f"{rel}:{line}  {what}")
        for d in namespaces:
            print(f"{d}/  namespace folder (no __init__.py)")
        for rel, line, what in third:
            print(f"{rel}:{line}  {what}  (third-party, not installed)")
    modules = {what.rsplit(".", 1)[0] if what.count(".") else what for _, _, what in sites}
    print(
        f"dangling: {len(sites)} sites in {len(modules)} modules; {len(namespaces)} namespace folders"
        + (f"; {len(third)} third-party sites not installed" if args.monolith is not None else "")
    )
    return 1 if sites or namespaces else 0


if __name__ == "__main__":
    sys.exit(main())

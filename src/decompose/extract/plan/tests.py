"""Tests of the moved apps that need the monolith: they stay with it, whole or per definition."""

from __future__ import annotations

import ast
from collections import defaultdict

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import Dependency


class TestsPart(PlannerState):
    _BUILTIN_FIXTURES = frozenset(
        "db transactional_db client admin_client admin_user django_user_model django_username_field rf settings "
        "live_server mailoutbox django_assert_num_queries django_assert_max_num_queries "
        "django_capture_on_commit_callbacks django_db_setup django_db_blocker async_client async_rf "
        "monkeypatch tmp_path tmp_path_factory tmpdir tmpdir_factory capsys capfd caplog request recwarn "
        "pytestconfig cache record_property doctest_namespace".split()
    )

    _WEB_FIXTURES = frozenset({"client", "admin_client", "async_client", "live_server"})

    def outside_tests(self) -> dict[str, str]:
        """Test modules outside the moved apps that test them (``tests/<app>/``, ``src/tests/<app>/``):
        module → why. Decided by their imports: a test module that imports moved code and no staying
        code other than test modules (helpers, factories, fixtures); or one that imports moved code and
        sits in a ``tests/<app>/`` folder named after a moved app (its label or its module's last part)."""
        names = set(self.apps)
        for a in self.p.apps:
            if a.label in self.apps:
                names.add(a.name.rsplit(".", 1)[-1])
        out: dict[str, str] = {}
        for name in sorted(self.p.modules):
            m = self.p.modules[name]
            if not m.test or m.migration or name in self.moved:
                continue
            targets = {t for t in (self.p.module_of(x) for x in m.import_targets) if t is not None and t != name}
            moved = sorted(t for t in targets if t in self.moved)
            if not moved:
                continue
            staying = sorted(t for t in targets if t not in self.moved and not self.p.modules[t].test)
            folders = m.path.split("/")[:-1]
            named = any(folders[i] in ("tests", "test") and folders[i + 1] in names for i in range(len(folders) - 1))
            if not staying:
                out[name] = f"imports {moved[0]} and no staying code but test helpers"
            elif named:
                out[name] = f"imports {moved[0]} and sits in a tests folder named after the app"
        return out

    def outside_test_files(self, outside: dict[str, str], staying: dict[str, str]) -> tuple[str, ...]:
        """The files of the tests in ``outside`` that move (not in ``staying``), with the ``__init__.py`` of
        their packages (so ``tests.mail.test_x`` imports the same in the service)."""
        out: set[str] = set()
        for name in outside:
            m = self.p.modules[name]
            if m.path in staying:
                continue
            out.add(m.path)
            package = name.rpartition(".")[0]
            while package and package in self.p.modules and package not in self.moved:
                init = self.p.modules[package].path
                if init.endswith("/__init__.py"):
                    out.add(init)
                package = package.rpartition(".")[0]
        return tuple(sorted(out))

    def staying_tests(self, dependencies: tuple[Dependency, ...]) -> dict[str, str]:
        """Tests of the moved apps that need the monolith: they stay with it.

        Decided per top-level definition of each test module: a test (or
        fixture, or helper) needs the monolith when it uses staying code other
        than the shared kernel and bridged signals, a fixture nobody in the
        moved tests defines, or another definition that needs the monolith.
        Keys are ``path::name`` for single definitions, ``path`` when no test
        of the module can run in the service.
        """
        cls = {(d.module, d.symbol): d.classification for d in dependencies}
        outside = self.outside_tests()
        tests = [self.p.modules[n] for n in sorted({*self.moved, *outside}) if self.p.modules[n].test]
        defs: dict[tuple[str, str], ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = {}
        fixture_names: set[str] = set()
        for m in tests:
            for stmt in m.tree.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    defs[(m.name, stmt.name)] = stmt
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                        "fixture" in ast.unparse(d) for d in stmt.decorator_list
                    ):
                        fixture_names.add(stmt.name)
        reasons: dict[tuple[str, str], str] = {}
        #: test modules that use the monolith's own test code (helpers, base classes): they stay whole
        whole: dict[str, str] = {}
        refs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for m in tests:
            parents = F.parent_map(m.tree)

            def top(
                node: ast.AST, parents: dict[ast.AST, ast.AST] = parents, tree: ast.Module = m.tree
            ) -> ast.AST | None:
                """The top-level statement of the module that holds ``node``."""
                cur = node
                while parents.get(cur) is not None and parents[cur] is not tree:
                    cur = parents[cur]
                return cur if parents.get(cur) is tree else None

            for d, node, _line in self.scan_uses(m, "staying"):
                c = self.canonical(d)
                t = top(node)
                if c is None:
                    continue
                kind, qual, _rest = c
                mod, _, sym = qual.rpartition(".")
                if kind == "module":
                    mod, sym = qual, ""
                used = self.p.modules.get(mod)
                if used is not None and used.test:  # the monolith's own test helpers: the module stays whole
                    whole.setdefault(m.name, f"uses the monolith's test helper {qual}")
                if cls.get((mod, sym)) in ("shared_kernel", "bridge"):
                    continue
                if not isinstance(t, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    if m.name in outside:  # module-level code of a test kept outside the app: it all stays
                        whole.setdefault(m.name, f"uses {qual}, which stays in the monolith, at module level")
                    continue
                reasons.setdefault((m.name, t.name), f"uses {qual}, which stays in the monolith")
            for (mod_name, name), defn in defs.items():
                if mod_name != m.name:
                    continue
                funcs = (
                    [defn]
                    if not isinstance(defn, ast.ClassDef)
                    else [f for f in defn.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
                )
                for f in funcs:
                    for a in [*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs]:
                        if a.arg in self._WEB_FIXTURES:
                            reasons.setdefault(
                                (mod_name, name),
                                f"uses the {a.arg!r} fixture: the app's web views are not served by the service",
                            )
                            continue
                        if a.arg in ("self", "cls") or a.arg in self._BUILTIN_FIXTURES:
                            continue
                        if a.arg in fixture_names:
                            for key in defs:
                                if key[1] == a.arg:
                                    refs[(mod_name, name)].add(key)
                        elif f.name.startswith("test") or any("fixture" in ast.unparse(d) for d in f.decorator_list):
                            reasons.setdefault((mod_name, name), f"needs the fixture {a.arg!r} of the monolith")
                for n in ast.walk(defn):
                    if isinstance(n, ast.Name) and (mod_name, n.id) in defs and n.id != name:
                        refs[(mod_name, name)].add((mod_name, n.id))
        changed = True
        while changed:
            changed = False
            for key, targets in sorted(refs.items()):
                if key in reasons:
                    continue
                for target in sorted(targets):
                    if target in reasons:
                        reasons[key] = f"uses {target[1]}, which needs the monolith"
                        changed = True
                        break
        out: dict[str, str] = {}
        for m in tests:
            if m.name in whole:
                out[m.path] = f"{whole[m.name]}: it stays whole with the monolith's tests"
                continue
            mine = {name for (mod_name, name) in defs if mod_name == m.name}
            test_defs = {n for n in mine if n.startswith(("test", "Test"))}
            staying = {n for n in mine if (m.name, n) in reasons}
            if m.name in outside and staying:  # a test of the app kept outside it moves whole or not at all
                first = sorted(staying)[0]
                out[m.path] = f"a test of the moved app kept outside it ({outside[m.name]}); {first} " + (
                    f"{reasons[(m.name, first)]}: it stays whole with the monolith's tests"
                )
                continue
            if test_defs and test_defs <= staying:
                out[m.path] = "every test needs the monolith (" + reasons[(m.name, sorted(test_defs)[0])] + ")"
                continue
            for def_name in sorted(staying):
                out[f"{m.path}::{def_name}"] = reasons[(m.name, def_name)]
        return out

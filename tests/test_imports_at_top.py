"""Imports sit at the top of their module, except where one keeps a heavy library out (issue 16).

The heavy libraries are listed once, in ``clusterradar.lazy.LAZY_MODULES``. A module is heavy
when its top-level imports load one of them, directly or through our own modules. A
function-level import is allowed only when it defers a heavy library that the importing module
does not load at its top anyway, or, in a command module (``clusterradar.lazy.COMMAND_MODULES``),
one of our modules that ``clusterradar --help`` does not load. Every other one belongs at the top.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

from clusterradar.lazy import COMMAND_MODULES, LAZY_MODULES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "clusterradar": "clusterradar",
    **{
        f"clusterradar.{stage}": stage
        for stage in (
            "crawler",
            "pipeline",
            "models",
            "labels",
            "warehouse",
            "review",
            "quarterly",
            "demo",
        )
    },
}
# Function-level imports kept for another reason, by "module path: imported module", each with
# its reason; the list may only shrink.
EXCEPTIONS: dict[str, str] = {
    "clusterradar/entry.py: clusterradar.cli": "the console script catches Ctrl-C while the "
    "CLI is still importing, so the import sits inside its try block",
}
# Modules another change is rewriting right now (issue 16, records); their imports move when it
# lands. Debt to pay off, never to extend.
NOT_MOVED_YET: set[str] = set()


def _file_of(module: str) -> Path | None:
    """The source file of one of our modules, or None for anything else."""
    for package, folder in sorted(PACKAGES.items(), key=lambda item: -len(item[0])):
        if module == package or module.startswith(package + "."):
            rest = module[len(package) :].lstrip(".").split(".") if module != package else []
            base = ROOT / folder / Path(*rest) if rest else ROOT / folder
            if (base / "__init__.py").is_file():
                return base / "__init__.py"
            if base.with_suffix(".py").is_file():
                return base.with_suffix(".py")
            return None
    return None


def _module_of(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    folder, *rest = relative.parts
    package = next(name for name, mapped in PACKAGES.items() if mapped == folder)
    parts = [package, *rest]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement loads, parent packages of ours included."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        assert node.level == 0, "relative imports are not used in this project"
        names = [node.module or ""]
        names += [f"{node.module}.{alias.name}" for alias in node.names]
    loaded = []
    for name in names:
        parts = name.split(".")
        loaded += [".".join(parts[: i + 1]) for i in range(len(parts))]
    return [name for name in loaded if name.split(".")[0] != "clusterradar" or _file_of(name)]


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module loads: at its top, under try/if, not in functions."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.ClassDef)) and not _is_type_checking(
            node
        ):
            pending += [
                child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
            ]
            if isinstance(node, ast.Try):
                pending += [stmt for handler in node.handlers for stmt in handler.body]
    return found


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def _modules_loaded_at_top(module: str) -> frozenset[str]:
    """What importing one of our modules loads directly: its parent package and its imports."""
    path = _file_of(module)
    if path is None:
        return frozenset()
    loaded = {module.rpartition(".")[0]} - {""}
    for node in _top_level_imports(_tree(path)):
        loaded.update(_imported_modules(node))
    return frozenset(loaded - {module})


@cache
def heavy_libraries_loaded_by(module: str) -> frozenset[str]:
    """The lazy-listed libraries that importing ``module`` loads, through our modules too."""
    heavy: set[str] = set()
    seen, pending = {module}, [module]
    while pending:
        name = pending.pop()
        if name.split(".")[0] != "clusterradar":
            heavy |= {name.split(".")[0]} & set(LAZY_MODULES)
            continue
        for loaded in _modules_loaded_at_top(name) - seen:
            seen.add(loaded)
            pending.append(loaded)
    return frozenset(heavy)


@cache
def modules_loaded_by_help() -> frozenset[str]:
    """Our modules that ``clusterradar --help`` loads: everything ``clusterradar.cli`` imports."""
    seen, pending = {"clusterradar.cli"}, ["clusterradar.cli"]
    while pending:
        for loaded in _modules_loaded_at_top(pending.pop()) - seen:
            if loaded.split(".")[0] == "clusterradar":
                seen.add(loaded)
                pending.append(loaded)
    return frozenset(seen)


def _defers_work_of_a_command(module: str, node: ast.Import | ast.ImportFrom) -> bool:
    return module in COMMAND_MODULES and any(
        name.split(".")[0] == "clusterradar" and name not in modules_loaded_by_help()
        for name in _imported_modules(node)
    )


def _function_level_imports(tree: ast.Module):
    """(import node, enclosing function name) for every import inside a function body."""
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while stack:
        node, function = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stack.append((child, child.name))
            elif isinstance(child, (ast.Import, ast.ImportFrom)) and function is not None:
                yield child, function
            else:
                stack.append((child, function))


def _needless_function_level_imports() -> list[str]:
    needless = []
    for folder in PACKAGES.values():
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = _module_of(path)
            own = heavy_libraries_loaded_by(module)
            relative = path.relative_to(ROOT).as_posix()
            if relative in NOT_MOVED_YET:
                continue
            for node, function in _function_level_imports(_tree(path)):
                deferred = set()
                for name in _imported_modules(node):
                    deferred |= heavy_libraries_loaded_by(name)
                if deferred - own or _defers_work_of_a_command(module, node):
                    continue
                target = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if f"{relative}: {target}" in EXCEPTIONS:
                    continue
                needless.append(f"{relative}:{node.lineno} in {function}(): {ast.unparse(node)}")
    return needless


def test_function_level_imports_only_defer_a_lazy_listed_library():
    needless = _needless_function_level_imports()
    assert needless == [], "move these to the top of their module:\n" + "\n".join(needless)


def test_the_lazy_list_names_only_importable_top_level_libraries():
    for name in LAZY_MODULES:
        assert "." not in name and name not in sys.stdlib_module_names, name


def test_a_module_that_imports_a_lazy_library_at_its_top_counts_as_heavy():
    # models/metrics.py imports numpy and scikit-learn at its top; the CLI defers it for that.
    assert {"numpy", "sklearn"} <= heavy_libraries_loaded_by("clusterradar.models.metrics")
    assert heavy_libraries_loaded_by("clusterradar.errors") == frozenset()


def test_help_loads_no_stage_work_module():
    # The command shells stay thin: --help never loads the crawl runner or the quarter's stages.
    assert "clusterradar.crawler.runner" not in modules_loaded_by_help()
    assert "clusterradar.quarterly.run" not in modules_loaded_by_help()
    assert set(COMMAND_MODULES) <= modules_loaded_by_help()


def test_a_light_command_imports_none_of_the_lazy_libraries():
    # Typer itself loads rich to render --help; a light command loads none of the list.
    code = (
        "import contextlib, json, sys\n"
        "from clusterradar.cli import app\n"
        "with contextlib.suppress(SystemExit):\n"
        "    app(['config', 'show', '--json'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}
    assert loaded & set(LAZY_MODULES) == set()


def test_the_not_moved_yet_list_names_only_modules_with_needless_imports():
    for relative in NOT_MOVED_YET:
        path = ROOT / relative
        module = _module_of(path)
        own = heavy_libraries_loaded_by(module)
        needless = [
            node
            for node, _ in _function_level_imports(_tree(path))
            if not set().union(*map(heavy_libraries_loaded_by, _imported_modules(node))) - own
        ]
        assert needless, f"{relative}: remove it from NOT_MOVED_YET"


def test_the_exceptions_name_only_function_level_imports_that_still_exist():
    present = set()
    for folder in PACKAGES.values():
        for path in (ROOT / folder).rglob("*.py"):
            for node, _ in _function_level_imports(_tree(path)):
                target = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                present.add(f"{path.relative_to(ROOT).as_posix()}: {target}")
    assert set(EXCEPTIONS) <= present, "remove the entries whose import moved"

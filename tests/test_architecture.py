"""The layout's rules, checked on the source: imports point down the layers, no module
imports itself back through others, and only the engine, the training loop and the export's
fuse step import MLX. Imports inside functions count; `if TYPE_CHECKING:` blocks do not."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "pii"

# Lowest first; a module may import its own layer or a lower one (docs/architecture.md).
LAYERS = [
    ("foundation", ("pii", "pii.errors", "pii.taxonomy", "pii.jsonl", "pii.netguard",
                    "pii.paths", "pii.hashing", "pii.provenance", "pii.config_file", "pii.publish", "pii.report_format",
                    "pii.validators")),
    ("data, metrics, engine", ("pii.golden", "pii.metrics", "pii.engine")),
    ("classifiers", ("pii.classifiers",)),
    ("rendering", ("pii.render",)),
    ("study, training, export", ("pii.study", "pii.training", "pii.export")),
    ("cli, api", ("pii.cli", "pii.__main__", "pii.api", "pii.serve")),
]  # fmt: skip
# The package root is a foundation module that lower layers import (its version), and also
# the facade `pii.load`, which imports the API lazily, inside the function.
FACADE = ("pii", "pii.api")
MLX_ALLOWED = ("pii.engine", "pii.training", "pii.export.coreml")


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return rank


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path) -> set[str]:
    """Every module this file imports (absolute names), outside TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.add(child.module)
                # `from pii.x import y` may name the module pii.x.y
                found.update(f"{child.module}.{a.name}" for a in child.names)
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PKG.rglob("*.py")}
    return {m: {i for i in imports(p) if i in files and i != m} for m, p in files.items()}


def test_imports_point_down_the_layers():
    wrong = [
        f"{m} ({LAYERS[layer(m)][0]}) imports {i} ({LAYERS[layer(i)][0]})"
        for m, deps in graph().items()
        for i in sorted(deps)
        if layer(i) > layer(m) and (m, i) != FACADE
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in g[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            strongconnect(v)
    # a package's __init__ importing its own modules is not a loop of code
    cycles = [c for c in cycles if not all(m.startswith(c[0]) for m in c)]
    assert not cycles, f"import cycles: {cycles}"


def test_only_the_engine_training_and_export_import_mlx():
    offenders = sorted(
        module_name(p)
        for p in PKG.rglob("*.py")
        if any(i == "mlx" or i.startswith(("mlx.", "mlx_lm")) for i in imports(p))
        and not module_name(p).startswith(MLX_ALLOWED)
    )
    assert not offenders, f"import MLX outside the engine: {offenders}"


def test_the_checks_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pii.cli\n"
        "def f():\n    from pii.study import bench\n    import mlx.core\n"
    )
    assert imports(bad) >= {"pii.study", "pii.study.bench", "mlx.core"}
    assert "pii.cli" not in imports(bad)
    assert layer("pii.study.bench") > layer("pii.classifiers.rules") > layer("pii.errors")


def test_the_bench_library_loads_without_mlx_or_any_kind():
    import subprocess
    import sys

    code = (
        "import sys, pii.study.bench, pii.classifiers.registry, pii.render.report; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('mlx', 'mlx_lm', "
        "'presidio_analyzer', 'torch', 'coremltools') or m.startswith('pii.classifiers.r')"
        " and m != 'pii.classifiers.registry']; print(bad); sys.exit(bool(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

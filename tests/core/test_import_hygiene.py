"""Issue 22.2: imports sit at the top of a module; one inside a function body says why.

An import hidden in a function usually dodges an import cycle, which the layers and
acyclic-siblings contracts of ``.importlinter`` now forbid. What remains are the imports Django
needs late (an app's ``ready()`` connecting receivers, a management command's heavy optional
tool): each carries a comment on its line or the line above that says why.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("grc", "incidents", "access_reviews", "assets")


def production_modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def late_imports_without_reason(path: Path, root: Path = ROOT) -> list[str]:
    """Imports inside a function body with no ``#`` comment on their line or the line above."""
    source = path.read_text()
    lines = source.splitlines()
    offenders = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                line = lines[inner.lineno - 1]
                above = lines[inner.lineno - 2].strip() if inner.lineno > 1 else ""
                if "#" not in line and not above.startswith("#"):
                    offenders.append(f"{path.relative_to(root)}:{inner.lineno}: {line.strip()}")
    return sorted(set(offenders))


def test_no_import_inside_a_function_without_a_reason():
    offenders = [offender for path in production_modules() for offender in late_imports_without_reason(path)]
    assert not offenders, "imports inside function bodies (move them to the top, or say why):\n" + "\n".join(offenders)


def test_the_rule_sees_a_hidden_import(tmp_path):
    module = tmp_path / "example.py"
    module.write_text(
        "def f():\n    from os import path\n\n    # Django app loading: models are not ready at import time\n    import json\n"
    )
    assert late_imports_without_reason(module, root=tmp_path) == ["example.py:2: from os import path"]

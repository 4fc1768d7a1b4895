"""Runtime and development dependencies apart (issue 22.6): production installs requirements.txt,
which holds no test or lint tool, and no production module imports one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV_ONLY = {"pytest", "pytest-django", "pytest-xdist", "playwright", "factory_boy", "hypothesis", "time-machine", "schemathesis"}
DEV_ONLY |= {"ruff", "bandit", "pip-audit", "pyotp", "pypdf", "import-linter"}
DEV_MODULES = {"pytest", "playwright", "factory", "hypothesis", "time_machine", "schemathesis", "pyotp", "pypdf"}
PRODUCTION_PACKAGES = ("grc", "incidents", "access_reviews", "assets")


def pinned(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[=<>\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_production_requirements_hold_no_test_or_lint_tool():
    runtime = pinned(ROOT / "requirements.txt")
    assert runtime and not runtime & {name.lower() for name in DEV_ONLY}
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in dev and pinned(ROOT / "requirements-dev.txt") >= {name.lower() for name in DEV_ONLY}


def test_no_production_module_imports_a_development_tool():
    offenders = []
    for package in PRODUCTION_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in DEV_MODULES]
    assert offenders == []

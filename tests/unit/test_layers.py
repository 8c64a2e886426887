"""The layer rule, checked from the source: the domain uses only the standard library."""

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def imported_roots(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((path.name, node.module.split(".")[0]))
    return found


def test_domain_imports_only_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"domain", "__future__"}
    assert {imp for imp in imported_roots("domain") if imp[1] not in allowed} == set()


def test_application_imports_only_the_domain_and_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"domain", "application", "__future__"}
    assert {imp for imp in imported_roots("application") if imp[1] not in allowed} == set()

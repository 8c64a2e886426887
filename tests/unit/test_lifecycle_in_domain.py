"""A reservation's lifecycle changes only through the aggregate's methods: no code outside `src/domain/`
assigns its status, payment status, hold, times or allocations, or calls its private transition."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
LIFECYCLE = {
    "status",
    "payment_status",
    "hold_expires_at",
    "confirmed_at",
    "cancelled_at",
    "cancel_reason",
    "checkout_attempt",
    "start_time",
    "end_time",
    "allocations",
    "allocation_mode",
    "deleted_at",
}


def assignments_outside_the_domain(root: Path = SRC) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(root / "domain"):
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and part.attr in LIFECYCLE:
                        found.append(f"{path.relative_to(root)}:{node.lineno} assigns .{part.attr}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_move"
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno} calls ._move")
    return found


def test_no_use_case_or_adapter_changes_a_reservation_by_hand() -> None:
    assert assignments_outside_the_domain() == []


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "ok.py").write_text("def f(r):\n    r.status = 'confirmed'\n")
    (tmp_path / "application").mkdir()
    (tmp_path / "application" / "bad.py").write_text(
        "def f(r):\n    r.status = 'confirmed'\n    r.checkout_attempt += 1\n    r.hold.x, r.end_time = 1, 2\n"
        "    r._move(1, 2)\n"
    )
    assert assignments_outside_the_domain(tmp_path) == [
        "application/bad.py:2 assigns .status",
        "application/bad.py:3 assigns .checkout_attempt",
        "application/bad.py:4 assigns .end_time",
        "application/bad.py:5 calls ._move",
    ]

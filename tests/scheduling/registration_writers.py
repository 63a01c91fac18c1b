"""Find the modules that insert a registration or write its status, by reading their source.

Used by tests/scheduling/test_registration_lifecycle.py to prove that exactly one module does.
What counts as a write (anything it cannot prove harmless counts):
- constructing a `Registration(...)` row, `insert_many(Registration, ...)`, `Registration.insert(...)`,
  `Registration.objects(...)` (an object could be saved);
- `Registration.update(...)` whose first argument is not a literal dict of `Registration.<column>` keys,
  or whose dict names the `status` column (as `Registration.status` or "status"), or that passes `status=`;
- SQL text that updates or inserts into the `registration` table (`UPDATE registration`,
  `INSERT INTO registration`), however it is spelled (quotes, case, line breaks).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

_RAW_WRITE = re.compile(r'\b(?:UPDATE|INSERT\s+INTO)\s+"?registration"?(?![\w])', re.IGNORECASE)


def _is_registration(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "Registration"


def _update_writes_status(call: ast.Call) -> bool:
    if any(keyword.arg in (None, "status") for keyword in call.keywords):
        return True  # status=... or **values: cannot be proven harmless
    if not call.args:
        return False
    values = call.args[0]
    if not isinstance(values, ast.Dict):
        return True  # a comprehension or a variable: its keys are unknown
    for key in values.keys:
        if key is None:  # {**other}
            return True
        if isinstance(key, ast.Constant) and key.value == "status":
            return True
        if isinstance(key, ast.Attribute) and _is_registration(key.value):
            if key.attr == "status":
                return True
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            continue  # another column named by string
        return True
    return False


def writes_in_source(source: str) -> list[str]:
    """What in this source inserts a registration or writes its status (empty when nothing does)."""
    found: list[str] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if _is_registration(func):
                found.append(f"line {node.lineno}: Registration(...) row")
            elif isinstance(func, ast.Attribute) and _is_registration(func.value):
                if func.attr in ("insert", "objects"):
                    found.append(f"line {node.lineno}: Registration.{func.attr}(...)")
                elif func.attr == "update" and _update_writes_status(node):
                    found.append(f"line {node.lineno}: Registration.update(...) writing the status")
            elif (
                isinstance(func, (ast.Name, ast.Attribute))
                and (func.id if isinstance(func, ast.Name) else func.attr) == "insert_many"
                and node.args
                and _is_registration(node.args[0])
            ):
                found.append(f"line {node.lineno}: insert_many(Registration, ...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _RAW_WRITE.search(node.value):
            found.append(f"line {node.lineno}: SQL writing the registration table")
    return found


def registration_writers(package_root: Path) -> dict[str, list[str]]:
    """Module path (relative to the package root's parent) -> its writes, for every module that has any.
    Migrations are history, not code that runs against live rows, and are left out."""
    writers: dict[str, list[str]] = {}
    for path in sorted(package_root.rglob("*.py")):
        if "piccolo_migrations" in path.parts:
            continue
        found = writes_in_source(path.read_text(encoding="utf-8"))
        if found:
            writers[str(path.relative_to(package_root.parent))] = found
    return writers

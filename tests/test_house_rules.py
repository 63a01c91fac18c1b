"""Rules of the house that a tool does not check by itself: every `noqa` and `type: ignore` names its rule and says why."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("src", "tests", "benchmarks", "devtools")

# `
SUPPRESSION = re.compile(
    r"#\s*(noqa|type:\s*ignore)\b(?P<rule>:\s*[A-Z]+[0-9]+(?:,\s*[A-Z]+[0-9]+)*|\[[a-z-]+(?:,\s*[a-z-]+)*\])?"
    r"(?P<reason>.*)$"
)


def suppressions_without_a_reason(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        match = SUPPRESSION.search(line)
        if match and (not match.group("rule") or not re.search(r"[A-Za-z]{3}", match.group("reason"))):
            found.append(line.strip())
    return found


def test_every_suppression_names_its_rule_and_says_why():
    bad = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "piccolo_migrations" in path.parts or ".venv" in path.parts or path == Path(__file__):
                continue
            bad += [f"{path.relative_to(ROOT)}: {line}" for line in suppressions_without_a_reason(path.read_text())]
    assert bad == []


def test_the_check_sees_a_bare_suppression():
    assert suppressions_without_a_reason("x = 1  # noqa") == ["x = 1  # noqa"]
    assert suppressions_without_a_reason("x = 1  # noqa: E731") == ["x = 1  # noqa: E731"]
    assert suppressions_without_a_reason("x = f()  # type: ignore") == ["x = f()  # type: ignore"]
    assert suppressions_without_a_reason("x = 1  # noqa: E731 - a one-line key, read where used") == []
    assert suppressions_without_a_reason("x = f()  # type: ignore[arg-type]  # the driver returns dicts") == []

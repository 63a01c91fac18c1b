"""The documents in docs/ stay in step with the team's shared ones and with the code they describe."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def shared_folder() -> Path | None:
    """The team's shared documents: BOOKING_SHARED_DOCS, or the `shared` folder beside the checkout."""
    for candidate in (os.environ.get("BOOKING_SHARED_DOCS"), ROOT.parent / "shared", Path("/work/shared")):
        if candidate and (Path(candidate) / "CONTRACT.md").is_file():
            return Path(candidate)
    return None


@pytest.mark.skipif(shared_folder() is None, reason="the team's shared documents are not on this machine")
@pytest.mark.parametrize("name", ["CONTRACT.md", "DOMAIN.md"])
def test_the_contract_and_the_domain_are_the_shared_ones(name):
    assert (DOCS / name).read_text() == (shared_folder() / name).read_text(), f"copy the shared {name} into docs/"


@pytest.mark.skipif(shared_folder() is None, reason="the team's shared documents are not on this machine")
def test_the_architecture_keeps_the_shared_plan_word_for_word():
    assert (shared_folder() / "ARCHITECTURE.md").read_text().strip() in (DOCS / "ARCHITECTURE.md").read_text()


def test_every_cli_command_of_the_contract_exists():
    from booking.cli import build_parser

    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # argparse keeps its sub-commands there
    named = set(re.findall(r"`booking ([a-z-]+)", (DOCS / "CONTRACT.md").read_text()))
    assert named and named <= commands

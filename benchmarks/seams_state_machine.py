"""Run the model-based seams test (tests/test_seams_state_machine.py) longer than `make test` does.

    .venv/bin/python benchmarks/seams_state_machine.py [EXAMPLES] [STEPS] [--random]

Defaults: 100 examples of 50 steps on SQLite, and on PostgreSQL too when BOOKING_TEST_DATABASE_URL is set.
--random draws a fresh seed (the suite's run is derandomized); a failure is shrunk to a short sequence.
It prints the number of examples and steps run, and what the steps did.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    examples = args[0] if args else "100"
    steps = args[1] if len(args) > 1 else "50"
    env = {**os.environ, "BOOKING_SEAMS_EXAMPLES": examples, "BOOKING_SEAMS_STEPS": steps, "BOOKING_SEAMS_SHRINK": "1"}
    if "--random" in sys.argv:
        env["BOOKING_SEAMS_RANDOM"] = "1"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:xdist",
        "-p",
        "no:logging",
        "-q",
        "-s",
        "--timeout",
        "0",
        "tests/test_seams_state_machine.py",
    ]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())

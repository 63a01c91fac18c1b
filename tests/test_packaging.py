"""What ships: the app's wheel carries its templates, static files, catalogs and migrations, and not the
development-only Stripe double; the lock files pin every package with hashes."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_app_without_the_stripe_double(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("booking-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "booking/app.py" in names
    assert "booking/templates/base.html" in names
    assert any(name.startswith("booking/payments/piccolo_migrations/") for name in names)
    assert "booking/locale/es/LC_MESSAGES/messages.po" in names
    assert [name for name in names if "stripe_double" in name or "stripe_shapes" in name] == []


def _pins(lock: str) -> dict[str, list[str]]:
    """package -> its hashes, from a lock file written by `make lock`."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / lock).read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line):
            current = match.group(1).lower().replace("_", "-")
            pins[current] = []
        elif current and (match := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            pins[current].append(match.group(1))
    return pins


def test_the_lock_files_pin_every_package_with_hashes():
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    assert "litestar" in runtime and "pytest" not in runtime and "booking-stripe-double" not in runtime
    assert "pytest" in test and "ruff" in test
    assert [name for name, hashes in {**runtime, **test}.items() if not hashes] == []
    # The test lock is the runtime lock plus the test tools, at the same versions.
    runtime_versions = re.findall(r"^([A-Za-z0-9_.-]+==\S+)", (ROOT / "requirements.lock").read_text(), re.M)
    test_versions = set(re.findall(r"^([A-Za-z0-9_.-]+==\S+)", (ROOT / "requirements-test.lock").read_text(), re.M))
    assert [pin for pin in runtime_versions if pin not in test_versions] == []
    assert "python-multipart" not in test  # litestar parses forms itself

"""deploy/: the systemd units parse, the nginx example is valid, and every alert reads metrics the app exports."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from booking.app import create_app
from booking.settings import use_settings
from tests.conftest import asgi_client

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
only_sqlite = pytest.mark.parametrize("engine_kind", ["sqlite"])
TOKEN = "metrics-token-for-the-deploy-test"


@only_sqlite
async def test_every_alert_reads_metrics_the_app_exports(settings, db):
    app = create_app(use_settings(dataclasses.replace(settings, metrics_token=TOKEN)))
    async with asgi_client(app) as client:
        await client.get("/workshops")
        scraped = (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    exported = {family.name for family in text_string_to_metric_families(scraped)}
    rules = [
        rule
        for group in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    ]

    used = set()
    for rule in rules:
        assert rule["alert"] and rule["expr"] and rule["annotations"]["summary"], rule
        used |= set(re.findall(r"\bbooking_[a-z_]+", rule["expr"]))
    families = {re.sub(r"_(bucket|count|sum|total)$", "", name) for name in used}
    assert families and families <= exported, families - exported
    # The runbook explains every alert.
    readme = (DEPLOY.parent / "README.md").read_text()
    assert [r["alert"] for r in rules if f"**{r['alert']}**" not in readme] == []


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_are_valid(tmp_path):
    for unit in (DEPLOY / "systemd").iterdir():
        if unit.suffix in (".service", ".target"):
            # verify wants the program to exist: point the units at this checkout's.
            text = unit.read_text().replace(
                "/opt/booking/.venv/bin/booking", str(Path(sys.executable).with_name("booking"))
            )
            (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "./booking@8001.service", "./booking-worker.service", "./booking.target"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [line for line in result.stderr.splitlines() if "booking" in line]
    assert result.returncode == 0 and problems == [], result.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_the_nginx_example_is_valid(tmp_path):
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=booking",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (
        (DEPLOY / "nginx" / "booking.conf")
        .read_text()
        .replace("/etc/ssl/booking/", f"{tmp_path}/")
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr

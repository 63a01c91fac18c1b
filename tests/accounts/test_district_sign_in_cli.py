"""`booking sso set|list|remove` (CONTRACT.md, "District sign-in"), run as a real subprocess against a
real OpenID Connect provider on loopback (tests/oidc_provider.py), on both engines."""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.server
import json
import threading

import httpx
import pytest

from booking.accounts.sign_in_secrets import decrypt_client_secret
from tests.conftest import TEST_SECRET, free_port
from tests.test_cli import (  # noqa: F401 - pytest fixtures shared with tests/test_cli.py
    assert_ok,
    assert_refused,
    booking,
    database_url,
    migrated_sqlite_template,
    only_sqlite,
    query,
)

SECRET = "district-client-secret-value-4821"


def sso_set(
    booking, issuer: str, district: str = "EGUSD", domains: str = "egusd.net,staff.egusd.net", secret: str = SECRET
):
    return booking(
        "sso",
        "set",
        "--district",
        district,
        "--issuer",
        issuer,
        "--client-id",
        f"client-{district}",
        "--client-secret",
        secret,
        "--domains",
        domains,
    )


def listed(booking) -> list[list[str]]:
    result = booking("sso", "list")
    assert_ok(result)
    return [line.split("\t") for line in result.stdout.splitlines()]


def stored(database_url: str) -> list[dict]:
    return query(
        database_url,
        "SELECT p.issuer, p.client_id, p.client_secret_encrypted, d.code FROM "
        "district_sign_in_provider p JOIN district d ON d.id = p.district ORDER BY d.code",
    )


def stored_domains(database_url: str) -> list[tuple[str, str]]:
    return [
        (row["domain"], row["code"])
        for row in query(
            database_url,
            "SELECT s.domain, d.code FROM district_sign_in_domain s JOIN district d ON d.id = s.district "
            "ORDER BY s.domain",
        )
    ]


def test_set_then_list_prints_code_issuer_and_domains_and_keeps_the_secret_encrypted(
    booking, database_url, oidc_provider
):
    assert_ok(sso_set(booking, oidc_provider.issuer, domains="Staff.EGUSD.net, egusd.net"))
    assert listed(booking) == [["EGUSD", oidc_provider.issuer, "egusd.net,staff.egusd.net"]]
    [row] = stored(database_url)
    assert SECRET not in row["client_secret_encrypted"]
    assert decrypt_client_secret(row["client_secret_encrypted"], TEST_SECRET) == SECRET
    assert row["client_id"] == "client-EGUSD"


def test_set_again_replaces_the_districts_settings(booking, database_url, oidc_provider):
    assert_ok(sso_set(booking, oidc_provider.issuer))
    assert_ok(sso_set(booking, oidc_provider.issuer + "/", domains="egusd.org", secret="a-new-secret-123"))
    assert listed(booking) == [["EGUSD", oidc_provider.issuer, "egusd.org"]]
    assert stored_domains(database_url) == [("egusd.org", "EGUSD")]
    assert decrypt_client_secret(stored(database_url)[0]["client_secret_encrypted"], TEST_SECRET) == "a-new-secret-123"


def test_a_domain_claimed_by_another_district_is_refused_and_changes_nothing(booking, database_url, oidc_provider):
    assert_ok(sso_set(booking, oidc_provider.issuer, district="EGUSD", domains="egusd.net"))
    refused = sso_set(booking, oidc_provider.issuer, district="FCUSD", domains="fcusd.org,EGUSD.net")
    assert_refused(refused, "egusd.net")
    assert stored_domains(database_url) == [("egusd.net", "EGUSD")]
    assert [row["code"] for row in stored(database_url)] == ["EGUSD"]


@pytest.mark.parametrize(
    "issuer", ["not a url", "ftp://127.0.0.1/x", "http://127.0.0.1:{port}", "https://127.0.0.1:{port}/?a=1"]
)
def test_a_bad_or_unreachable_issuer_is_refused_and_nothing_is_stored(booking, database_url, issuer):
    result = sso_set(booking, issuer.format(port=free_port()))
    assert_refused(result)
    assert stored(database_url) == [] and stored_domains(database_url) == []


@pytest.mark.parametrize("domains", ["", "not a domain", "egusd"])
def test_bad_domains_are_refused(booking, database_url, oidc_provider, domains):
    assert_refused(sso_set(booking, oidc_provider.issuer, domains=domains), "domain")
    assert stored(database_url) == []


def test_remove_disconnects_the_district_and_frees_its_domains(booking, database_url, oidc_provider):
    assert_ok(sso_set(booking, oidc_provider.issuer, district="EGUSD", domains="egusd.net"))
    assert_ok(booking("sso", "remove", "--district", "egusd"))
    assert listed(booking) == []
    assert stored_domains(database_url) == []
    assert_ok(sso_set(booking, oidc_provider.issuer, district="FCUSD", domains="egusd.net"))
    assert listed(booking) == [["FCUSD", oidc_provider.issuer, "egusd.net"]]


def test_an_unknown_district_is_refused(booking, database_url, oidc_provider):
    assert_refused(sso_set(booking, oidc_provider.issuer, district="NOPE"), "NOPE")
    assert_refused(booking("sso", "remove", "--district", "NOPE"), "NOPE")


@contextlib.contextmanager
def discovery_naming(issuer_document: dict):
    """A tiny loopback server whose discovery document names another issuer than its own address."""
    body = json.dumps(issuer_document).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/.well-known/openid-configuration" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@only_sqlite  # discovery is checked before anything is written: one engine says it
def test_a_discovery_document_naming_another_issuer_is_refused_and_nothing_is_stored(
    booking, database_url, oidc_provider
):
    # The real provider's document, served from another address: a relying party must refuse it (Discovery 1.0, 4.3).
    document = httpx.get(f"{oidc_provider.issuer}/.well-known/openid-configuration", trust_env=False, timeout=10).json()
    with discovery_naming(document) as impostor:
        assert_refused(sso_set(booking, impostor), "does not describe the issuer")
    assert stored(database_url) == [] and stored_domains(database_url) == []


def test_two_districts_racing_for_the_same_domain_one_wins_the_other_exits_2(booking, database_url, oidc_provider):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda district: sso_set(
                    booking, oidc_provider.issuer, district=district, domains="shared.example.org"
                ),
                ["EGUSD", "FCUSD"],
            )
        )
    assert sorted(result.returncode for result in results) == [0, 2], [(r.returncode, r.stderr) for r in results]
    loser = next(result for result in results if result.returncode == 2)
    assert_refused(loser, "claimed by another district")
    [(domain, winner)] = stored_domains(database_url)
    assert domain == "shared.example.org" and [row["code"] for row in stored(database_url)] == [winner]

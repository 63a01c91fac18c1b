"""Issuing invoices and receiving Stripe webhooks: how long they take, beside the bare transaction.

1. Issuing: 10 districts with 30 open charges each; 10 finance requests issue one invoice each at
   the same moment (gapless numbering, the invoice PDF rendered and queued to the billing contact).
   Baseline, same run: 10 concurrent bare transactions that only draw a number from the counter row
   and insert one invoice-sized row — the serialised core no issuing can avoid.
2. Webhooks: N signed Stripe events POSTed through the ASGI app (verify the signature on the raw
   body, store under the event id, process once), then the same N again (duplicates). Baseline: the
   bare INSERT ... ON CONFLICT DO NOTHING of the event row.

    .venv/bin/python benchmarks/payments.py                    # SQLite and PostgreSQL
    .venv/bin/python benchmarks/payments.py --engines sqlite --events 300

The PostgreSQL database is wiped (its `public` schema is dropped) before the run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_common import percentile, reset_postgres, run_cli
from feeds import running

SECRET = "benchmark-secret-key-0123456789-abcdefghij"
WEBHOOK_SECRET = "whsec_benchmark_0123456789"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/booking_bench"
DISTRICTS = 10
LINES_PER_DISTRICT = 30


async def prepare_lines() -> tuple[list[int], dict]:
    from booking.accounts.actor import Actor
    from booking.accounts.tables import District
    from booking.accounts.users import create_user
    from booking.payments.tables import ChargeLine

    districts = [row["id"] for row in await District.select(District.id).order_by(District.id).limit(DISTRICTS)]
    await District.update({District.billing_contact_email: "ap@district.example"}).where(District.id.is_in(districts))
    day = dt.date.today()
    await ChargeLine.insert(
        *[
            ChargeLine(
                district=district,
                source_kind="registration",
                source_id=district * 1000 + n,
                program="workshop",
                description=f"Workshop seat {n}",
                detail=f"Teacher {n}",
                service_date=day,
                amount_cents=12_500,
                po_number="PO-BENCH",
            )
            for district in districts
            for n in range(LINES_PER_DISTRICT)
        ]
    )
    finance = await create_user(email="finance@bench.example", name="Finance Bench", role="finance", district_id=None)
    return districts, Actor.from_row(finance)


async def issue_all(districts: list[int], finance) -> float:
    from booking.payments.invoicing import issue_invoices
    from booking.payments.tables import ChargeLine

    async def issue(district: int):
        ids = [
            row["id"]
            for row in await ChargeLine.select(ChargeLine.id).where(
                (ChargeLine.district == district) & (ChargeLine.status == "open")
            )
        ]
        return await issue_invoices(finance, district, ids, acknowledge_warnings=True)

    began = time.perf_counter()
    issued = await asyncio.gather(*[issue(district) for district in districts])
    elapsed = time.perf_counter() - began
    numbers = sorted(invoice["sequence"] for group in issued for invoice in group)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
    return elapsed


async def bare_numbering(count: int) -> float:
    from booking.db import write_transaction
    from booking.payments.tables import DocumentCounter

    async def one(n: int) -> None:
        async with write_transaction():
            await DocumentCounter.raw(
                "INSERT INTO document_counter (kind, fiscal_year, last_value) VALUES ('bench', 'x', 0) "
                "ON CONFLICT (kind, fiscal_year) DO NOTHING"
            )
            await DocumentCounter.raw(
                "UPDATE document_counter SET last_value = last_value + 1 WHERE kind = 'bench' "
                "AND fiscal_year = 'x' RETURNING last_value"
            )

    began = time.perf_counter()
    await asyncio.gather(*[one(n) for n in range(count)])
    return time.perf_counter() - began


def signed_events(count: int) -> list[tuple[bytes, str]]:
    from booking_stripe_double import sign_payload

    events = []
    for n in range(count):
        body = json.dumps(
            {
                "id": f"evt_bench_{n}_{time.time_ns()}",
                "object": "event",
                "type": "payment_intent.created",
                "created": int(time.time()),
                "livemode": False,
                "api_version": "2025-06-30.basil",
                "data": {"object": {"id": f"pi_bench_{n}", "object": "payment_intent", "amount": 4500}},
            }
        ).encode()
        events.append((body, sign_payload(body, WEBHOOK_SECRET, int(time.time()))))
    return events


async def measure(url: str, workdir: Path, event_count: int) -> dict:
    from booking.app import create_app
    from booking.db import bind_engine, engine_from_url, write_transaction
    from booking.payments.tables import StripeEvent
    from booking.settings import Settings, use_settings

    settings = use_settings(
        Settings(
            database_url=url,
            secret_key=SECRET,
            base_url="http://bench.local",
            var_dir=workdir,
            db_pool_size=12,
            run_worker_in_process=False,
            stripe_secret_key="sk_test_bench",
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base="http://127.0.0.1:9",
        )
    )
    bind_engine(engine_from_url(url))
    app = create_app(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    figures: dict = {}
    async with running(app) as client:
        districts, finance = await prepare_lines()
        figures["issue"] = await issue_all(districts, finance)
        figures["bare numbering"] = await bare_numbering(len(districts))
        events = signed_events(event_count)
        for label in ("webhook", "webhook duplicate"):
            timings = []
            for body, signature in events:
                began = time.perf_counter()
                response = await client.post(
                    "/webhooks/stripe",
                    content=body,
                    headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
                )
                timings.append(time.perf_counter() - began)
                assert response.status_code == 200, response.text
            figures[label] = timings
        timings = []
        for n in range(event_count):
            began = time.perf_counter()
            async with write_transaction():
                await StripeEvent.raw(
                    "INSERT INTO stripe_event (stripe_id, type, payload, received_at, outcome) "
                    "VALUES ({}, 'bench', {}, {}, '') ON CONFLICT (stripe_id) DO NOTHING",
                    f"evt_bare_{n}",
                    "{}",
                    dt.datetime.now(dt.timezone.utc),
                )
            timings.append(time.perf_counter() - began)
        figures["bare insert"] = timings
    return figures


def report(engine: str, figures: dict) -> None:
    invoices = DISTRICTS
    print(f"\nengine={engine}")
    print(
        f"  issuing {invoices} invoices of {LINES_PER_DISTRICT} lines at once (PDF + email queued): "
        f"{figures['issue']:.2f} s, {invoices / figures['issue']:.1f} invoices/s"
    )
    print(
        f"  bare numbering transactions, {invoices} at once: {figures['bare numbering'] * 1000:.1f} ms "
        f"(issuing took {figures['issue'] / figures['bare numbering']:.0f}x as long; it also renders each PDF inside its transaction)"
    )
    for label in ("webhook", "webhook duplicate", "bare insert"):
        values = figures[label]
        print(
            f"  {label:<18} median {statistics.median(values) * 1000:6.2f} ms   p95 {percentile(values, 0.95) * 1000:6.2f} ms"
        )
    print(
        f"  a webhook costs {statistics.median(figures['webhook']) / statistics.median(figures['bare insert']):.1f}x the bare insert; "
        f"a duplicate {statistics.median(figures['webhook duplicate']) / statistics.median(figures['bare insert']):.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        workdir = Path(tempfile.mkdtemp(prefix="booking-bench-payments-"))
        url = f"sqlite:///{workdir / 'bench.db'}" if engine == "sqlite" else args.database_url
        if engine == "postgresql":
            asyncio.run(reset_postgres(url))
        env = {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_SECRET_KEY": SECRET, "BOOKING_VAR_DIR": str(workdir)}
        run_cli(env, "migrate")
        report(engine, asyncio.run(measure(url, workdir, args.events)))


if __name__ == "__main__":
    main()

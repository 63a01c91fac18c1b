"""Prometheus metrics kept by each process (through prometheus_client), and their exposition.

Counted here, in the process where it happens: requests by route and status with their latency,
registrations by outcome, Stripe webhooks by outcome. Facts that live in the database (outbox
depth and age, failed deliveries, backups, the worker's heartbeat) are read at scrape time by
booking.ops.metrics_snapshot, so every app server reports the same, whichever process answers.

`booking serve --workers N` sets PROMETHEUS_MULTIPROC_DIR before the server processes start:
prometheus_client then keeps each process's counters in files there and /metrics adds them up.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import Metric

from booking.errors import DomainError

disable_created_metrics()  # no `_created` series beside every counter: nothing here reads them
# The text format every Prometheus reads (our names need none of 1.0.0's escaping); Litestar adds "; charset=utf-8".
CONTENT_TYPE = "text/plain; version=0.0.4"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "booking_http_requests", "HTTP requests answered, by route template and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "booking_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
REGISTRATIONS = Counter(
    "booking_registrations",
    "Registrations attempted, by outcome (the registration's status, "
    "`refused` with the error code as reason, or `error`).",
    ["outcome", "reason"],
)
WEBHOOKS = Counter(
    "booking_stripe_webhooks",
    "Stripe webhook deliveries, by outcome (processed, duplicate, ignored, refused: bad signature or not an event).",
    ["outcome"],
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "OTHER"  # label values stay a small, known set
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def counts_registrations(register):
    """Decorates the one function every registration passes through: counts each call by its outcome."""

    @functools.wraps(register)
    async def counted(*args, **kwargs):
        try:
            outcome = await register(*args, **kwargs)
        except DomainError as error:
            REGISTRATIONS.labels("refused", error.code).inc()
            raise
        except BaseException:
            REGISTRATIONS.labels("error", "").inc()
            raise
        REGISTRATIONS.labels(outcome.registration["status"], "").inc()
        return outcome

    return counted


def count_webhook(outcome: str) -> None:
    WEBHOOKS.labels(outcome).inc()


def process_metrics() -> bytes:
    """This server's counters: of this process, or of all its processes in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class _Families:
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


def render_families(families: Iterable[Metric]) -> bytes:
    """Metric families built at scrape time (from the database), in the text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    return generate_latest(registry)

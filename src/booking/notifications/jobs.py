"""The worker's periodic jobs, registered by the packages that own them.

The worker (worker.py) knows no domain: each package lists its own jobs in its `jobs.py`
(`booking.scheduling.jobs`, `booking.slypark.jobs`, ...), which calls `periodic(...)` or
`companion(...)` when imported, and `booking.periodic_jobs` (imported by the app and the CLI,
the composition root) imports every one of them. A job runs once per `every` seconds of the
worker's clock, before that pass delivers the outbox; a failing job is logged as
"<name> failed" and the worker goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

CHECK_EVERY_SECONDS = 60.0  # the pace of the timed notices and sweeps


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # as the log says it: "<name> failed"
    run: Callable[[dt.datetime], Awaitable[object]]  # called with the worker's clock
    every: float = CHECK_EVERY_SECONDS


class Companion(Protocol):
    """A job with state of its own for one worker run (the daily backup): asked on every pass, stopped with the worker."""

    def start_if_due(self, now: dt.datetime) -> None: ...

    async def stop(self) -> None: ...


_periodic: dict[str, PeriodicJob] = {}
_companions: dict[str, Callable[[], Companion]] = {}


def periodic(name: str, run: Callable[[dt.datetime], Awaitable[object]], every: float = CHECK_EVERY_SECONDS) -> None:
    """Register a periodic job (once per name: importing a jobs module twice changes nothing)."""
    _periodic.setdefault(name, PeriodicJob(name, run, every))


def companion(name: str, factory: Callable[[], Companion]) -> None:
    _companions.setdefault(name, factory)


def periodic_jobs() -> list[PeriodicJob]:
    """In the order they were registered."""
    return list(_periodic.values())


def companions() -> list[Callable[[], Companion]]:
    return list(_companions.values())

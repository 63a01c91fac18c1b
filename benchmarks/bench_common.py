"""Helpers every benchmark uses: percentiles, a wiped PostgreSQL database, the `booking` command."""

from __future__ import annotations

import subprocess
import sys


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def reset_postgres(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


def run_cli(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "booking.cli", *args], env=env, check=True, capture_output=True, text=True)

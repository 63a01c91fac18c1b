"""Password hashing with argon2id (argon2-cffi's maintained defaults).

A hash costs about 0.1-0.3 s of CPU. On the event loop that stalls every other request for as long,
so the server hashes and verifies with `hashed()` / `password_matches()`, which run argon2 in a small
pool of worker threads (argon2-cffi releases the GIL while it hashes), and never inside a write
transaction, which would hold the database (or the row's lock) for the whole hash.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from booking.errors import InvalidInput

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()
# One core fewer than the machine has (at least one thread): the event loop keeps a core to answer everyone
# else while a rush of sign-ins hashes; more threads than cores only add memory (64 MiB each), not speed.
HASHING_THREADS = int(os.environ.get("BOOKING_HASHING_THREADS") or max(1, (os.cpu_count() or 2) - 1))
_hashing_pool = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2")
# The benchmark's "before" arm (benchmarks/sign_in_rush.py): hash on the event loop, as it used to.
_HASH_ON_LOOP = os.environ.get("BOOKING_BENCH_HASH_ON_LOOP") == "1"


def use_hashing_cost(*, time_cost: int, memory_cost_kib: int) -> None:
    """Change argon2id's cost. Only the test suite does this: it creates thousands of accounts, and each
    hash at the production cost takes about a quarter of a second. A hash carries its own parameters, so
    hashes made at either cost verify under the other (and are rehashed at sign-in by `needs_rehash`)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)
    _dummy_hash.cache_clear()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verifying against this keeps the time of "no such user" equal to "wrong password"."""
    return _hasher.hash("not-a-real-password-but-a-timing-equaliser")


def validate_new_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput({field: f"Use at least {MIN_PASSWORD_LENGTH} characters."})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput({field: f"Use at most {MAX_PASSWORD_LENGTH} characters."})
    if password.strip() == "":
        raise InvalidInput({field: "A password cannot be only spaces."})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def _off_the_loop(function, *args):
    if _HASH_ON_LOOP:
        return function(*args)
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, function, *args)


async def hashed(password: str) -> str:
    """`hash_password` in a worker thread: call it before opening a write transaction."""
    return await _off_the_loop(hash_password, password)


async def password_matches(password_hash: str | None, password: str) -> bool:
    """`verify_password` in a worker thread."""
    return await _off_the_loop(verify_password, password_hash, password)

"""Password hashing with argon2id (argon2-cffi's maintained defaults)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from booking.errors import InvalidInput

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()


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

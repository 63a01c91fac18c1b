"""Random tokens handed to people, and the hashes we keep instead of them."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no brute force possible).
    return hashlib.sha256(token.encode()).hexdigest()

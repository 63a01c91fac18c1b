"""Encrypting the districts' OpenID Connect client secrets at rest.

The key is derived from BOOKING_SECRET_KEY with HKDF (its own `info`, so it is never the key that
signs sessions), and Fernet (AES-128-CBC + HMAC-SHA256) authenticates what it encrypts: a secret
changed in the database, or read with another BOOKING_SECRET_KEY, is refused rather than misused.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from booking.errors import DomainError

_INFO = b"booking: district sign-in client secrets v1"


class SecretUnreadable(DomainError):
    code = "sign_in_secret_unreadable"
    status_hint = 503
    title = "District sign-in is misconfigured"


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_client_secret(client_secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(client_secret.encode()).decode()


def decrypt_client_secret(encrypted: str, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(encrypted.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            "This district's client secret cannot be read (was BOOKING_SECRET_KEY changed?). "
            "Set it again with `booking sso set`."
        ) from error

"""Passcode hashing (scrypt), tokens and join codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# Join codes avoid look-alikes (0/O, 1/I/L) so they can be read off a projector.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_passcode(passcode: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passcode.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.urlsafe_b64encode
    return "scrypt${n}${r}${p}${salt}${digest}".format(**_SCRYPT, salt=b64(salt).decode(), digest=b64(digest).decode())


def verify_passcode(passcode: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        salt_b = base64.urlsafe_b64decode(salt)
        expected = base64.urlsafe_b64decode(digest)
        got = hashlib.scrypt(passcode.encode(), salt=salt_b, dklen=len(expected), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def new_token() -> str:
    """256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_pseudonym() -> str:
    return secrets.token_hex(6)

"""Passcode hashing (scrypt), tokens and join codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# Join codes avoid look-alikes (0/O, 1/I/L) so they can be read off a projector.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6  # a generated code: 31**6, about 887 million codes
JOIN_CODE_MIN = 6  # a code the facilitator chooses
JOIN_CODE_MAX = 12
# What a participant may type around a code and still be understood: case, spaces and dashes
# (hyphen, the Unicode dashes a phone's keyboard may put in, and the minus sign).
_TYPED_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_TYPED_CODE = re.compile(r"[A-Z0-9]+")
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


def typed_join_code(code: str) -> str:
    """A code as a participant typed it, with case, spaces and dashes ignored ("abc-def" is
    ABCDEF). Nothing else is dropped: the caller refuses what is not letters and digits."""
    return _TYPED_SEPARATORS.sub("", code).upper()


def is_typed_code(code: str) -> bool:
    """Whether a typed code (after typed_join_code) can name a workshop: ASCII letters and digits
    only, and not longer than any code. Older workshops may have codes outside JOIN_ALPHABET."""
    return len(code) <= JOIN_CODE_MAX and _TYPED_CODE.fullmatch(code) is not None


def is_join_alphabet(code: str) -> bool:
    return all(ch in JOIN_ALPHABET for ch in code)


def new_pseudonym() -> str:
    return secrets.token_hex(6)

"""Password rules and hashing (argon2id, the library's RFC 9106 low-memory profile).

Rules: 10 to 256 characters, not made of a single repeated character, not one of the most common
passwords, and not the email address. Length beats composition rules (NIST SP 800-63B).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256
_COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "password12",
        "password123",
        "password1234",
        "iloveyou12",
        "1q2w3e4r5t",
        "qwerty1234",
        "abcdefghij",
        "letmein123",
        "welcome123",
        "admin12345",
        "passw0rd12",
        "1qaz2wsx3edc",
        "qwertyuiop123",
        "1111111111",
    }
)

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    pass


def check_password(password: str, email: str = "") -> None:
    """Raise WeakPassword saying which rule the password breaks."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password must be at most {MAX_LENGTH} characters")
    if len(set(password)) == 1:
        raise WeakPassword("password must not be one repeated character")
    if password.lower() in _COMMON:
        raise WeakPassword("password is too common")
    if email and password.lower() == email.lower():
        raise WeakPassword("password must not be the email address")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# Verified against when the email is unknown, so that a login takes as long either way.
DUMMY_HASH = _hasher.hash("not-a-real-password-but-a-timing-equalizer")

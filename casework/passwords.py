"""Passwords: the policy every new password meets, and the hash check that costs the same for everyone.

The policy (`check_policy`) applies wherever a password is chosen: an admin creating a user or setting a
password, `flask users create`, a user changing their own. It refuses a password shorter than
PASSWORD_MIN_LENGTH (default 10), one on a short built-in list of the most common passwords, and one
equal to the username (case-insensitive). A refusal is `InvalidInput` at the field named `field`.

`verify` checks a password against a user's hash, or, when there is no such user (or the account is
inactive), against a dummy hash made once per process with the same method: the login then costs one
scrypt whether the username exists or not, so answer times do not tell who has an account.
"""

from functools import cache

from flask import current_app
from werkzeug import security

from .models import User
from .refusals import N_, InvalidInput

DEFAULT_MIN_LENGTH = 10

# The most used passwords of the public leak lists (SecLists' top lists, Chinese sites' leaks included),
# compared in lower case. Short ones are refused by the length anyway; they stay as a second guard
# should the minimum be configured lower.
_COMMON_WORDS = """
    123456 123456789 12345678 password qwerty123 qwerty 1234567890 12345 1234567 111111 123123 abc123
    000000 1234 iloveyou 1q2w3e4r 1qaz2wsx qwertyuiop 123321 654321 666666 888888 987654321 5201314
    123qwe 123abc a123456 a12345678 aa123456 abc123456 qq123456 woaini1314 11111111 88888888 00000000
    password1 password123 passw0rd p@ssw0rd p@ssword admin admin123 admin1234 admin12345 admin@123
    administrator root root123 toor welcome welcome1 welcome123 letmein letmein123 monkey dragon
    sunshine princess football baseball superman batman trustno1 master shadow michael whatever
    qazwsxedc qazwsx zxcvbnm zxcvbnm123 asdfghjkl asdfgh 1qaz2wsx3edc q1w2e3r4 q1w2e3r4t5 zaq12wsx
    1234qwer 12qwaszx 147258369 159357 112233 121212 7758521 1314520 woaini 520520 wang123456
    changeme changeme123 default guest test123 test1234 secret secret123 computer internet
    1234567890a abcd1234 abcdefg abcdefgh abcdefghij 0123456789 9876543210 1111111111 0000000000
    1234512345 12341234 11223344 qwer1234 asdf1234 zxcv1234 12345qwert qwert12345 password12
"""
COMMON = frozenset(_COMMON_WORDS.split())


def min_length() -> int:
    return int(current_app.config.get("PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH))


def check_policy(password: str | None, username: str, field: str = "password") -> str:
    """The password when it may be chosen by or for `username`; else InvalidInput at `field`."""
    password = password or ""
    if len(password) < min_length():
        raise InvalidInput(N_("The password needs at least %(n)d characters."), field, n=min_length())
    if password.lower() in COMMON:
        raise InvalidInput(N_("This password is among the most common ones; choose another."), field)
    if password.lower() == (username or "").strip().lower():
        raise InvalidInput(N_("The password may not be the username."), field)
    return password


@cache
def _dummy_hash() -> str:
    """A hash made with the method real passwords get (werkzeug's default, scrypt), once per process."""
    return security.generate_password_hash("no account has this password")


def verify(user: User | None, password: str) -> bool:
    """True when `user` exists, is active and `password` is theirs. Exactly one hash check either way."""
    if user is None or not user.active:
        security.check_password_hash(_dummy_hash(), password)
        return False
    return security.check_password_hash(user.password_hash, password)

"""The password policy (pure; ``app.accounts.passwords`` applies it): one rule wherever a
password is set (users, resets, the user's own change, and the bootstrap admin).

A password is accepted when it
* has at least ``MIN_LENGTH`` (12) characters — length is what resists guessing (NIST SP
  800-63B asks for no composition rules; we ask for none either);
* is not a common password: neither itself nor its core (without leading and trailing digits
  and punctuation, so ``Password2024!`` counts as ``password``) is in the shipped list of
  30,000 common passwords (zxcvbn-python's list, MIT, lower-cased, plus a curated Vietnamese
  list; ``common_passwords.txt.gz`` beside this module);
* is not made of digits and punctuation alone (``123456789012``), and has at least 5
  different characters (refuses ``aaaaaaaaaaaa``, ``abababababab``);
* does not contain the username.
"""

from __future__ import annotations

import gzip
import string
from functools import lru_cache
from importlib import resources

from app.core.messages import Message, msg

BOOTSTRAP_USERNAME = "admin"  # the first admin, created at start-up (app.accounts.service)
MIN_LENGTH = 12
MIN_DISTINCT = 5
_EDGES = string.digits + string.punctuation + " "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    data = resources.files("app.core").joinpath("common_passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, username: str | None = None) -> Message | None:
    """Why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return msg("password.too_short", min_length=MIN_LENGTH)
    lowered = password.lower()
    core = lowered.strip(_EDGES)
    common = common_passwords()
    if lowered in common or core in common or len(set(core)) <= 1:
        return msg("password.common")
    if len(set(password)) < MIN_DISTINCT:
        return msg("password.few_distinct", min_distinct=MIN_DISTINCT)
    if username and len(username) >= 3 and username.lower() in lowered:
        return msg("password.contains_username")
    return None

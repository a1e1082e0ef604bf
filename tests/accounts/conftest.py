from __future__ import annotations

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.accounts import credentials


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its cheapest parameters: these tests check behaviour, not hashing cost."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8 * 1024, parallelism=1),))
    monkeypatch.setattr(credentials, "_password_hash", cheap)
    credentials._dummy_hash.cache_clear()

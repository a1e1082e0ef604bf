"""Keyed hashes and authenticated encryption of personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_DECODE = {c: c for c in CROCKFORD} | {"O": "0", "I": "1", "L": "1"}


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 hex of value under key: how receipts and API keys are stored."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def random_crockford(symbols: int) -> str:
    """`symbols` random Crockford base32 symbols (5 bits each), from one ``token_bytes`` call.

    Each byte's low five bits pick a symbol: 256 is a multiple of 32, so every symbol is
    exactly equally likely (no rejection needed) and the symbols are independent."""
    return "".join(CROCKFORD[byte & 31] for byte in secrets.token_bytes(symbols))


def group(value: str, size: int = 4) -> str:
    return "-".join(value[i : i + size] for i in range(0, len(value), size))


def normalize_crockford(value: str) -> str:
    """Upper-case, drop dashes and spaces, map look-alikes (O→0, I/L→1) as Crockford says."""
    out = []
    for ch in value.upper():
        if ch in "- ":
            continue
        out.append(_CROCKFORD_DECODE.get(ch, "?"))
    return "".join(out)


class MissingDataKey(KeyError):
    """A record is encrypted under a key id that is not in TINBAO_DATA_KEYS (misconfiguration:
    a key was removed before `tinbao reencrypt-reporters` finished)."""


class DataCipher:
    """AES-256-GCM with a key ring: the first key encrypts, every key decrypts.

    Keys are ``"id:base64url(32 bytes)"``. The ciphertext is ``nonce || sealed``; the key id
    is stored beside it so rotation can find what is still under an old key.
    """

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one data key is required")
        self._keys: dict[str, AESGCM] = {}
        self.current_key_id = ""
        for entry in keys:
            key_id, _, b64 = entry.partition(":")
            raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
            if len(raw) != 32 or not key_id:
                raise ValueError("data keys must be 'id:base64url(32 bytes)'")
            self._keys[key_id] = AESGCM(raw)
            self.current_key_id = self.current_key_id or key_id

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        sealed = self._keys[self.current_key_id].encrypt(nonce, plaintext, aad)
        return self.current_key_id, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, *, aad: bytes) -> bytes:
        key = self._keys.get(key_id)
        if key is None:
            raise MissingDataKey(key_id)
        return key.decrypt(blob[:12], blob[12:], aad)

    @staticmethod
    def generate_key(key_id: str) -> str:
        return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"

"""Encryption of personal data at rest (AES-256-GCM under a keyring) and keyed lookup hashes.

A value is stored as `v1:<key id>:<base64(nonce + ciphertext)>`, so keys can be rotated: new values use the
current key, older ones stay readable while their key is in the ring (`hotline keys rotate-data-key`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"
NONCE_BYTES = 12  # 96 bits: GCM's native nonce size, random per value
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Bound to every ciphertext, so that a value cannot pass for another format's.
_AAD = b"hotline-pii-v1"

# Known to everyone who reads this file: only development and tests may use it (production refuses it).
DEVELOPMENT_KEY_ID = "dev"
DEVELOPMENT_KEY = hashlib.sha256(b"development-only-data-key").digest()
DEVELOPMENT_KEYRING = f"{DEVELOPMENT_KEY_ID}:{base64.b64encode(DEVELOPMENT_KEY).decode()}"


class DataKeyError(ValueError):
    """A keyring that cannot be used, or a stored value no key in the ring opens."""


@dataclass(frozen=True)
class Keyring:
    """Data keys by id, and the id new values are encrypted under."""

    keys: dict[str, bytes]
    current_id: str
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise DataKeyError(f"the current data key id {self.current_id!r} is not in the keyring")
        for key_id, key in self.keys.items():
            if not KEY_ID.match(key_id):
                raise DataKeyError(f"data key id {key_id!r}: use 1-32 letters, digits, '-' or '_'")
            if len(key) != 32:
                raise DataKeyError(f"data key {key_id!r} must be 32 bytes (base64 of 32 random bytes)")
            self._ciphers[key_id] = AESGCM(key)

    @classmethod
    def parse(cls, spec: str, current_id: str | None = None) -> Keyring:
        """`id:base64key,id2:base64key` (the last one is current unless `current_id` names another)."""
        keys: dict[str, bytes] = {}
        for part in (item.strip() for item in spec.split(",")):
            if not part:
                continue
            key_id, sep, encoded = part.partition(":")
            if not sep:
                raise DataKeyError("data keys are written id:base64key, separated by commas")
            try:
                keys[key_id.strip()] = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise DataKeyError(f"data key {key_id.strip()!r} is not valid base64") from exc
        if not keys:
            raise DataKeyError("the data keyring is empty")
        return cls(keys=keys, current_id=current_id or list(keys)[-1])

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current_id].encrypt(nonce, plaintext.encode(), _AAD)
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str) -> str:
        """The plaintext of a stored value. A value without our prefix was written before encryption
        (a row the data migration has not reached): it is returned as it is."""
        if not is_encrypted(stored):
            return stored
        _, key_id, encoded = stored.split(":", 2)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DataKeyError(f"no data key {key_id!r} in the keyring (HOTLINE_DATA_KEYS)")
        raw = base64.b64decode(encoded)
        try:
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD).decode()
        except InvalidTag as exc:
            raise DataKeyError(f"a value under data key {key_id!r} does not authenticate") from exc

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}:{self.current_id}:")


def is_encrypted(stored: str) -> bool:
    return stored.startswith(f"{PREFIX}:") and stored.count(":") >= 2


def new_key() -> str:
    """A fresh data key, base64 (for HOTLINE_DATA_KEYS)."""
    return base64.b64encode(os.urandom(32)).decode()


# The keyring and the lookup-hash key the database types use. Set by the entry points (app factory, CLI,
# worker, migrations) from their settings through `database.configure_encryption`.
_keyring: Keyring | None = None
_lookup_secret: bytes | None = None


def configure(keyring: Keyring, *, lookup_secret: bytes) -> Keyring:
    global _keyring, _lookup_secret
    _keyring, _lookup_secret = keyring, lookup_secret
    return keyring


def use(keyring: Keyring) -> None:
    """Replace the keyring in use (tests, key rotation)."""
    global _keyring
    _keyring = keyring


def configured() -> bool:
    return _keyring is not None and _lookup_secret is not None


def current() -> Keyring:
    if _keyring is None:
        raise RuntimeError("encryption is not configured: call database.configure_encryption(settings) first")
    return _keyring


def encrypt(plaintext: str) -> str:
    return current().encrypt(plaintext)


def decrypt(stored: str) -> str:
    return current().decrypt(stored)


@lru_cache(maxsize=8)
def _keyed(secret: bytes) -> hmac.HMAC:
    return hmac.new(secret, digestmod=hashlib.sha256)


def key_hash(secret: bytes, kind: str, value: str) -> int:
    """A signed 64-bit keyed hash (fits a BIGINT column and a PostgreSQL advisory lock)."""
    keyed = _keyed(secret).copy()  # the key's padding is hashed once, not for every key
    keyed.update(f"{kind}\x1f{value}".encode())
    return int.from_bytes(keyed.digest()[:8], "big", signed=True)


def lookup_hash(kind: str, value: str) -> int:
    """A keyed hash (HMAC-SHA256 under HOTLINE_MATCHING_KEY, 64 bits) of a normalised value, for columns that
    find rows by an encrypted value (a texter's number, a name word in case search) without storing it."""
    if _lookup_secret is None:
        raise RuntimeError("encryption is not configured: call database.configure_encryption(settings) first")
    return key_hash(_lookup_secret, f"lookup:{kind}", value)

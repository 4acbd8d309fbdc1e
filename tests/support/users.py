"""People who sign in to the web pages in tests: one shared password, hashed once per run."""

from __future__ import annotations

import functools

from hotline.users import service as user_service

TEST_PASSWORD = "correct horse battery staple"


@functools.cache
def shared_password_hash() -> str:
    # argon2 is slow on purpose: hash the shared test password once per run, not once per user.
    return user_service.hash_password(TEST_PASSWORD)

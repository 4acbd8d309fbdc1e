"""Running the `hotline` command in tests, and the files it reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import func, select


def hotline(*args: str, db, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`hotline ARGS` as a user runs it: a separate process on the committed database `db`."""
    env = {**os.environ, "DATABASE_URL": db.url, "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-m", "hotline", *args], capture_output=True, text=True, env=env, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(db, model) -> int:
    """Rows of `model` in the committed database `db`."""
    with db.session_factory() as session:
        return session.exec(select(func.count()).select_from(model)).one()

"""A benchmark-only endpoint, served only with HOTLINE_BENCH_ENDPOINTS=true (refused in production).

`POST /bench/bare` does what the framework does for every request (parse JSON, authenticate the key, take a
session) and inserts one row: `bench/load.py` compares tip intake with it, the ceiling of this server.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, status

from hotline.deps import AdvocateActor, SessionDep

router = APIRouter(prefix="/bench", tags=["benchmark"], include_in_schema=False)

# A table of its own, made by the benchmark (not a migration): it never exists in a real deployment.
BARE_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_bare"
    " (id VARCHAR(36) PRIMARY KEY, body TEXT NOT NULL, actor TEXT NOT NULL)"
)


@router.post("/bare", status_code=status.HTTP_201_CREATED)
def bare_insert(body: dict[str, Any], session: SessionDep, actor: AdvocateActor) -> dict[str, str]:
    row_id = str(uuid.uuid4())
    session.execute(
        sa.text("INSERT INTO bench_bare (id, body, actor) VALUES (:id, :body, :actor)"),
        {"id": row_id, "body": json.dumps(body), "actor": actor.ref},
    )
    session.commit()
    return {"id": row_id}

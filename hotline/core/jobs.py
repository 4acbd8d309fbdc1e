"""What a background job is: a function of the worker's context, run when due (`hotline.worker`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from hotline.core.config import Settings


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    session_factory: sessionmaker[Session]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[WorkerContext], int]

"""Structured logging: JSON lines on stderr, a request id on every line, victims' data removed.

Nothing that identifies or describes a victim, reporter or suspect may reach a log: names, phones, emails,
addresses, narratives, message bodies. Two layers enforce it: values under sensitive keys are dropped
whatever their content, and phone numbers and emails are masked in every other string (exception texts
included), because an error message can quote its input.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor

REDACTED = "[redacted]"

# Keys whose values are never logged. Matched case-insensitively against every key, nested ones too.
SENSITIVE_KEYS = frozenset(
    {
        "name", "names", "first_name", "last_name", "full_name", "alias", "aliases",
        "phone", "phones", "phone_number", "caller", "from", "from_", "to", "called",
        "email", "emails", "address", "street", "location",
        "narrative", "body", "text", "message", "transcript", "transcription", "transcriptiontext",
        "dob", "date_of_birth", "persons", "person", "reporter", "victim", "suspect",
        "recording_url", "recordingurl", "media_url", "password", "secret", "api_key", "authorization",
        "cookie", "set-cookie", "x-api-key", "x-twilio-signature", "payload", "content",
    }
)  # fmt: skip

# A phone number in any common written form (at least ten digits), or in E.164.
_PHONE_RE = re.compile(
    r"(?<![\w/-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\w-])|(?<![\w/-])\+\d{8,15}(?![\w-])"
)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_text(value: str) -> str:
    return _EMAIL_RE.sub("[redacted-email]", _PHONE_RE.sub("[redacted-phone]", value))


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return REDACTED
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {
            key: (REDACTED if str(key).lower() in SENSITIVE_KEYS else _scrub(item, depth + 1))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item, depth + 1) for item in value]
    return value


def scrub_sensitive_data(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: drop sensitive keys and mask phones and emails in everything else."""
    scrubbed: MutableMapping[str, Any] = {}
    for key, value in event_dict.items():
        scrubbed[key] = REDACTED if key.lower() in SENSITIVE_KEYS else _scrub(value)
    return dict(scrubbed)


def _add_request_id(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict.setdefault("request_id", None)
    return event_dict


def _processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrub_sensitive_data,
    ]


def build_formatter(*, json_lines: bool = True) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        # Lines from the standard library (uvicorn, sqlalchemy, httpx) go through the same scrubbing.
        foreign_pre_chain=_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            scrub_sensitive_data,
            renderer,
        ],
    )


def configure_logging(*, level: str = "INFO", json_lines: bool = True, stream: TextIO | None = None) -> None:
    structlog.configure(
        processors=[*_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(build_formatter(json_lines=json_lines))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_hotline", False):
            root.removeHandler(existing)
    handler._hotline = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic", "httpx"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # httpx logs full URLs at INFO, which can carry tokens; keep it to warnings. uvicorn's access lines repeat
    # our own request line (hotline.request) with client addresses added; keep them off.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)

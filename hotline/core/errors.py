"""Errors as the API reports them: which field, and why (never the submitted value)."""

from __future__ import annotations


def field_path(loc: tuple[object, ...] | list[object]) -> str:
    """`persons[0].age` from a validation error's location (`body`, `query` and the like left out)."""
    parts = [part for part in loc if part not in ("body", "query", "path", "header")]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"

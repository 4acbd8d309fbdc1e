"""YAML that remembers where each value came from, so that errors in rules and directory files name a line.

PyYAML's safe loader builds plain values; this one builds `SourceMap`/`SourceList` (a dict and a list that
also carry the line of each of their items) and refuses duplicate keys, which the stock loader silently
overwrites — in a ruleset that would hide a rule's first condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where, in which rule (if any), and why."""

    file: str
    line: int | None
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        rule = f" rule {self.rule!r}:" if self.rule else ""
        return f"{where}:{rule} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "rule": self.rule, "message": self.message}


class SourceError(ValueError):
    """A file that cannot be used, with every problem found in it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class SourceMap(dict):  # type: ignore[type-arg]
    """A mapping from a YAML file: `line` is where it starts, `key_lines[key]` where each key is."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class SourceList(list):  # type: ignore[type-arg]
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _BadKey(yaml.MarkedYAMLError):
    pass


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> SourceMap:
    loader.flatten_mapping(node)
    mapping = SourceMap()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise _BadKey(
                None, None, "a key is a word or a number, not a list or a mapping", key_node.start_mark
            )
        if key in mapping.key_lines:
            raise _BadKey(
                None,
                None,
                f"duplicate key {key!r} (first at line {mapping.key_lines[key]})",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> SourceList:
    sequence = SourceList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


MAX_DEPTH = 50


def _shape_problem(document: Any) -> str | None:
    """A cycle (an alias inside what it names) or nesting deeper than MAX_DEPTH: either would send the
    recursive readers of a file (conditions, `plain`) into a RecursionError. Iterative, and each shared
    node (an alias used twice) is walked once."""
    on_path, done = set(), set()
    stack: list[tuple[Any, int, bool]] = [(document, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if not isinstance(node, list | dict):
            continue
        if leaving:
            on_path.discard(id(node))
            done.add(id(node))
            continue
        if id(node) in on_path:
            return "an alias is used inside the list or mapping it names (a cycle)"
        if id(node) in done:
            continue
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        on_path.add(id(node))
        stack.append((node, depth, True))
        stack.extend(
            (child, depth + 1, False) for child in (node.values() if isinstance(node, dict) else node)
        )
    return None


def load_yaml(text: str, *, file: str) -> Any:
    """Parse YAML text (safe: plain data only, no Python objects) keeping line numbers."""
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506  (a SafeLoader subclass)
    except RecursionError as exc:
        message = f"not valid YAML: nested deeper than {MAX_DEPTH} levels"
        raise SourceError([Problem(file=file, line=None, message=message)]) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SourceError([Problem(file=file, line=line, message=f"not valid YAML: {message}")]) from exc
    except yaml.YAMLError as exc:
        raise SourceError([Problem(file=file, line=None, message=f"not valid YAML: {exc}")]) from exc
    problem = _shape_problem(document)
    if problem is not None:
        raise SourceError([Problem(file=file, line=getattr(document, "line", None), message=problem)])
    return document


def line_at(document: Any, path: Sequence[Any]) -> int | None:
    """The line of the deepest value on `path` (keys and indexes) that the document has."""
    line: int | None = getattr(document, "line", None)
    node = document
    for part in path:
        in_map = isinstance(node, SourceMap) and part in node
        if in_map or (isinstance(node, SourceList) and isinstance(part, int) and 0 <= part < len(node)):
            line = node.line_of(part)
            node = node[part]
        else:
            break
        line = getattr(node, "line", None) or line
    return line


def plain(value: Any) -> Any:
    """Source containers back to plain dicts and lists (for hashing, JSON and pydantic)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value

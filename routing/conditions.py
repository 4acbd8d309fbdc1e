"""Rule conditions as data: comparisons of one fact, combined with all / any / not.

A condition is parsed from YAML into these nodes; nothing in a rules file is ever executed as code. Each
node can test a facts mapping and say in words why it held or failed, which is what a decision's trace shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Facts = Mapping[str, Any]

# Operators a fact comparison may use, with the words a trace shows for them.
OPERATOR_WORDS = {
    "eq": "",
    "ne": "not",
    "in": "in",
    "not_in": "not in",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "between": "between",
}
ORDERED_OPERATORS = frozenset({"lt", "le", "gt", "ge", "between"})


def show(value: Any) -> str:
    """A value as a rules file would write it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list | tuple | frozenset | set):
        return "[" + ", ".join(show(item) for item in value) + "]"
    return str(value)


class Condition:
    """A node of a rule's condition."""

    line: int
    facts: frozenset[str]

    def test(self, facts: Facts) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def why(self, facts: Facts, held: bool) -> str:
        """Why the condition held (held=True) or failed (held=False) for these facts."""
        raise NotImplementedError


def _predicate(fact: str, op: str, value: Any, casefold: bool) -> Callable[[Facts], bool]:
    # One small closure per comparison: evaluation is a call and a comparison, no interpretation.
    if casefold:
        if op in ("eq", "ne"):
            target = value.casefold() if isinstance(value, str) else value

            def equal(facts: Facts) -> bool:
                current = facts[fact]
                return (current.casefold() if isinstance(current, str) else current) == target

            return equal if op == "eq" else (lambda facts: not equal(facts))
        if op in ("in", "not_in"):
            targets = frozenset(item.casefold() if isinstance(item, str) else item for item in value)

            def member(facts: Facts) -> bool:
                current = facts[fact]
                return (current.casefold() if isinstance(current, str) else current) in targets

            return member if op == "in" else (lambda facts: not member(facts))
    if op == "eq":
        return lambda facts: facts[fact] == value
    if op == "ne":
        return lambda facts: facts[fact] != value
    if op == "in":
        members = frozenset(value)
        return lambda facts: facts[fact] in members
    if op == "not_in":
        members = frozenset(value)
        return lambda facts: facts[fact] not in members
    # Ordered comparisons: an unknown (null) value satisfies no range.
    if op == "lt":
        return lambda facts: (current := facts[fact]) is not None and current < value
    if op == "le":
        return lambda facts: (current := facts[fact]) is not None and current <= value
    if op == "gt":
        return lambda facts: (current := facts[fact]) is not None and current > value
    if op == "ge":
        return lambda facts: (current := facts[fact]) is not None and current >= value
    if op == "between":
        low, high = value
        return lambda facts: (current := facts[fact]) is not None and low <= current <= high
    raise ValueError(f"unknown operator {op!r}")


class Comparison(Condition):
    """`fact op value`, e.g. minor_status in [confirmed, likely], min_age between [12, 17]."""

    __slots__ = ("_why", "fact", "facts", "line", "op", "test", "value")

    def __init__(self, fact: str, op: str, value: Any, *, line: int, casefold: bool = False) -> None:
        self.fact, self.op, self.value, self.line = fact, op, value, line
        self.facts = frozenset({fact})
        self.test = _predicate(fact, op, value, casefold)  # type: ignore[method-assign]
        # Trace texts by fact value: the same few values recur, and building text is the slow part.
        self._why: dict[tuple[Any, bool], str] = {}

    def relation(self) -> str:
        """The comparison without the fact: "in [confirmed, likely]", "< 14", "sex"."""
        if self.op == "eq":
            return show(self.value)
        if self.op == "ne":
            return f"not {show(self.value)}"
        if self.op == "between":
            return f"between {show(self.value[0])} and {show(self.value[1])}"
        return f"{OPERATOR_WORDS[self.op]} {show(self.value)}"

    def describe(self) -> str:
        return (
            f"{self.fact} is {self.relation()}"
            if self.op in ("eq", "ne")
            else f"{self.fact} {self.relation()}"
        )

    def why(self, facts: Facts, held: bool) -> str:
        current = facts[self.fact]
        key = (current, held)
        try:
            return self._why[key]
        except (KeyError, TypeError):
            pass
        if held:
            text = f"{self.fact} is {show(current)}"
            if self.op != "eq":
                text += f" ({self.relation()})"
        elif self.op == "ne":
            text = f"{self.fact} is {show(current)}, which the rule excludes"
        elif self.op == "not_in":
            text = f"{self.fact} is {show(current)}, which is in {show(self.value)}"
        else:
            text = f"{self.fact} is {show(current)}, not {self.relation()}"
        if len(self._why) < 1024:
            self._why[key] = text
        return text


class AllOf(Condition):
    def __init__(self, children: list[Condition], *, line: int) -> None:
        self.children, self.line = children, line
        self.facts = frozenset().union(*(child.facts for child in children))

    def test(self, facts: Facts) -> bool:
        return all(child.test(facts) for child in self.children)

    def describe(self) -> str:
        return "all of (" + "; ".join(child.describe() for child in self.children) + ")"

    def why(self, facts: Facts, held: bool) -> str:
        if held:
            return "; ".join(child.why(facts, True) for child in self.children)
        for child in self.children:
            if not child.test(facts):
                return child.why(facts, False)
        return "held"  # not reached: the caller says it failed


class AnyOf(Condition):
    def __init__(self, children: list[Condition], *, line: int) -> None:
        self.children, self.line = children, line
        self.facts = frozenset().union(*(child.facts for child in children))

    def test(self, facts: Facts) -> bool:
        return any(child.test(facts) for child in self.children)

    def describe(self) -> str:
        return "any of (" + "; ".join(child.describe() for child in self.children) + ")"

    def why(self, facts: Facts, held: bool) -> str:
        if held:
            for child in self.children:
                if child.test(facts):
                    return child.why(facts, True)
        return "none of: " + "; ".join(child.why(facts, False) for child in self.children)


class NotOf(Condition):
    def __init__(self, child: Condition, *, line: int) -> None:
        self.child, self.line = child, line
        self.facts = child.facts

    def test(self, facts: Facts) -> bool:
        return not self.child.test(facts)

    def describe(self) -> str:
        return f"not ({self.child.describe()})"

    def why(self, facts: Facts, held: bool) -> str:
        if held:
            return f"not ({self.child.describe()}): {self.child.why(facts, False)}"
        return f"excluded by not: {self.child.why(facts, True)}"


def conjuncts(condition: Condition | None) -> tuple[Condition, ...]:
    """The parts that must all hold: nested all-of groups flattened, in the order written."""
    if condition is None:
        return ()
    if isinstance(condition, AllOf):
        return tuple(part for child in condition.children for part in conjuncts(child))
    return (condition,)

"""A tip's narrative, prepared once for every rule that reads it.

Rules match a *folded* copy (lower case, accents and curly quotes removed, so "Niña", "nina" and "NIÑA" read
alike) whose character offsets are those of the original text, so every evidence span points at the words
the reporter wrote. Also here: tokens, sentences, clauses, the negation scope rules the readers share, and
`Cues`, the fast way every reader finds its phrases.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from hotline.triage import lexicon
from hotline.triage.models import Evidence

# One character in, one character out: offsets in the folded text are offsets in the original.
_FOLD = str.maketrans(
    {
        **dict.fromkeys("áàâäãåā", "a"),
        **dict.fromkeys("éèêëē", "e"),
        **dict.fromkeys("íìîïī", "i"),
        **dict.fromkeys("óòôöõøō", "o"),
        **dict.fromkeys("úùûüū", "u"),
        "ñ": "n",
        "ç": "c",
        "ý": "y",
        # curly and other apostrophes, quotes, dashes and spaces
        **dict.fromkeys("\u2019\u2018\u02bc\u00b4`\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u00ab\u00bb\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015", "-"),
        **dict.fromkeys("\u00a0\u2009\u202f", " "),
    }
)
# Decomposed accents (e + U+0301) are dropped from the folded text; a map then keeps offsets right.
_COMBINING = re.compile(r"[\u0300-\u036f]")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
# A sentence ends at . ! ? followed by a space or the end, at a line break, or at a semicolon.
_SENTENCE_END = re.compile(r"[.!?]+(?=[\s\"')\]]|$)|\n+|;")
_CLAUSE_GAP = re.compile(r"[,;:()\[\]\"-]")


def fold(text: str) -> tuple[str, list[int] | None]:
    """(folded text, offset map or None). The map is only needed when folding changed the length."""
    lowered = text.lower()
    if len(lowered) == len(text) and not _COMBINING.search(text):
        return lowered.translate(_FOLD), None
    # Rare path: characters whose lower case is longer (İ), or decomposed accents.
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.combining(char):
            continue
        low = char.lower()
        chars.append((low if len(low) == 1 else char).translate(_FOLD))
        offsets.append(index)
    return "".join(chars), offsets


class Narrative:
    """The folded narrative with its tokens and sentences. Offsets are into the folded text."""

    __slots__ = (
        "_clause_end",
        "_clause_start",
        "_offsets",
        "_positions",
        "_sentence_starts",
        "ends",
        "folded",
        "original",
        "starts",
        "words",
    )

    def __init__(self, text: str) -> None:
        self.original = text
        self.folded, self._offsets = fold(text)
        matches = list(_TOKEN.finditer(self.folded))
        self.starts: list[int] = [match.start() for match in matches]
        self.ends: list[int] = [match.end() for match in matches]
        self.words: list[str] = [match.group() for match in matches]
        self._positions: list[list[int]] | None = None
        self._clause_start: list[int] | None = None
        self._clause_end: list[int] = []
        self._sentence_starts = [0]
        for match in _SENTENCE_END.finditer(self.folded):
            if match.group().startswith(".") and self._is_abbreviation(match.start()):
                continue
            self._sentence_starts.append(match.end())

    def _is_abbreviation(self, dot: int) -> bool:
        """A period after "y.o", "approx", "St", a single letter…: not the end of a sentence."""
        index = bisect_right(self.ends, dot) - 1
        if index < 0 or self.ends[index] != dot:
            return False
        word = self.words[index]
        return len(word) == 1 or word in lexicon.ABBREVIATIONS

    # --- positions ---------------------------------------------------------------------------------

    def positions(self, cues: Cues) -> list[int]:
        """Where the tokens start that could begin one of `cues`' phrases."""
        if self._positions is None or len(self._positions) < len(_CUES_REGISTRY):
            table: list[list[int]] = [[] for _ in _CUES_REGISTRY]
            words = self.words
            last = len(words) - 1
            for index, word in enumerate(words):
                start = self.starts[index]
                for category, seconds in Cues.triggered_by(word):
                    row = table[category]
                    if (not row or row[-1] != start) and (
                        seconds is None or (index < last and words[index + 1].startswith(seconds))
                    ):
                        row.append(start)
            self._positions = table
        return self._positions[cues.id]

    def token_at(self, position: int) -> int:
        """Index of the first token starting at or after `position` (len(words) if none)."""
        return bisect_left(self.starts, position)

    def token_before(self, position: int) -> int:
        """Index of the last token ending at or before `position` (-1 if none)."""
        return bisect_right(self.ends, position) - 1

    def sentence(self, position: int) -> tuple[int, int]:
        """[start, end) of the sentence holding `position`."""
        index = bisect_right(self._sentence_starts, position) - 1
        start = self._sentence_starts[index]
        end = self._sentence_starts[index + 1] if index + 1 < len(self._sentence_starts) else len(self.folded)
        return start, end

    def previous_sentence(self, position: int) -> tuple[int, int] | None:
        start, _ = self.sentence(position)
        if start == 0:
            return None
        return self.sentence(start - 1)

    def clause(self, position: int) -> tuple[int, int]:
        """[start, end) of the clause holding `position`: the sentence cut at commas, colons and "but"."""
        sentence_start, sentence_end = self.sentence(position)
        first = self.token_at(sentence_start)
        last = self.token_before(sentence_end)
        if first > last:
            return sentence_start, sentence_end
        if self._clause_start is None:
            self._index_clauses()
        here = max(first, min(self.token_before(position + 1), last))
        return self.starts[self._clause_start[here]], self.ends[self._clause_end[here]]  # type: ignore[index]

    def _index_clauses(self) -> None:
        """For each token, the first and last token of its clause (clauses never cross sentences)."""
        count = len(self.words)
        starts, ends = self.starts, self.ends
        # Boundaries: a sentence start, a punctuation mark, or a word like "but", between two tokens.
        marks = sorted(
            [match.start() for match in _CLAUSE_GAP.finditer(self.folded)] + self._sentence_starts[1:]
        )
        breaks = [True] * count
        mark = 0
        break_words = lexicon.CLAUSE_BREAK_WORDS
        for index in range(1, count):
            previous_end = ends[index - 1]
            while mark < len(marks) and marks[mark] < previous_end:
                mark += 1
            punctuated = mark < len(marks) and marks[mark] <= starts[index]
            breaks[index] = punctuated or self.words[index] in break_words
        clause_start = [0] * count
        for index in range(count):
            clause_start[index] = index if breaks[index] else clause_start[index - 1]
        clause_end = [0] * count
        for index in range(count - 1, -1, -1):
            clause_end[index] = index if index == count - 1 or breaks[index + 1] else clause_end[index + 1]
        self._clause_start, self._clause_end = clause_start, clause_end

    # --- reading ---------------------------------------------------------------------------------

    def is_capitalized(self, index: int) -> bool:
        start = self.original_span(self.starts[index], self.ends[index])[0]
        return self.original[start].isupper()

    def negated(self, position: int, window: int = 5) -> bool:
        """Whether a negation governs the word at `position`: "not a minor", "no es menor", "none are".

        Looks back up to `window` tokens within the clause. Doubt is not negation: "not sure if she is a
        minor", "no sé si es menor" still suggest a minor, so a doubt word after the negator cancels it.
        """
        clause_start, _ = self.clause(position)
        index = self.token_at(position) - 1
        stop = max(self.token_at(clause_start), index - window + 1)
        doubt = False
        while index >= stop:
            word = self.words[index]
            if word in lexicon.DOUBT_WORDS:
                doubt = True
            elif word in lexicon.NEGATION_SCOPE_BREAKS:
                return False
            elif word in lexicon.NEGATORS or word.endswith("n't"):
                return not doubt
            index -= 1
        return self._distributive_negation(position, clause_start)

    def _distributive_negation(self, position: int, clause_start: int) -> bool:
        """ "none of the girls at the place are minors", "ninguna de las mujeres del lugar es menor"."""
        here = self.token_at(position)
        if here < 2 or not {self.words[here - 1], self.words[here - 2]} & lexicon.COPULAS:
            return False
        first = max(self.token_at(clause_start), here - 12)
        return any(self.words[index] in lexicon.DISTRIBUTIVE_NEGATORS for index in range(first, here))

    # --- evidence --------------------------------------------------------------------------------

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if self._offsets is None:
            return start, end
        original_start = self._offsets[start] if start < len(self._offsets) else len(self.original)
        original_end = self._offsets[end] if end < len(self._offsets) else len(self.original)
        return original_start, original_end

    def evidence(self, start: int, end: int, reason: str) -> Evidence:
        """An evidence item for folded span [start, end), pointing at the original words."""
        original_start, original_end = self.original_span(start, end)
        return Evidence(
            source="narrative",
            span=(original_start, original_end),
            text=self.original[original_start:original_end],
            reason=reason,
        )


# --- phrase sets found from their first words ----------------------------------------------------------


class Cues:
    """A set of phrases (regular-expression alternatives), found only where their first words occur.

    Scanning every character of every narrative with many large patterns is what would make the classifier
    slow. Each alternative starts with a word (or two, when the first is as common as "a" or "no"), so the
    phrases can only match where the narrative's tokens begin with those words: tokens are looked up once
    (and cached), and the pattern is tried only there. Alternatives that start with no literal word
    ("$15 a day") are scanned the ordinary way. The matches are the ones `finditer` would find.
    """

    def __init__(self, alternatives: str, *, after: str = "") -> None:
        self.id = len(_CUES_REGISTRY)
        _CUES_REGISTRY.append(self)
        _TOKEN_TRIGGERS.clear()
        self.pattern = re.compile(rf"\b(?:{alternatives}){after}")
        triggers: dict[str, set[str] | None] = {}
        fallback: list[str] = []
        for alternative in _split_alternatives(alternatives):
            starts = _first_words(alternative)
            if starts is None:
                fallback.append(alternative)
                continue
            for first, second in starts:
                if (first in triggers and (triggers[first] is None or second is None)) or second is None:
                    triggers[first] = None
                else:
                    triggers.setdefault(first, set()).add(second)  # type: ignore[union-attr]
        self.digits = triggers.pop("#digit", ...) is not ...
        self.triggers = {
            first: (tuple(sorted(seconds)) if seconds is not None else None)
            for first, seconds in triggers.items()
        }
        self._firsts = tuple(self.triggers)
        self.fallback = re.compile(rf"(?:{'|'.join(fallback)}){after}") if fallback else None

    def requirements(self, word: str) -> list[tuple[str, ...] | None]:
        """For a token: the second words one of these phrases needs after it (None: no need), if any."""
        needs: list[tuple[str, ...] | None] = []
        if self.digits and word[:1].isdigit():
            needs.append(None)
        if word.startswith(self._firsts):
            for first, seconds in self.triggers.items():
                if word.startswith(first):
                    needs.append(seconds)
                    if seconds is None:
                        break
        return needs

    def finditer(self, narrative: Narrative, start: int = 0, end: int | None = None) -> list[re.Match[str]]:
        text = narrative.folded
        end = len(text) if end is None else end
        found: list[re.Match[str]] = []
        last_end = -1
        positions = narrative.positions(self)
        for position in positions[bisect_left(positions, start) :]:
            if position >= end:
                break
            if position < last_end:
                continue
            match = self.pattern.match(text, position, end)
            if match is not None:
                found.append(match)
                last_end = max(match.end(), position + 1)
        if self.fallback is not None:
            extra = list(self.fallback.finditer(text, start, end))
            if extra:
                merged = sorted(found + extra, key=lambda m: (m.start(), -m.end()))
                found, last_end = [], -1
                for match in merged:
                    if match.start() >= last_end:
                        found.append(match)
                        last_end = max(match.end(), match.start() + 1)
        return found

    def search(self, narrative: Narrative, start: int = 0, end: int | None = None) -> re.Match[str] | None:
        if self.fallback is None:
            text = narrative.folded
            end = len(text) if end is None else end
            positions = narrative.positions(self)
            for position in positions[bisect_left(positions, start) :]:
                if position >= end:
                    return None
                match = self.pattern.match(text, position, end)
                if match is not None:
                    return match
            return None
        found = self.finditer(narrative, start, end)
        return found[0] if found else None

    @staticmethod
    def triggered_by(word: str) -> tuple[tuple[int, tuple[str, ...] | None], ...]:
        """(cues id, second words required or None) for each phrase set a token could begin."""
        cached = _TOKEN_TRIGGERS.get(word)
        if cached is None:
            cached = tuple(
                (cues.id, need) for cues in _CUES_REGISTRY for need in dict.fromkeys(cues.requirements(word))
            )
            # Bounded: narratives bring new words forever (names, typos); the common ones are cached early.
            if len(_TOKEN_TRIGGERS) < _TOKEN_TRIGGERS_LIMIT:
                _TOKEN_TRIGGERS[word] = cached
        return cached


_CUES_REGISTRY: list[Cues] = []
_TOKEN_TRIGGERS: dict[str, tuple[tuple[int, tuple[str, ...] | None], ...]] = {}
_TOKEN_TRIGGERS_LIMIT = 200_000


def _syntax(pattern: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, depth after it) for each parenthesis and bar of a pattern that is not escaped or
    inside a character class."""
    depth = 0
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()|":
            depth += (char == "(") - (char == ")")
            yield index, char, depth
        index += 1


def _split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern: "a|(?:b|c)d|e" -> ["a", "(?:b|c)d", "e"]."""
    parts: list[str] = []
    start = 0
    for index, char, depth in _syntax(pattern):
        if char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
    parts.append(pattern[start:])
    return parts


def _closing_paren(pattern: str) -> int:
    """Where the group that opens the pattern closes."""
    for index, char, depth in _syntax(pattern):
        if char == ")" and depth == 0:
            return index
    raise ValueError(f"unbalanced pattern: {pattern}")


_LEADING_ZERO_WIDTH = re.compile(r"^(?:\\b|\(\?<[!=](?:[^()\\]|\\.)*\))+")
_TOKEN_CHAR = re.compile(r"[a-z0-9']")
_SPACE = re.compile(r"^\\s\+?")
# A first word this short is too common to try the pattern at every occurrence: require the second word too.
_SHORT_WORD = 3


def _first_words(alternative: str, depth: int = 0) -> set[tuple[str, str | None]] | None:
    """The (first word, second word or None) a match of `alternative` must begin with; None if unknown."""
    alternative = _LEADING_ZERO_WIDTH.sub("", alternative)
    if alternative.startswith(("(?:", "(?P<")):
        close = _closing_paren(alternative)
        after = alternative[close + 1 : close + 3]
        if after[:1] in {"?", "*"} or after.startswith("{0"):
            return None
        inner_start = 3 if alternative.startswith("(?:") else alternative.index(">") + 1
        rest = alternative[close + 1 :]
        starts: set[tuple[str, str | None]] = set()
        for inner in _split_alternatives(alternative[inner_start:close]):
            inner_starts = _first_words(inner + (rest if depth == 0 else ""), depth + 1)
            if inner_starts is None:
                return None
            starts |= inner_starts
        return starts
    if alternative.startswith("\\d"):
        return {("#digit", None)}
    literal = []
    index = 0
    while index < len(alternative):
        char = alternative[index]
        if not _TOKEN_CHAR.match(char):
            break
        if index + 1 < len(alternative) and alternative[index + 1] in "?*{":
            break  # "s?" makes the letter optional
        literal.append(char)
        index += 1
    word = "".join(literal)
    if not word:
        return None
    complete = index < len(alternative) and alternative[index] == "\\" and _SPACE.match(alternative[index:])
    if len(word) <= _SHORT_WORD and complete and depth < 2:
        rest = alternative[index + _SPACE.match(alternative[index:]).end() :]  # type: ignore[union-attr]
        seconds = _first_words(rest, 2)
        if seconds:
            return {(word, second) for second, _ in seconds if second != "#digit"} or {(word, None)}
    return {(word, None)}

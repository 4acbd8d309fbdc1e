"""Ages stated in a narrative, English and Spanish: "15-year-old", "she's 16", "tiene 14 años", "niña de 13".

Every number in the narrative is read in its context: the words on its right say whether it is an age ("years
old", "y/o", "años") or something else ("minutes", "workers", "dollars"), the words on its left say whose age
it is and when ("since she was 15", "a los 13", "looks 14", "va a cumplir 18", "hace 15 años" — a duration).
A number with no age grammar around it is not an age: "$15", "at 10", "apartment 14", "15 workers".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotline.triage import lexicon
from hotline.triage.narrative import Cues, Narrative

ADULT_AGE = 18

# --- numbers ------------------------------------------------------------------------------------------


def _alternation(words: list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_EN_COMPOUND = rf"(?:{'|'.join(lexicon.EN_TENS)})(?:[- ](?:{'|'.join(lexicon.EN_UNITS)}))?"
_ES_COMPOUND = rf"(?:{'|'.join(lexicon.ES_TENS)})(?:\s+y\s+(?:{'|'.join(lexicon.ES_UNITS)}))?"
_ES_TEENS_SPLIT = r"diez\s+y\s+(?:seis|siete|ocho|nueve)"
_WORD_NUMBER = (
    rf"\b(?:{_EN_COMPOUND}|{_ES_COMPOUND}|{_ES_TEENS_SPLIT}|{_alternation(list(lexicon.NUMBER_WORDS))})\b"
)
# A one- or two-digit number that is not part of money, a time, a decimal, a height or a longer number.
# Letters may follow only when they say "years": "15yo", "15yrs", "15años".
_DIGIT_NUMBER = r"(?<![\w$#€£.,:/])\d{1,2}(?=yo\b|y/o|yrs?\b|anos\b|anitos\b|(?![\w'\"%/]|[.,:]\d|\s%))"
_NUMBER = rf"(?:{_DIGIT_NUMBER}|{_WORD_NUMBER})"
_SEPARATOR = r"(?:\s*[,/-]\s*(?:(?:and|or|y|o|u|e)\s+)?|\s+(?:and|or|to|through|y|o|u|e|a)\s+)"
NUMBER_GROUP = Cues(rf"{_NUMBER}(?:{_SEPARATOR}{_NUMBER}){{0,4}}")
_ONE_NUMBER = re.compile(_NUMBER)


def parse_numbers(text: str) -> list[int]:
    values = []
    for match in _ONE_NUMBER.finditer(text):
        word = match.group()
        if word.isdigit():
            values.append(int(word))
            continue
        total = 0
        for part in re.split(r"[\s-]+", word):
            total += lexicon.NUMBER_WORDS.get(part, 0)
        values.append(total)
    return values


# --- the words around a number --------------------------------------------------------------------------

_QUALIFIER = (
    r"(?:about|around|approximately|approx\.?|roughly|maybe|like|only|just|barely|almost|nearly|probably|"
    r"possibly|already|now|still|actually|really|at\s+least|at\s+most|not\s+even|not|no\s+more\s+than|"
    r"no\s+older\s+than|not\s+older\s+than|under|over|younger\s+than|older\s+than|less\s+than|more\s+than|"
    r"below|above|turning|probably|unos|unas|como|apenas|solo|solamente|aproximadamente|aprox\.?|"
    r"mas\s+o\s+menos|alrededor\s+de|casi|ya|entre|menos\s+de|mas\s+de|ni|cerca\s+de|recien|ahora|"
    r"tal\s+vez|quizas|quiza|maximo|minimo|los)"
)
_QUALIFIERS = rf"(?P<quals>(?:\b{_QUALIFIER}\s+)*)"

# Right of the number.
_R_YEARS_OLD = re.compile(r"\s*-?\s*(?:years?|yrs?|yr)\.?\s*-?\s*olds?\b")
_R_YEARS_OF_AGE = re.compile(
    r"\s+(?:years?\s+of\s+age|as\s+(?:her|his|their|the)\s+age|como\s+(?:su\s+)?edad)\b"
)
_R_YO = re.compile(r"(?:\s*y/o\b|\s*y\.o\.?|yo\b|yrs?\b)")
# "15 yo" with a space: in Spanish "yo" is "I" ("a las 5 yo salí"), so only before an English word or the end.
_R_YO_SPACED = re.compile(
    r"\s+yo\b(?=\s*(?:[,.;:)!?]|$|\s+(?:old|girl|boy|female|male|f|m|and|or|kid|son|daughter|latina|latino|"
    r"white|black|hispanic|asian)\b))"
)
_R_ANOS = re.compile(r"\s*(?:anos|anitos|anios)\b(?P<edad>\s+de\s+edad\b)?")
_R_PLUS = re.compile(r"\s*(?:\+|(?:and|or)\s+(?:over|older|up)\b|o\s+mas\b)")
_R_YEARS_BARE = re.compile(r"\s+years?\b")
_R_FUTURE_TIME = re.compile(
    r"(?:\s*anos)?\s+(?:en\s+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
    r"noviembre|diciembre|unos|un|dos|tres|pocos)|el\s+proximo|la\s+proxima|pronto|este\s+ano|next|in\s+"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|a|two|three))\b"
)


class _Left:
    """A pattern for the words just before a number, tried only when one of its keywords is there at all."""

    __slots__ = ("keywords", "pattern")

    def __init__(self, pattern: re.Pattern[str], keywords: tuple[str, ...]) -> None:
        self.pattern = pattern
        self.keywords = keywords

    def search(self, left: str) -> re.Match[str] | None:
        if any(keyword in left for keyword in self.keywords):
            return self.pattern.search(left)
        return None


# Left of the number (each ends where the number starts).
_L_SINCE = _Left(
    re.compile(
        rf"\b(?P<conj>since|when|from\s+the\s+time|by\s+the\s+time|back\s+when|starting\s+when|until|till)\s+"
        rf"(?P<subj>[a-z]+)\s+(?:was|were|turned|had\s+turned|'d\s+turned|got\s+to\s+be)\s+{_QUALIFIERS}\Z"
    ),
    ("since", "when", "time", "until", "till"),
)
_L_AT = _Left(
    re.compile(r"\b(?:at|from|since|by)\s+(?:only|just|barely|age|the\s+age\s+of)\s+\Z"),
    ("at", "from", "since", "by"),
)
_L_AGE = _Left(
    re.compile(
        r"(?:\b(?P<time>at|since|from|by|starting\s+at|desde|a|hasta)\s+)?"
        r"(?:\b(?P<cmp>under|below|over|above|younger\s+than|older\s+than|menor(?:es)?\s+de|mayor(?:es)?\s+de)\s+)?"
        r"(?:\b(?:the|la|su|her|his)\s+)?\b(?:ages?|aged|edad(?:es)?)\b\s*(?:[:#=-]\s*|(?:of|de)\s+)?"
        rf"{_QUALIFIERS}\Z"
    ),
    ("age", "edad"),
)
_L_PREDICATE = _Left(
    re.compile(
        rf"(?:(?P<subj_c>\b[a-z]+)(?P<contraction>'s|'m|'re|'ll\s+be|'d\s+be)|(?P<subj>\b[a-z]+(?:'s)?)\s+"
        r"(?P<verb>is|am|are|was|were|turned|turns|turning|will\s+be|would\s+be|could\s+be|might\s+be|may\s+be|"
        r"must\s+be|should\s+be|be|has\s+turned|just\s+turned|is\s+turning|is\s+about\s+to\s+turn|will\s+turn))"
        rf"\s+{_QUALIFIERS}\Z"
    ),
    ("is", "am", "are", "was", "were", "turn", "be", "'"),
)
# "I am a 45-year-old truck driver", "soy una señora de 70 años": the reporter describing themself.
_L_I_AM_A = re.compile(r"\b(?:i'm|im|i\s+am|soy|yo\s+soy)\s+(?:a|an|un|una)\s+\Z")
_L_FIRST_PERSON = _Left(
    re.compile(rf"\b(?:i'm|im|i\s+am|i\s+was|iam)\s+{_QUALIFIERS}\Z"),
    ("i'm", "im", "i am", "i was", "iam"),
)
_L_NOUN_ABOUT = _Left(
    re.compile(
        r"(?P<noun>\b[a-z]+)\s+(?:(?:who\s+is|who's|who\s+was|that\s+is)\s+)?"
        r"(?:about|around|approximately|approx\.?|roughly|maybe|probably|aged|age|maybe\s+about)\s+\Z"
    ),
    ("about", "around", "approx", "roughly", "maybe", "probably", "age"),
)
_L_LOOKS = _Left(
    re.compile(
        r"\b(?:looks?|looked|looking|seems?|seemed|appears?|appeared)(?:\s+(?:like|to\s+be|about|around))?"
        r"(?:\s+(?:she|he|they)(?:'s|'re|\s+is|\s+are|\s+was|\s+were|\s+could\s+be|\s+might\s+be))?"
        rf"(?:\s+to\s+be)?\s+{_QUALIFIERS}\Z"
    ),
    ("look", "seem", "appear"),
)
_L_CLAIMS = _Left(
    re.compile(rf"\b(?:claims?|claimed|claiming|pretends?)\s+to\s+be\s+{_QUALIFIERS}\Z"),
    ("claim", "pretend"),
)
_L_APPOSITION = _Left(
    re.compile(
        rf"(?P<noun>\b[a-z]+(?:-[a-z]+)*)\s*[,(]\s*(?:(?:ages?|aged|edad|now|ahora|de)\s*:?\s*)?{_QUALIFIERS}\Z"
    ),
    (",", "("),
)
_R_APPOSITION_END = re.compile(
    r"\s*(?:[,);:]|\.(?!\d)|\Z|$|\s+(?:and|or|y|o|who|is|was|are|were|has|had|from|de|que|es|tiene|lives|"
    r"vive|esta|with|con|says|dice)\b)"
)
_L_OF = _Left(
    re.compile(rf"(?P<noun>\b[a-z]+)\s+of\s+{_QUALIFIERS}\Z"),
    ("of",),
)
_L_TIENE = _Left(
    re.compile(
        r"\b(?P<verb>(?:todavia\s+no\s+|aun\s+no\s+|no\s+|ni\s+siquiera\s+|ya\s+)?"
        r"(?:tiene|tenia|tendra|tendria|tenga|tuviera|tengo|tienen|tenian|tenemos|tendran|tuvo)|"
        r"(?:todavia\s+no\s+|aun\s+no\s+|no\s+)?(?:cumplio|cumple|cumplira|cumplia|cumpli|cumplir|cumplen|"
        r"ha\s+cumplido|habia\s+cumplido|han\s+cumplido)|acaba\s+de\s+cumplir|acababa\s+de\s+cumplir|"
        r"acabo\s+de\s+cumplir|va\s+a\s+cumplir|iba\s+a\s+cumplir|voy\s+a\s+cumplir|van\s+a\s+cumplir|"
        r"aparenta|aparentaba|aparentan|parece\s+de|parece\s+tener|parecen\s+de|parecia\s+de|parece\s+que\s+tiene|"
        r"se\s+ve(?:n|ia)?\s+(?:como\s+)?de|parece\w*\s+como\s+de|no\s+pasa\s+de|no\s+pasan\s+de)"
        rf"\s+{_QUALIFIERS}\Z"
    ),
    ("tien", "ten", "tuv", "cumpl", "aparent", "parec", "se ve", "pasa"),
)
_L_ES_ELLIPSIS = _Left(
    re.compile(r"\by\s+(?P<subj>ella|el|yo|la\s+otra|el\s+otro)\s+\Z"),
    ("y ",),
)
_L_DE_NOUN = _Left(
    re.compile(rf"(?P<noun>\b[a-z]+)\s+(?:como\s+)?de\s+{_QUALIFIERS}\Z"),
    ("de",),
)
_L_LOS = _Left(
    re.compile(
        rf"\b(?P<conj>desde|a\s+partir\s+de|a|hasta|antes\s+de|despues\s+de|de)\s+los\s+{_QUALIFIERS}\Z"
    ),
    ("los",),
)
_L_CUANDO = _Left(
    re.compile(
        r"\b(?P<conj>desde\s+que|cuando|a\s+partir\s+de\s+que|hasta\s+que|desde)\s+(?:(?:ella|el|yo)\s+)?"
        rf"(?P<verb>tenia|tuvo|cumplio|era\s+de|tendria|cumpli|tuve|tenian)\s+{_QUALIFIERS}\Z"
    ),
    ("desde", "cuando", "partir", "hasta"),
)
_L_PARTY = _Left(
    re.compile(
        r"\b(?:fiesta|fiestas|celebracion|baile|party|vestido|pastel)\s+de\s+(?:sus\s+|los\s+|mis\s+)?\Z"
    ),
    ("fiesta", "celebracion", "baile", "party", "vestido", "pastel"),
)
_L_BARE_BOUND = _Left(
    re.compile(
        r"\b(?P<cmp>under|below|over|above|younger\s+than|older\s+than|not\s+even|at\s+least|no\s+more\s+than|"
        r"no\s+older\s+than|not\s+older\s+than|can'?t\s+be\s+(?:more|older)\s+than|cannot\s+be\s+(?:more|older)\s+than|"
        r"menor(?:es)?\s+de|mayor(?:es)?\s+de|menos\s+de|mas\s+de)\s+\Z"
    ),
    ("under", "below", "over", "above", "than", "not even", "at least", "menor", "mayor", "menos", "mas de"),
)

_APPEARANCE_WORDS = ("look", "seem", "appear", "parece", "parec", "aparent", "se ve")
_UPPER_EXCLUSIVE = ("not even", "under", "below", "younger than", "less than", "menor", "menos de", "ni")
_UPPER_INCLUSIVE = ("no more than", "no older than", "not older than", "can't be", "cant be", "cannot be")
_LOWER = ("over", "above", "older than", "more than", "at least", "mayor", "mas de")
_ALMOST = ("almost", "nearly", "casi")
_FUTURE = ("turns", "turning", "will be", "'ll be", "will turn", "about to turn", "va a cumplir", "cumplira",
           "voy a cumplir", "van a cumplir", "iba a cumplir")  # fmt: skip
_NOT = ("not ", "no ", "todavia no", "aun no", "ni siquiera")
_PAST_VERBS = ("was", "were", "tenia", "tuvo", "tuve", "tenian", "cumplio", "cumpli")


# After a bare age ("she is 15 and…", "tiene 14, la conocí…") comes a function word or punctuation; a noun
# after a number means it counts something.
# Constructions that also introduce counts ("tiene 20 empleados", "at least 10 mattresses").
_COUNTABLE = frozenset({"tiene", "bound", "at"})
_BARE_AGE_FOLLOWERS = frozenset(
    {"and", "or", "but", "y", "o", "e", "u", "pero", "now", "yet", "already", "ahora", "ya", "todavia",
     "aun", "apenas", "nomas", "next", "this", "in", "on", "en", "el", "la", "when", "cuando", "so",
     "because", "porque", "who", "que", "she", "he", "i", "ella", "his", "her", "su", "with", "con",
     "today", "hoy", "soon", "pronto", "at", "since", "desde", "according", "segun", "though", "too",
     "also", "tambien", "maybe", "probably", "quizas", "creo", "anyway", "is", "es", "was", "era", "has",
     "tiene", "lives", "vive", "from", "de", "del", "if", "si", "then", "luego", "years", "year", "anos",
     "nada", "solamente", "este", "esta", "the", "a", "an", "una", "un", "mas", "more", "no", "not",
     "como", "by", "para", "for", "yrs", "going", "lol", "my", "mi", "we", "they", "ellos", "ellas", "le",
     "lo", "me", "te", "se", "nos", "les", "los", "las", "just", "only", "solo", "dice", "says", "said",
     "dijo"}
)  # fmt: skip


@dataclass(slots=True)
class AgeReading:
    """An age stated in the narrative, with what the grammar says about whose and when."""

    start: int
    end: int
    low: int
    high: int
    # stated: said as a fact, exact or approximate ("15", "about 15", "15 or 16", "almost 18")
    # appearance: how the person looks ("looks 14", "parece de 13"); bound: "under 16", "not 18 yet"
    kind: str
    # now | past ("when she was 14", "a los 13") | since ("since she was 15", "desde los 15") | future
    time: str
    # Token index of the person word the grammar attaches the age to, if it names one.
    subject: int | None
    first_person: bool
    # Where to look back for the person when the grammar names none ("Tiene 15 años.").
    search_from: int
    words: str = ""
    # Which construction read it: "since", "cuando", "los", "tiene", "predicate", "apposition"…
    grammar: str = ""

    @property
    def minor(self) -> bool:
        return self.high < ADULT_AGE

    @property
    def adult(self) -> bool:
        return self.low >= ADULT_AGE


_LIST_SEPARATOR = re.compile(r",|\b(?:and|y|e)\b")


def read_ages(narrative: Narrative) -> list[AgeReading]:
    readings = []
    for match in NUMBER_GROUP.finditer(narrative):
        values = parse_numbers(match.group())
        reading = _read_number(narrative, match.start(), match.end(), values)
        if reading is None:
            continue
        if len(values) > 1 and reading.kind == "stated" and _LIST_SEPARATOR.search(match.group()):
            # "16 and 19", "de 16, 18 y 20 años": the ages of several people, so the youngest is a stated age.
            # ("16 or 17", "14-16" are one person's uncertain age: a range.)
            reading.high = reading.low
        readings.append(reading)
    return readings


def _next_word(narrative: Narrative, position: int) -> str | None:
    """The word right after `position`, unless punctuation comes first."""
    index = narrative.token_at(position)
    if index >= len(narrative.words):
        return None
    gap = narrative.folded[position : narrative.starts[index]]
    if gap.strip():
        return None
    return narrative.words[index]


def _read_number(narrative: Narrative, start: int, end: int, values: list[int]) -> AgeReading | None:
    if not values or max(values) > 99 or min(values) <= 0:
        return None
    text = narrative.folded
    left = text[max(0, start - 56) : start]
    right = text[end : end + 56]
    left_offset = start - len(left)

    # English age markers: "15-year-old", "15 years old", "15yo", "15 y/o", "15 years of age".
    marker = (
        _R_YEARS_OLD.match(right)
        or _R_YEARS_OF_AGE.match(right)
        or _R_YO.match(right)
        or _R_YO_SPACED.match(right)
    )
    if marker is not None:
        reading = _with_left_context(narrative, start, end + marker.end(), values, left, left_offset)
        if _L_I_AM_A.search(left):
            reading.subject, reading.first_person = None, True
        elif marker.re is not _R_YEARS_OF_AGE:
            # "Caller's 30-year-old daughter": the age belongs to the person word it modifies.
            modified = _noun_after(narrative, end + marker.end())
            if modified is not None:
                reading.subject, reading.first_person = modified, False
        return reading

    # Spanish "N años": an age or a duration, decided by the words around it.
    anos = _R_ANOS.match(right)
    if anos is not None:
        return _read_anos(narrative, start, end, end + anos.end(), values, left, left_offset, anos)

    # A bare number: an age only where the grammar asks for one and the next word is not a unit.
    next_word = _next_word(narrative, end)
    if next_word in lexicon.UNIT_WORDS and not _R_PLUS.match(right):
        if next_word in {"years", "year"} and _L_PREDICATE.search(left):
            # "she is 15 years and…": how many Spanish speakers write "15 years old" in English.
            return _with_left_context(narrative, start, end, values, left, left_offset, require=True)
        return None
    if right[:1] in {"'", "/", "%", ":"}:
        return None
    plus = _R_PLUS.match(right)
    if plus is not None:
        reading = _with_left_context(narrative, start, end + plus.end(), values, left, left_offset)
        reading.low, reading.high, reading.kind = min(values), 120, "bound"
        return reading
    reading = _with_left_context(narrative, start, end, values, left, left_offset, require=True)
    if (
        reading is not None
        and reading.grammar in _COUNTABLE
        and next_word not in _BARE_AGE_FOLLOWERS | {None}
    ):
        return None  # "tiene 20 empleados", "at least 10 mattresses": a count, not an age
    return reading


def _read_anos(
    narrative: Narrative,
    start: int,
    end: int,
    span_end: int,
    values: list[int],
    left: str,
    left_offset: int,
    anos: re.Match[str],
) -> AgeReading | None:
    if _L_PARTY.search(left):
        return None  # "fiesta de quince años": a party, not an age
    age_grammar = (
        anos.group("edad")
        or _L_LOS.search(left)
        or _L_CUANDO.search(left)
        or _L_AGE.search(left)
        or _L_ES_ELLIPSIS.search(left)
    )
    tiene = _L_TIENE.search(left)
    next_word = _next_word(narrative, span_end)
    duration_right = next_word is not None and (
        next_word in lexicon.ES_DURATION_RIGHT or next_word.endswith(("ando", "iendo", "yendo"))
    )
    if not age_grammar:
        if tiene is not None:
            if duration_right and not tiene.group("verb").startswith(("cumpl", "va ", "iba", "acab")):
                return None  # "tiene 10 años trabajando ahí": he has worked there ten years
            return _with_left_context(narrative, start, span_end, values, left, left_offset)
        noun = _L_DE_NOUN.search(left)
        if noun is not None:
            word = noun.group("noun")
            if word in lexicon.PERSON_WORDS:
                return _with_left_context(narrative, start, span_end, values, left, left_offset)
            if word in lexicon.ES_DURATION_NOUNS:
                return None
        previous = _word_before_qualifiers(left)
        if previous in lexicon.ES_DURATION_LEFT:
            return None  # "hace 15 años", "lleva 10 años", "durante 5 años"
        if previous not in lexicon.ES_AGE_LEFT and duration_right:
            return None  # "15 años en el negocio"
    return _with_left_context(narrative, start, span_end, values, left, left_offset)


def _word_before_qualifiers(left: str) -> str | None:
    stripped = re.sub(rf"(?:\b{_QUALIFIER}\s+)*\Z", "", left)
    words = re.findall(r"[a-z0-9']+", stripped[-24:])
    return words[-1] if words else None


def _with_left_context(
    narrative: Narrative,
    start: int,
    end: int,
    values: list[int],
    left: str,
    left_offset: int,
    require: bool = False,
) -> AgeReading | None:
    """Read who and when from the words before the number. With `require`, no age grammar means no age."""
    low, high = min(values), max(values)
    kind, time = "stated", "now"
    subject: int | None = None
    first_person = False
    span_start = start
    quals = ""
    grammar = ""

    def subject_token(group_start: int) -> int:
        return narrative.token_at(left_offset + group_start)

    if (match := _L_SINCE.search(left)) is not None:
        grammar = "since"
        time = "since" if "since" in match.group("conj") else "past"
        subject = subject_token(match.start("subj"))
        quals = match.group("quals")
        span_start = left_offset + match.start()
    elif (match := _L_CUANDO.search(left)) is not None:
        grammar = "cuando"
        time = "since" if "desde" in match.group("conj") or "partir" in match.group("conj") else "past"
        first_person = match.group("verb") in {"tuve", "cumpli"} or " yo " in f" {match.group()} "
        quals = match.group("quals")
        span_start = left_offset + match.start()
    elif (match := _L_LOS.search(left)) is not None:
        conj = match.group("conj")
        if conj in {"hasta", "antes de", "despues de"}:
            return None
        grammar = "los"
        time = "since" if conj in {"desde", "a partir de"} else "past"
        quals = match.group("quals")
        span_start = left_offset + match.start()
    elif (match := _L_TIENE.search(left)) is not None:
        grammar = "tiene"
        verb = match.group("verb")
        quals = match.group("quals")
        first_person = verb.endswith(("tengo", "tenemos", "cumpli", "voy a cumplir", "acabo de cumplir"))
        if any(word in verb for word in ("aparent", "parece", "parec", "se ve")):
            kind = "appearance"
        if verb.startswith("ni siquiera"):
            quals = f"not even {quals}"
        elif "no pasa" in verb or (verb.startswith(_NOT) and quals.startswith("mas de")):
            quals = f"no more than {quals}"  # "no pasa de los 15", "no tiene más de 15"
        elif verb.startswith(_NOT):
            quals = f"not {quals}"  # "todavía no cumple 18", "no tiene 18"
        if verb.endswith(("tenia", "tuvo", "tenian")) or verb in {"cumplio", "cumpli"}:
            time = "past" if verb.endswith(("tenia", "tuvo", "tenian")) else time
        if any(word in verb for word in ("va a cumplir", "cumplira", "voy a cumplir", "van a cumplir")) or (
            verb in {"cumple", "cumplen"} and _R_FUTURE_TIME.match(narrative.folded, end)
        ):
            quals = f"turning {quals}"
        span_start = left_offset + match.start()
    elif (match := _L_AGE.search(left)) is not None:
        grammar = "age"
        quals = f"{match.group('cmp') or ''} {match.group('quals')}"
        if match.group("time") in {"at", "since", "from", "by", "starting at", "desde", "a"}:
            time = "since" if match.group("time") in {"since", "desde", "from"} else "past"
        span_start = left_offset + match.start()
    elif (match := _L_LOOKS.search(left)) is not None:
        grammar = "looks"
        kind = "appearance"
        quals = match.group("quals")
        span_start = left_offset + match.start()
    elif (match := _L_CLAIMS.search(left)) is not None:
        grammar = "claims"
        quals = match.group("quals")
        span_start = left_offset + match.start()
    elif (match := _L_FIRST_PERSON.search(left)) is not None:
        grammar = "first_person"
        first_person = True
        quals = match.group("quals")
        if " was" in match.group():
            time = "past"
        span_start = left_offset + match.start()
    elif (match := _L_PREDICATE.search(left)) is not None and (
        _is_person_subject(narrative, predicate_subject := _predicate_subject(narrative, match, left_offset))
    ):
        grammar = "predicate"
        subject = predicate_subject
        verb = match.group("verb") or match.group("contraction") or ""
        quals = (
            f"{verb} {match.group('quals')}"
            if verb not in {"is", "'s", "are", "'re"}
            else match.group("quals")
        )
        if verb in _PAST_VERBS:
            time = "past"
        first_person = narrative.words[subject] in {"i", "i'm", "we", "we're"} or verb == "'m"
        span_start = left_offset + match.start()
        if subject < narrative.token_at(span_start) and match.group("verb"):
            span_start = left_offset + match.start("verb")  # "the boy he brought … is 15": point at "is 15"
    elif (match := _L_APPOSITION.search(left)) is not None and _apposition_noun(
        narrative, subject_token(match.start("noun"))
    ):
        if not _R_APPOSITION_END.match(narrative.folded, end):
            return None
        if "(" in match.group() and narrative.folded[end : end + 1] == ")":
            end += 1  # "the victim (14)"
        grammar = "apposition"
        subject = subject_token(match.start("noun"))
        quals = match.group("quals")
        span_start = left_offset + match.start()
    elif (match := _L_NOUN_ABOUT.search(left)) is not None and match.group("noun") in lexicon.PERSON_WORDS:
        grammar = "noun_about"  # "a woman about 35", "the girl who is maybe 15"
        subject = subject_token(match.start("noun"))
        span_start = left_offset + match.start()
    elif ((match := _L_OF.search(left)) is not None and match.group("noun") in lexicon.PERSON_WORDS) or (
        (match := _L_DE_NOUN.search(left)) is not None and match.group("noun") in lexicon.PERSON_WORDS
    ):
        grammar = "of"
        subject = subject_token(match.start("noun"))
        if _L_I_AM_A.search(left, 0, match.start("noun")):
            subject, first_person = None, True  # "soy una señora de 70 años"
        quals = match.group("quals")
        span_start = left_offset + match.start()
    elif (match := _L_ES_ELLIPSIS.search(left)) is not None:
        grammar = "ellipsis"
        subject = subject_token(match.start("subj"))
        first_person = match.group("subj") == "yo"
        span_start = left_offset + match.start()
    elif (match := _L_AT.search(left)) is not None:
        grammar = "at"
        time = "since" if match.group().startswith(("from", "since")) else "past"
        span_start = left_offset + match.start()
    elif (match := _L_BARE_BOUND.search(left)) is not None:
        if not 10 <= low <= 25:
            return None  # "over 50 people", "under 10 minutes": only bounds near 18 are about minors
        grammar = "bound"
        quals = match.group("cmp")
        span_start = left_offset + match.start()
    if require and not grammar:
        return None

    quals = " ".join(quals.split())
    if time in {"past", "since"}:
        high = low  # "from age 13 to 19": the youngest age at exploitation is what counts
    if any(word in quals for word in _FUTURE):
        low = high = max(low - 1, 0)
        time = "future"
    elif any(quals.startswith(word) or f" {word}" in f" {quals}" for word in _ALMOST):
        low = high = max(low - 1, 0)
    elif any(word in quals for word in _UPPER_INCLUSIVE) or "no more than" in quals:
        low, high, kind = 0, high, "bound"
    elif quals.startswith("not even") or any(f" {word} " in f" {quals} " for word in _UPPER_EXCLUSIVE):
        low, high, kind = 0, max(low - 1, 0), "bound"
    elif any(f" {word} " in f" {quals} " for word in _LOWER):
        low, high, kind = low, 120, "bound"
    elif re.search(r"(?:^|\s)(?:not|no)(?:\s|$)", quals):
        low, high, kind = 0, max(low - 1, 0), "bound"  # "she's not 18 yet", "no tiene 18"

    return AgeReading(
        start=span_start,
        end=end,
        low=low,
        high=high,
        kind=kind,
        time=time,
        subject=subject,
        first_person=first_person,
        search_from=span_start,
        words=narrative.folded[span_start:end],
        grammar=grammar,
    )


def _predicate_subject(narrative: Narrative, match: re.Match[str], left_offset: int) -> int:
    """The subject of "… is 16": the word before the verb, or across a relative clause the noun it
    describes ("the girl he is selling is 16")."""
    index = narrative.token_at(
        left_offset + (match.start("subj_c") if match.group("subj_c") else match.start("subj"))
    )
    if _is_person_subject(narrative, index):
        return index
    clause_start = narrative.token_at(narrative.clause(narrative.starts[index])[0])
    for back in range(index - 1, max(clause_start, index - 6) - 1, -1):
        if narrative.words[back] in lexicon.PERSON_WORDS:
            return back
    return index


def _is_person_subject(narrative: Narrative, index: int) -> bool:
    if index >= len(narrative.words):
        return False
    word = narrative.words[index].removesuffix("'s")
    if (
        word in lexicon.PERSON_WORDS
        or word in lexicon.FEMININE_PRONOUNS
        or word in lexicon.MASCULINE_PRONOUNS
    ):
        return True
    if word in lexicon.REPORTER_WORDS or word in lexicon.GROUP_WORDS or word in {"who", "we", "you", "i"}:
        return True
    if index > 0 and narrative.words[index - 1] in _PLACE_PREPOSITIONS:
        return False  # "from Honduras", "en Houston": a place, not a name
    return narrative.is_capitalized(index) and word not in _NOT_NAMES


def _apposition_noun(narrative: Narrative, index: int) -> bool:
    if index >= len(narrative.words):
        return False
    word = narrative.words[index]
    if word in lexicon.PERSON_WORDS:
        return True
    return narrative.is_capitalized(index) and word not in _NOT_NAMES and not word.isdigit()


def _noun_after(narrative: Narrative, position: int) -> int | None:
    """The person word a "15-year-old" modifies: "15-year-old girl", "15 y/o Hispanic female"."""
    index = narrative.token_at(position)
    previous_end = position
    for current in range(index, min(index + 3, len(narrative.words))):
        if any(char in ",.;:()" for char in narrative.folded[previous_end : narrative.starts[current]]):
            return None
        if narrative.words[current] in lexicon.PERSON_WORDS:
            return current
        previous_end = narrative.ends[current]
    return None


_PLACE_PREPOSITIONS = frozenset(
    {"from", "in", "at", "to", "near", "on", "of", "de", "en", "del", "desde", "a"}
)
# Capitalized words that start sentences or name places and things, not people.
_NOT_NAMES = frozenset(
    {"the", "a", "an", "this", "that", "it", "there", "he", "she", "they", "we", "i", "my", "her", "his",
     "our", "their", "caller", "reporter", "el", "la", "los", "las", "un", "una", "mi", "su", "es", "hay",
     "rent", "what", "which", "everything", "nothing", "something", "who", "where", "when", "today",
     "tonight", "now", "then", "price", "debt", "total", "pv", "rp", "dob", "age", "edad", "and", "but",
     "so", "if", "no", "yes", "not", "also", "one"}
)  # fmt: skip

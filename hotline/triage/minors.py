"""Is a minor involved? Read from the tip's persons and its narrative (English and Spanish), with evidence.

DESIGN.md: `confirmed` when a stated age or date of birth puts a victim under 18 at the time of exploitation,
`likely` when the narrative suggests it, `adult` only when every victim is shown 18 or over, `unknown`
otherwise; conflicting evidence resolves toward the minor, because a missed minor is the costly error.

Whose age is it? Ages of suspects, buyers and the reporter do not count, nor do the victim's children who are
elsewhere or the employer's children she looks after. A minor age at the time of exploitation counts even when
the victim is an adult now ("since she was 15", "desde los 15").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from hotline.triage import lexicon
from hotline.triage.ages import ADULT_AGE, AgeReading, read_ages
from hotline.triage.models import Evidence, MinorAssessment
from hotline.triage.narrative import Cues, Narrative

MAX_EVIDENCE = 12


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


# --- words that suggest a minor, or an adult ------------------------------------------------------------

_MINOR = (
    r"menor(?:es)?\s+de\s+edad|minors?|under-?age|under\s+age|juveniles?|child(?:ren)?|kids?|kiddos?|"
    r"youngsters?|pre-?teens?|tweens?|school\s?girls?|school\s?boys?|toddlers?|infants?|"
    r"little\s+(?:girls?|boys?|ones?)|young\s+(?:girls?|boys?|teens?)|csec|dmst|amber\s+alert|runaways?|"
    r"foster\s+(?:care|home|kid|child|parents?|family|mom|mother)|group\s+home|"
    r"juvenile\s+(?:hall|detention|probation|court)|child\s+protective|menor(?:es)?|ninas?|ninos?|nenas?|"
    r"nenes?|ninitas?|ninitos?|chiquillas?|chiquitas?|criaturas?|infantes?|(?:una|la|las|unas)\s+pequenas?|"
    r"casa\s+hogar|albergue\s+(?:infantil|de\s+menores)|trabajo\s+infantil|explotacion\s+infantil|"
    r"(?:hij[ao]s|nin[ao]s)\s+(?:pequen[ao]s|chiquit[ao]s|menores)|hijit[ao]s|hermanit[ao]s|"
    r"(?:young|small|little)\s+(?:kids|children|sons?|daughters?)"
)
_TEEN = (
    r"teen(?:s|ager|agers|age|aged)?|adolescents?|adolescentes?|jovencit[ao]s?|muchachit[ao]s?|"
    r"chamac[ao]s?|chamaquit[ao]s?|chavit[ao]s?|(?:very|too|so)\s+young(?![- ]?looking)|muy\s+jovenes?|"
    r"muy\s+jovencitas?|"
    r"demasiado\s+jovenes?|(?:in\s+(?:her|his|their)\s+|(?:early|mid|late)[- ]?)teens|quinceaneras?"
)
_APPEARANCE = (
    r"(?:lying|lies|lied|miente|mintio)\s+(?:about|sobre)\s+(?:her|his|su)\s+(?:age|edad)|"
    r"(?:looks?|looked|seems?|seemed|appears?|appeared)\s+(?:very\s+|really\s+|so\s+|too\s+|much\s+)?"
    r"(?:young(?:er)?|underage|under\s+age|like\s+(?:a\s+|she's\s+a\s+|she\s+is\s+a\s+)?(?:kid|child|minor|"
    r"teen(?:ager)?|little\s+girl|middle\s+schooler|high\s+schooler|baby))|young[- ]looking|baby[- ]?faced?|"
    r"(?:se\s+ven?|se\s+veia|parecen?|parecia|aparentan?)\s+(?:muy\s+|bien\s+|mas\s+)?(?:joven(?:es)?|"
    r"jovencit[ao]s?|menor(?:es)?(?:\s+de\s+edad)?|nin[ao]s?|una\s+nina|un\s+nino|chiquit[ao]s?|chamac[ao]s?|"
    r"adolescentes?|de\s+secundaria|de\s+prepa)"
)
_GRADE_NUMBER = (
    r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|"
    r"twelfth)"
)
_ES_ORDINAL = (
    r"(?:primero|primer|segundo|tercero|tercer|cuarto|quinto|sexto|septimo|octavo|noveno|1ro|2do|3ro|4to|"
    r"5to|6to|1er|1ero|1o|2o|3o|\d{1,2}\s*(?:o|vo|mo|to|ro|do|er))"
)
_SCHOOL = (
    rf"middle\s*school(?:ers?)?|junior\s+high|high\s*school(?:ers?)?|elementary(?:\s+school)?|grade\s+school|"
    rf"primary\s+school|kindergarten|{_GRADE_NUMBER}[- ]grade(?:rs?)?|grade\s+(?:\d{{1,2}}|k)\b|"
    r"freshm[ae]n|sophomores?|(?:junior|senior)s?\s+(?:in|at)\s+(?:high|[a-z]+\s+high)|"
    r"goes\s+to\s+school|going\s+to\s+school|go\s+to\s+school|at\s+school|from\s+school|after\s+school|"
    r"before\s+school|skip(?:s|ping|ped)?\s+school|miss(?:es|ing|ed)?\s+school|(?:her|his)\s+school|"
    r"school\s+(?:bus|counselor|nurse|resource\s+officer|district|uniform|social\s+worker)|"
    r"(?:dropped|drop)\s+out\s+of\s+school|truan(?:t|cy)|(?:in|at)\s+(?:my|her|his|our|their|the\s+same)\s+"
    r"(?:grade|class)|same\s+grade|classmates?|"
    r"(?:en|de)\s+(?:mi|su|el\s+mismo)\s+(?:grado|salon)|companer[ao]s?\s+de\s+(?:clase|escuela|salon|grado)|"
    rf"{_ES_ORDINAL}\s+(?:ano\s+)?(?:de\s+)?(?:grado|primaria|secundaria|secu|prepa|preparatoria|bachillerato)|"
    r"secundaria|secu|prepa|preparatoria|bachillerato|primaria|kinder|jardin\s+de\s+ninos|"
    r"(?:va|iba|van|ir|fue|ya\s+no\s+va)\s+a\s+la\s+escuela|en\s+la\s+escuela|de\s+la\s+escuela|"
    r"su\s+escuela|uniforme\s+escolar|salida\s+de\s+la\s+escuela"
)
_ADULT = (
    r"adults?|grown\s+(?:wo)?m[ae]n|grown[- ]ups?|grown\s+(?:adults?|ladies)|of\s+legal\s+age|legal\s+age|"
    r"elderly|middle[- ]aged|senior\s+citizens?|aged\s+out|"
    r"(?:in\s+(?:her|his|their)\s+|(?:early|mid|late)[- ]?)(?:twenties|thirties|forties|fifties|sixties|"
    r"seventies|[2-7]0'?s)|mayor(?:es)?\s+de\s+edad|adult[ao]s?|veintitant[ao]s|treinta\s+y\s+tant[ao]s|"
    r"cuarenta\s+y\s+tant[ao]s|veinteaner[ao]s?|treintaner[ao]s?|cuarenton[ao]s?|ancian[ao]s?|"
    r"de\s+la\s+tercera\s+edad|en\s+sus\s+(?:veintes|treintas|cuarentas|cincuentas)"
)
_CHILDHOOD = (
    r"since\s+(?:she|he|they|i|we)\s+(?:was|were)\s+(?:very\s+|really\s+)?(?:little|small)|since\s+childhood|"
    r"desde\s+(?:muy\s+)?(?:chiquit[ao]s?|pequen[ao]s?|nin[ao]s?|bebe|morrit[ao]s?)|"
    r"desde\s+que\s+(?:ella\s+|el\s+)?(?:era|eran)\s+(?:muy\s+)?(?:chiquit[ao]s?|pequen[ao]s?|nin[ao]s?|"
    r"menor(?:es)?(?:\s+de\s+edad)?|adolescentes?|bebe)|desde\s+(?:su|la)\s+infancia"
)
_CUES = Cues(
    rf"(?P<childhood>{_CHILDHOOD})|(?P<school>{_SCHOOL})|(?P<appearance>{_APPEARANCE})|"
    rf"(?P<adult>{_ADULT})|(?P<teen>{_TEEN})|(?P<minor>{_MINOR})",
    after=r"\b",
)

# "since she was a minor", "when she was in middle school", "desde que era niña": a minor back then.
_CUE_PAST_LEFT = re.compile(
    r"(?:(?:\b(?P<since>since|ever\s+since|desde(?:\s+que)?)|\b(?:when|back\s+when|cuando))\s+"
    r"(?:(?:she|he|they|i|we|ella|el|yo)\s+)?(?:was|were|era|eran|estaba|estaban|iba|started|entered)?\s*"
    r"|\b(?P<was>(?:was|were|used\s+to\s+be|fue|era)\s+))"
    r"(?:(?:a|an|in|en|la|el|una|un|only|just|still|at|the)\s+)*(?:[a-z]+\s+)?\Z"
)
_MINOR_ADJECTIVE_NOUNS = frozenset(
    {"injury", "injuries", "issue", "issues", "problem", "problems", "role", "league", "detail", "details",
     "thing", "things", "offense", "offence", "crime", "crimes", "accident", "cuts", "bruises", "charge",
     "charges", "change", "changes", "amount", "infraction", "incident", "incidents", "damage", "surgery",
     "illness", "concern", "concerns", "part", "key", "scale", "matter", "fee", "repairs", "violation",
     "violations", "traffic", "medida", "cantidad", "riesgo", "precio", "problema", "costo", "parte",
     "tamano", "importancia", "escala", "que", "grado", "gravedad", "lesiones", "golpes"}
)  # fmt: skip
_NICKNAME = re.compile(
    r"\b(?:call\w*|nicknam\w*|le\s+dic\w*|le\s+llam\w*)\s+(?:\w+\s+){0,2}[\"'](?:the\s+|la\s+|el\s+)?\Z"
)
_YOUNGER_KIN = frozenset(
    {"hermana", "hermano", "hermanas", "hermanos", "hija", "hijo", "hijas", "hijos", "prima", "primo",
     "primas", "primos", "tia", "tio", "sobrina", "sobrino"}
)  # fmt: skip
_CHILD_COMPOUNDS = frozenset(
    {"care", "support", "custody", "seat", "seats", "proof", "birth", "hood", "like"}
)
_CHILD_NOT_AFTER = frozenset({"only", "with", "inner", "like", "como", "unborn"})
# "treats her like a child", "la trata como a una niña chiquita"
_COMPARISON = re.compile(
    r"\b(?:like|como|as\s+if\s+she\s+(?:was|were)|as\s+though)\s+(?:a\s+|an\s+)?(?:una\s+|un\s+)?"
    r"(?:(?:little|small|nin[ao]|chiquit[ao])\s+)?\Z"
)
_ADULT_NOT_PERSON = frozenset(
    {"website", "websites", "site", "sites", "entertainment", "ads", "ad", "services", "section", "content",
     "store", "stores", "shop", "video", "videos", "film", "films", "movie", "movies", "industry", "club",
     "clubs", "day", "education", "classes", "class", "school", "bookstore", "theater", "theatre", "page",
     "pages", "toy", "toys", "swim", "ed", "book", "books", "magazine", "magazines", "material", "novelty",
     "dating", "chat", "app", "apps", "business", "businesses"}
)  # fmt: skip

_EDUCATION_HISTORY = re.compile(
    r"\b(?:finish(?:ed|es)?|complet(?:ed|es)?|only\s+went|went\s+(?:up\s+)?to|studied|study|education|"
    r"educated|graduat\w*|diploma|ged|degree|level|termino|terminar|termine|estudio|estudie|estudios|"
    r"llego\s+hasta|curso|escolaridad|nivel|hasta|dejo|quit|left)\b"
)
_ATTENDS = re.compile(r"\b(?:is\s+in|esta\s+en|goes\s+to|va\s+(?:a|en)|attends|cursa)\b")
_EDUCATION_AFTER = re.compile(r"\s*(?:education|level|diploma|degree|equivalency|de\s+estudios|completa)\b")
_LOCATION_BEFORE = frozenset(
    {"near", "nearby", "across", "behind", "beside", "next", "outside", "front", "by", "past", "blocks",
     "block", "miles", "mile", "cerca", "frente", "enfrente", "lado", "detras", "afuera", "fuera", "junto",
     "cuadras", "cuadra", "street", "calle"}
)  # fmt: skip
_ADULT_SCHOOL_RIGHT = re.compile(
    r"\s*(?:de\s+(?:ingles|manejo|belleza|enfermeria|cosmetologia|adultos|computacion)|nocturna|para\s+adultos)"
)
_COLLEGE = frozenset(
    {"college", "university", "universidad", "campus", "uni", "community", "state", "grad", "law", "medical",
     "nursing", "beauty", "cosmetology", "trade", "flight", "driving"}
)  # fmt: skip
_REPORTER_PAST = re.compile(
    r"\b(?:i|we|yo|nosotras|nosotros)\b.*\b(?:was|were|went|met|together|estudiamos|fuimos|estaba|conoci|"
    r"juntas|juntos)\b|\b(?:when|cuando)\s+(?:i|we|yo)\b"
)

# The victim's children are counted when they are in the situation, not when they are elsewhere.
_AWAY = re.compile(
    r"\b(?:back\s+home|back\s+in|in\s+(?:mexico|guatemala|honduras|el\s+salvador|nicaragua|colombia|"
    r"venezuela|ecuador|peru|china|india|the\s+philippines|her\s+country|his\s+country|their\s+country)|"
    r"sends?\s+money|sending\s+money|to\s+support|abroad|overseas|left\s+behind|en\s+su\s+pais|"
    r"en\s+(?:mexico|guatemala|honduras|el\s+salvador|nicaragua|colombia|venezuela|ecuador|peru)|alla|"
    r"manda\w*\s+dinero|envia\w*\s+dinero|para\s+mantener|se\s+quedaron|se\s+quedo|"
    r"(?:con|with)\s+(?:su|sus|her|his|their)\s+(?:abuela|abuelos|abuelita|grandmother|grandma|grandparents|"
    r"family|familia|father|papa)|visit\w*\s+(?:her|his|their)|ver\s+a\s+sus|en\s+el\s+pueblo|en\s+su\s+tierra)\b"
)
_CARE_FOR = re.compile(
    r"\b(?:takes?\s+care\s+of|taking\s+care\s+of|took\s+care\s+of|care\s+for|cares\s+for|babysit\w*|"
    r"watch(?:es|ing)?\s+(?:the|their|his|her)|nanny|nannies|cuida\w*|ninera|nana|"
    r"teach(?:es|ing)?|teacher|maestra|maestro)\b"
)
_EMPLOYERS_CHILDREN = re.compile(
    r"\s+(?:de\s+(?:la|los|sus)\s+(?:senora|patrona|patrones|familia|duenos|jefes|senores)|"
    r"del\s+(?:patron|dueno|jefe|senor|matrimonio))\b"
)

# The reporter is the victim: "he makes me", "no me paga", "I can't leave".
_FIRST_PERSON_VICTIM = Cues(
    r"\b(?:makes|made|forces|forced|force|sells|sold|sell|selling|won't\s+let|doesn't\s+let|don't\s+let|"
    r"didn't\s+let|took|takes|keeps|kept|hits|beats|beat|threatens|threatened|pays|paid|rapes|raped|pimps|"
    r"pimped|trafficked|locked|locks|holds|held|owns|posts|posted|brought)\s+(?:me|us)\b|"
    r"\b(?:i|we)\s+(?:was|am|'m|were|are|get|got)\s+(?:being\s+)?(?:forced|sold|trafficked|made|pimped|"
    r"locked|held|kept|not\s+paid|stuck|trapped)\b|\bi'm\s+(?:forced|stuck|trapped|being)\b|"
    r"\b(?:i|we)\s+(?:have|had)\s+to\s+(?:work|have\s+sex|sleep|see|do|sell|make|give|pay)\b|"
    r"\b(?:i|we)\s+(?:can't|cannot|couldn't)\s+(?:leave|go|get\s+out|escape)\b|"
    r"\bmy\s+(?:pimp|trafficker|employer|boss)\b|"
    r"\b(?:me|nos)\s+(?:obliga\w*|hace|hacen|hacia|hacian|vende\w*|vendio|vendieron|pega\w*|golpea\w*|"
    r"amenaza\w*|quit\w+|tiene|tienen|tenian|encierra\w*|encerr\w+|prostitu\w+|explota\w*|trajeron|trajo|"
    r"paga|pagan|cobra\w*|deja\w*|forz\w+)\b|\bno\s+(?:me|nos)\s+(?:paga\w*|deja\w*)\b|"
    r"\b(?:tengo|tenia|tenemos)\s+que\s+(?:trabajar|acostarme|estar|ir|darle|pagar|atender)\b|"
    r"\bno\s+(?:puedo|podemos)\s+(?:salir|irme|irnos|escapar)\b|\bsigo\s+sin\s+poder\s+salir\b|"
    r"\bmi\s+(?:patron|patrona|padrote|tratante)\b|\bme\s+(?:ofrecieron|prometieron|obligaron)\b|"
    r"\b(?:offered|promised)\s+me\b|\bi\s+was\s+(?:offered|promised|trafficked|forced|sold|recruited)\b|"
    r"\bsin\s+que\s+(?:me|nos)\s+pag\w+"
)
# Words of exploitation: a past minor age in the same sentence is tied to the exploitation.
EXPLOITATION = Cues(
    r"sell\w*|sold|pimp\w*|traffick\w*|prostitut\w*|forc\w+|made\s+(?:her|him|them|me)|"
    r"makes\s+(?:her|him|them|me)|work\w*|recruit\w*|brought|bring\w*|exploit\w*|abus\w*|rap(?:e|ed|es|ing)|"
    r"escort\w*|sex\w*|dates?|clients?|customers?|johns?|ads?|post\w*|kept|keeps?|locked|debt|owe\w*|"
    r"passports?|paid|pay\w*|strip\w*|massage|club|motel|hotel|beg\w*|labor|slave\w*|servitude|groom\w*|"
    r"online|started|began|trad(?:e|ing)|vend\w*|prostitu\w*|oblig\w*|forz\w*|trabaj\w*|explot\w*|"
    r"viol\w*|traj\w*|trae\w*|recluta\w*|client\w*|deuda|debe\w*|pasaporte|pag\w*|relaciones|encerr\w*|"
    r"padrote|cantina|empez\w*|comenz\w*|pone|ponen|puso|pusieron|mand\w*|acost\w*|anuncio\w*|internet|"
    r"redes|grab\w*|videos?|fotos?|ofrec\w*|usa\w*",
    after=r"\b",
)


@dataclass(slots=True)
class _Finding:
    """One piece of narrative evidence and what it means for the victims."""

    evidence: Evidence
    effect: str  # confirmed | likely | adult | set_aside
    age: int | None = None
    sentence: tuple[int, int] = (0, 0)
    covers: set[str] = field(default_factory=set)
    covers_all: bool = False
    cancellable: bool = False  # a teen word: an adult age for the same person in the same sentence wins
    anchor_words: frozenset[str] = frozenset()
    kind: str = "age"  # or the kind of word: school, minor, teen, appearance, adult, childhood, student


@dataclass(slots=True)
class _Context:
    narrative: Narrative
    reporter_is_victim: bool


# --- the assessment ----------------------------------------------------------------------------------


def assess_minor(tip: Any, narrative: Narrative | None = None) -> MinorAssessment:
    """The minor assessment of a tip (DESIGN.md "minor"), from its persons and its narrative."""
    structured = _structured(tip)
    findings: list[_Finding] = []
    if narrative is None and tip.narrative:
        narrative = Narrative(tip.narrative)
    if narrative is not None:
        findings = _narrative_findings(narrative)

    confirmed = [f for f in findings if f.effect == "confirmed"]
    likely = [f for f in findings if f.effect == "likely"]
    adult = [f for f in findings if f.effect == "adult"]
    set_aside = [f for f in findings if f.effect == "set_aside"]
    # A teen word gives way to an adult age for the victim in the same sentence ("a 19-year-old teen mom").
    cancelled = [f for f in likely if f.cancellable and any(_same_person(f, a) for a in adult)]
    likely = [f for f in likely if f not in cancelled]

    minor_ages = [age for age in structured.minor_ages] + [f.age for f in confirmed if f.age is not None]
    # When a minor wins, adult evidence is still shown: a supervisor sees the conflict and how it resolved.
    outweighed = structured.adult_evidence + [f.evidence for f in adult]
    outweighed = [
        _restate(item, f"{item.reason}; a minor is indicated too, and conflicts resolve toward the minor")
        for item in outweighed
    ]
    if structured.minor_evidence or confirmed:
        evidence = structured.minor_evidence + [f.evidence for f in confirmed] + [f.evidence for f in likely]
        evidence += structured.likely_evidence + outweighed
        status, min_age = "confirmed", min(minor_ages)
    elif structured.likely_evidence or likely:
        evidence = structured.likely_evidence + [f.evidence for f in likely] + outweighed
        status, min_age = "likely", None
    elif _all_victims_adult(structured, adult, narrative):
        evidence = structured.adult_evidence + [f.evidence for f in adult]
        status, min_age = "adult", None
    else:
        evidence = structured.adult_evidence + [f.evidence for f in adult]
        status, min_age = "unknown", None
    evidence += [f.evidence for f in set_aside] + [
        _restate(f.evidence, "not counted: an adult age is stated for the victim in the same sentence")
        for f in cancelled
    ]
    return MinorAssessment(status=status, min_age=min_age, evidence=_unique(evidence)[:MAX_EVIDENCE])


def _same_person(teen: _Finding, adult: _Finding) -> bool:
    if adult.covers_all or adult.sentence != teen.sentence:
        return False
    return not teen.anchor_words or not adult.covers or bool(teen.anchor_words & adult.covers)


def _restate(evidence: Evidence, reason: str) -> Evidence:
    return evidence.model_copy(update={"reason": reason})


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[str, tuple[int, int] | None]] = set()
    kept = []
    for item in evidence:
        key = (item.source, item.span)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


# --- structured persons -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Structured:
    minor_ages: list[int] = field(default_factory=list)
    minor_evidence: list[Evidence] = field(default_factory=list)
    likely_evidence: list[Evidence] = field(default_factory=list)
    adult_evidence: list[Evidence] = field(default_factory=list)
    victims: int = 0
    victims_adult: int = 0


def _structured(tip: Any) -> _Structured:
    """Ages, ranges and dates of birth entered for each person, at the time the tip was received."""
    result = _Structured()
    received = tip.received_at.astimezone(UTC).date() if tip.received_at.tzinfo else tip.received_at.date()
    for person in tip.persons:
        if person.role == "suspect":
            continue
        path = f"persons[{person.position}]"
        ages: list[tuple[int, str, str, str]] = []
        if person.dob is not None:
            age = age_on(person.dob, received)
            ages.append((age, f"{path}.dob", person.dob.isoformat(), f"born {person.dob.isoformat()}: "))
        if person.age is not None:
            ages.append((person.age, f"{path}.age", str(person.age), ""))
        if person.role == "other":
            for age, source, text, prefix in ages:
                if age < ADULT_AGE:
                    result.likely_evidence.append(
                        Evidence(
                            source=source,
                            text=text,
                            reason=f"{prefix}age {age} at intake: a person under 18 is involved (as other)",
                        )
                    )
            continue
        result.victims += 1
        minor_here = [age for age, *_ in ages if age < ADULT_AGE]
        for age, source, text, prefix in ages:
            under = age < ADULT_AGE
            item = Evidence(
                source=source,
                text=text,
                reason=f"{prefix}age {age} at intake: {'under' if under else 'at least'} {ADULT_AGE}",
            )
            (result.minor_evidence if under else result.adult_evidence).append(item)
        if minor_here:
            # Conflicting ages for one person resolve toward the minor.
            result.minor_ages.append(min(minor_here))
            continue
        if ages:
            result.victims_adult += 1
            continue
        low, high = person.age_min, person.age_max
        if high is not None and high < ADULT_AGE:
            result.minor_ages.append(low if low is not None else high)
            result.minor_evidence.append(
                Evidence(
                    source=f"{path}.age_max", text=str(high), reason=f"highest age {high}: under {ADULT_AGE}"
                )
            )
        elif low is not None and low >= ADULT_AGE:
            result.victims_adult += 1
            result.adult_evidence.append(
                Evidence(
                    source=f"{path}.age_min", text=str(low), reason=f"lowest age {low}: at least {ADULT_AGE}"
                )
            )
        elif low is not None and high is not None:
            result.likely_evidence.append(
                Evidence(
                    source=f"{path}.age_min",
                    text=f"{low}-{high}",
                    reason=f"age range {low}-{high} includes ages under {ADULT_AGE}",
                )
            )
    return result


def _all_victims_adult(structured: _Structured, adult: list[_Finding], narrative: Narrative | None) -> bool:
    """`adult` only when every victim is shown to be 18 or over."""
    if structured.victims:
        # The persons entered are the victims of record; a narrative adult age can stand for one of them.
        unaged = structured.victims - structured.victims_adult
        narrative_adults = len({f.evidence.span for f in adult})
        return unaged == 0 or narrative_adults >= unaged
    if not adult:
        return False
    if any(f.covers_all for f in adult):
        return True
    covered = set().union(*(f.covers for f in adult))
    return narrative is None or not _uncovered_victims(narrative, covered)


def _uncovered_victims(narrative: Narrative, covered: set[str]) -> bool:
    """A group of possible victims with no age ("the women", "las muchachas") leaves `adult` unproven."""
    for index, word in enumerate(narrative.words):
        if word not in lexicon.PLURAL_PERSON_WORDS or word in covered:
            continue
        role_class, _ = lexicon.PERSON_WORDS[word]
        if role_class not in {"victim", "neutral"} or word in lexicon.KIN_CHILD_WORDS:
            continue
        if role_class == "neutral" and _acts_as_exploiter(narrative, index):
            continue
        if narrative.negated(narrative.starts[index]):
            continue
        if word in _BUYER_WORDS and _BUYER_CONTEXT.search(
            narrative.folded, *narrative.sentence(narrative.starts[index])
        ):
            continue  # "other men", "sus amigos" who pay: buyers, not victims
        return True
    return False


_BUYER_WORDS = frozenset({"men", "guys", "friends", "hombres", "amigos", "senores", "tipos", "males"})
_BUYER_CONTEXT = re.compile(
    r"\b(?:sex\w*|prostitu\w*|pay\w*|paid|money|dates?|dinero|pag\w+|cobr\w+|clientes?|clients?|"
    r"customers?|johns|cuartos|rooms?|motel|hotel|acost\w*|relaciones|recib\w*|atiend\w*)\b"
)


# --- narrative ----------------------------------------------------------------------------------------


def _narrative_findings(narrative: Narrative) -> list[_Finding]:
    context = _Context(narrative, reporter_is_victim=_FIRST_PERSON_VICTIM.search(narrative) is not None)
    readings = read_ages(narrative)
    findings = [_age_finding(context, reading) for reading in readings]
    taken = [(reading.start, reading.end) for reading in readings]
    for match in _CUES.finditer(narrative):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue  # part of an age already read ("15-year-old teen", "menor de 18")
        finding = _cue_finding(context, match)
        if finding is not None:
            findings.append(finding)
    if not any(f.effect == "likely" and f.kind == "school" for f in findings):
        student = _student_in_school(narrative)
        if student is not None:
            findings.append(student)
    # A minor age in the past that the sentence does not tie to the exploitation ("she came here at 16"):
    # likely, unless the victim's age now is stated as adult.
    untied = [f for f in findings if f.effect == "untied_past_minor"]
    if untied:
        now_adult = any(f.effect == "adult" for f in findings)
        for finding in untied:
            if now_adult:
                finding.effect = "set_aside"
                finding.evidence = _restate(
                    finding.evidence, "not counted: a minor age in the past, not tied to the exploitation"
                )
            else:
                finding.effect = "likely"
    return findings


_STUDENT = re.compile(r"\b(?:students?|estudiantes?|alumn[ao]s?)\b")
_SCHOOL_CONTEXT = re.compile(
    r"\b(?:school|teachers?|counselor|principal|escuela|maestr[ao]s?|profesor[ao]?|orientador[ao]?|colegio|"
    r"secundaria|prepa|primaria|high|middle|elementary)\b"
)
_COLLEGE_CONTEXT = re.compile(
    r"\b(?:college|university|universidad|campus|student\s+visa|visa\s+de\s+estudiante|grad)\b"
)


def _student_in_school(narrative: Narrative) -> _Finding | None:
    """ "a student", where the narrative is about a school, not a college: likely a minor."""
    text = narrative.folded
    match = _STUDENT.search(text)
    if match is None or not _SCHOOL_CONTEXT.search(text) or _COLLEGE_CONTEXT.search(text):
        return None
    return _Finding(
        narrative.evidence(match.start(), match.end(), "a school student (not college)"),
        "likely",
        sentence=narrative.sentence(match.start()),
    )


def _age_finding(context: _Context, reading: AgeReading) -> _Finding:
    narrative = context.narrative
    role, anchor = _role_of_reading(context, reading)
    sentence = narrative.sentence(reading.start)
    words = narrative.original[slice(*narrative.original_span(reading.start, reading.end))]
    if role != "victim":
        evidence = narrative.evidence(reading.start, reading.end, f"not counted: the age of {role}")
        return _Finding(evidence, "set_aside", sentence=sentence)
    covers = {narrative.words[anchor]} if anchor is not None else set()
    covers_all = anchor is not None and narrative.words[anchor] in lexicon.GROUP_WORDS
    if reading.minor:
        if reading.kind == "stated":
            when = {"past": "at the time", "since": "since", "future": "until turning", "now": ""}[
                reading.time
            ]
            age = reading.low
            reason = f"stated age {age}{' (' + when.strip() + ')' if when else ''}: under {ADULT_AGE}"
            if reading.time == "future":
                reason = f"turns {age + 1} soon, so {age} now: under {ADULT_AGE}"
            effect = "confirmed"
            if reading.time == "past" and not _tied_to_exploitation(narrative, reading):
                effect = "untied_past_minor"
            return _Finding(
                narrative.evidence(reading.start, reading.end, reason), effect, age=age, sentence=sentence
            )
        reason = (
            f"looks {reading.high if reading.low == 0 else reading.low}: appears under {ADULT_AGE}"
            if reading.kind == "appearance"
            else f'"{words}": said to be under {reading.high + 1}'
        )
        return _Finding(narrative.evidence(reading.start, reading.end, reason), "likely", sentence=sentence)
    if reading.adult:
        if reading.kind == "appearance":
            return _Finding(
                narrative.evidence(reading.start, reading.end, "not counted: an appearance, not an age"),
                "set_aside",
                sentence=sentence,
            )
        reason = f"stated age {reading.low}{'+' if reading.high > 99 else ''}: {ADULT_AGE} or over"
        return _Finding(
            narrative.evidence(reading.start, reading.end, reason),
            "adult",
            sentence=sentence,
            covers=covers,
            covers_all=covers_all,
        )
    reason = f'"{words}": the ages {reading.low}-{reading.high} include ages under {ADULT_AGE}'
    return _Finding(narrative.evidence(reading.start, reading.end, reason), "likely", sentence=sentence)


def _tied_to_exploitation(narrative: Narrative, reading: AgeReading) -> bool:
    start, end = narrative.sentence(reading.start)
    before = EXPLOITATION.search(narrative, start, reading.start) is not None
    after = EXPLOITATION.search(narrative, reading.end, end) is not None
    return before or after


def _cue_finding(context: _Context, match: re.Match[str]) -> _Finding | None:
    narrative = context.narrative
    kind = match.lastgroup or ""
    start, end = match.span()
    phrase = match.group()
    sentence = narrative.sentence(start)
    text = narrative.folded
    if kind == "school":
        reason = _school_excluded(narrative, match)
        if reason:
            return _Finding(
                narrative.evidence(start, end, f"not counted: {reason}"), "set_aside", sentence=sentence
            )
        return _Finding(
            narrative.evidence(start, end, "a school grade or stage the victim attends"),
            "likely",
            sentence=sentence,
            kind="school",
        )
    if kind == "adult":
        return _adult_cue(context, match)
    if kind == "childhood":
        return _Finding(
            narrative.evidence(start, end, "exploited since childhood"), "likely", sentence=sentence
        )

    # minor, teen and appearance words
    if kind == "minor":
        reason = _minor_word_excluded(context, match)
        if reason:
            if reason == "negated":
                return _negated_minor(narrative, match)
            return _Finding(
                narrative.evidence(start, end, f"not counted: {reason}"), "set_aside", sentence=sentence
            )
    if narrative.negated(start):
        return _negated_minor(narrative, match) if kind != "appearance" else None
    past = _CUE_PAST_LEFT.search(text, max(0, start - 40), start)
    if kind == "appearance":
        return _Finding(
            narrative.evidence(start, end, "described as looking like a minor"), "likely", sentence=sentence
        )
    if kind == "teen":
        if past is not None and past.group("was"):
            return _Finding(
                narrative.evidence(start, end, "a teenager at the time"),
                "untied_past_minor",
                sentence=sentence,
            )
        if past is not None:
            return _Finding(
                narrative.evidence(start, end, "a teenager at the time"), "likely", sentence=sentence
            )
        if re.match(r"(?:late|in\s+)", phrase):
            reason = "in her teens: may be under 18"
        else:
            reason = "a word for a teenager, and no adult age stated for the victim"
        # The person the teen word is about: itself ("a teen") and the noun it modifies ("teen mom").
        anchors = {word for word in re.findall(r"[a-z]+", phrase) if word in lexicon.PERSON_WORDS}
        following = _noun_after_phrase(narrative, end, end)
        if following is not None:
            anchors.add(narrative.words[following])
        return _Finding(
            narrative.evidence(start, end, reason),
            "likely",
            sentence=sentence,
            cancellable=True,
            anchor_words=frozenset(anchors),
        )
    if kind == "minor" and phrase in {"kid", "kids"} and past is None:
        # "kid" is also said of young adults ("the kid at the register, he's like 20"): like a teen word,
        # it gives way to an adult age stated for the same person.
        return _Finding(
            narrative.evidence(start, end, "a word for a minor"),
            "likely",
            sentence=sentence,
            cancellable=True,
            anchor_words=frozenset({phrase}),
        )
    if past is not None and past.group("was"):
        # "she was a teen runaway years ago but is an adult now": a minor once, not tied to the exploitation
        return _Finding(
            narrative.evidence(start, end, "a minor at the time"), "untied_past_minor", sentence=sentence
        )
    if past is not None:
        reason = "a minor at the time" if not past.group("since") else "a minor since then"
    else:
        reason = "a word for a minor"
    return _Finding(narrative.evidence(start, end, reason), "likely", sentence=sentence)


def _negated_minor(narrative: Narrative, match: re.Match[str]) -> _Finding:
    """ "not a minor", "no hay niños", "none of them are minors": the reporter says there is no minor."""
    start, end = match.span()
    clause_start, _ = narrative.clause(start)
    negation_start = max(clause_start, narrative.starts[max(0, narrative.token_at(start) - 5)])
    return _Finding(
        narrative.evidence(negation_start, end, "said not to be a minor"),
        "adult",
        sentence=narrative.sentence(start),
        covers_all=True,
    )


def _adult_cue(context: _Context, match: re.Match[str]) -> _Finding | None:
    narrative = context.narrative
    start, end = match.span()
    sentence = narrative.sentence(start)
    next_word = _word_after(narrative, end)
    if next_word in _ADULT_NOT_PERSON:
        return _Finding(
            narrative.evidence(start, end, "not counted: not about a person's age"),
            "set_aside",
            sentence=sentence,
        )
    if narrative.negated(start):
        # "she is not an adult", "no es mayor de edad"
        return _Finding(
            narrative.evidence(start, end, "said not to be an adult"), "likely", sentence=sentence
        )
    previous = narrative.words[narrative.token_at(start) - 1] if narrative.token_at(start) > 0 else ""
    index = narrative.token_at(start)
    if previous in {"with", "an"} and narrative.token_at(start) > 1 and narrative.words[index - 2] == "with":
        return _Finding(
            narrative.evidence(start, end, "not counted: an adult with the victim"),
            "set_aside",
            sentence=sentence,
        )
    anchor = _noun_after_phrase(narrative, start, end)
    if anchor is None:
        anchor = _nearest_person(narrative, start)
    role = _role_of(context, anchor, minor_age=False) if anchor is not None else "victim"
    if role != "victim":
        return _Finding(
            narrative.evidence(start, end, f"not counted: about {role}"), "set_aside", sentence=sentence
        )
    covers = {narrative.words[anchor]} if anchor is not None else set()
    phrase_words = set(re.findall(r"[a-z]+", match.group()))
    covers |= phrase_words & set(lexicon.PERSON_WORDS)
    # "They are grown men": the adult words describe the subject of the copula, and who it stands for.
    index = narrative.token_at(start)
    for back in (1, 2):
        if index - back - 1 >= 0 and narrative.words[index - back] in lexicon.COPULAS:
            subject = index - back - 1
            antecedent = _antecedent(narrative, subject)
            covers.add(narrative.words[antecedent if antecedent is not None else subject])
            break
    clause_start, _ = narrative.clause(start)
    universal = bool(
        re.search(
            r"\b(?:all|everyone|everybody|both|todas|todos|ambas|ambos|cada\s+una)\b",
            narrative.folded[clause_start:end],
        )
    ) or (anchor is not None and narrative.words[anchor] in lexicon.GROUP_WORDS)
    return _Finding(
        narrative.evidence(start, end, "said to be an adult"),
        "adult",
        sentence=sentence,
        covers=covers,
        covers_all=universal,
    )


def _word_after(narrative: Narrative, position: int) -> str | None:
    index = narrative.token_at(position)
    return narrative.words[index] if index < len(narrative.words) else None


def _noun_after_phrase(narrative: Narrative, start: int, end: int) -> int | None:
    """The person an adjective phrase describes when the person word follows it: "adult women"."""
    index = narrative.token_at(end)
    if index < len(narrative.words) and narrative.words[index] in lexicon.PERSON_WORDS:
        gap = narrative.folded[end : narrative.starts[index]]
        if not gap.strip():
            return index
    # The phrase itself may hold the person word: "grown men".
    for index in range(narrative.token_at(start), narrative.token_at(end)):
        if narrative.words[index] in lexicon.PERSON_WORDS:
            return index
    return None


def _school_excluded(narrative: Narrative, match: re.Match[str]) -> str | None:
    start, end = match.span()
    text = narrative.folded
    clause_start, clause_end = narrative.clause(start)
    index = narrative.token_at(start)
    before = narrative.words[max(0, index - 6) : index]
    history = _EDUCATION_HISTORY.search(text, max(clause_start, narrative.starts[max(0, index - 6)]), start)
    attends = history is not None and _ATTENDS.search(text, history.end(), start)
    if _EDUCATION_AFTER.match(text, end) or (history is not None and not attends):
        return "a level of schooling finished, not a school attended now"
    if set(before[-3:]) & _LOCATION_BEFORE:
        return "a place near a school"
    if _ADULT_SCHOOL_RIGHT.match(text, end):
        return "a school for adults"
    window = set(narrative.words[max(0, index - 4) : narrative.token_at(end) + 3])
    if window & _COLLEGE:
        return "college, not school"
    if _REPORTER_PAST.search(text, clause_start, clause_end):
        return "the reporter's own school days"
    return None


def _minor_word_excluded(context: _Context, match: re.Match[str]) -> str | None:
    narrative = context.narrative
    start, end = match.span()
    text = narrative.folded
    phrase = match.group()
    word = phrase.split()[0]
    index = narrative.token_at(start)
    previous = narrative.words[index - 1] if index > 0 else ""
    next_word = _word_after(narrative, end)
    if word in {"minor", "minors", "menor", "menores"} and " de edad" not in phrase:
        if next_word in _MINOR_ADJECTIVE_NOUNS:
            return "minor as in small"
        if word.startswith("menor") and (previous in _YOUNGER_KIN or next_word in lexicon.PERSON_WORDS):
            return "menor as in younger"
    if _NICKNAME.search(text, max(0, start - 30), start):
        return "a nickname, not an age"
    if word in {"child", "kid"} and next_word in _CHILD_COMPOUNDS:
        return "not about a child"
    if previous in _CHILD_NOT_AFTER or _COMPARISON.search(text, max(0, start - 30), start):
        return "a comparison, not an age"
    clause_start, clause_end = narrative.clause(start)
    sentence_start, _ = narrative.sentence(start)
    if narrative.negated(start):
        return "negated"
    if word in lexicon.KIN_CHILD_WORDS or word in {"child", "children", "kid", "kids", "ninos", "ninas"}:
        if _CARE_FOR.search(text, sentence_start, start) or _EMPLOYERS_CHILDREN.match(text, end):
            return "children the victim looks after for the employer"
        if _AWAY.search(text, clause_start, clause_end):
            return "the victim's children, elsewhere"
        if _possessor(narrative, index) in {"household", "mine"} and not EXPLOITATION.search(
            narrative, clause_start, clause_end
        ):
            return "the reporter's own children"
    return None


def _possessor(narrative: Narrative, index: int) -> str | None:
    """Whose children: the reporter's household ("I have kids"), another person's ("her kids"), or none."""
    for back in range(1, 5):
        if index - back < 0:
            return None
        word = narrative.words[index - back]
        if word in {"i", "i've", "we", "tengo", "tenemos"} or (
            word in {"have", "got"}
            and index - back - 1 >= 0
            and narrative.words[index - back - 1] in {"i", "we"}
        ):
            return "household"
        if word in {"my", "mi", "mis", "our", "nuestros", "nuestras"}:
            return "mine"
        if word in lexicon.POSSESSIVES_OF_OTHERS or word in {"has", "tiene", "have"}:
            return "another"
        if (
            word in {"of", "de"}
            and index - back - 1 >= 0
            and narrative.words[index - back - 1] in {"mother", "madre", "mama"}
        ):
            return "another"
    return None


# --- whose age ------------------------------------------------------------------------------------------


def _role_of_reading(context: _Context, reading: AgeReading) -> tuple[str, int | None]:
    narrative = context.narrative
    if reading.first_person:
        return ("victim" if context.reporter_is_victim else "the reporter"), None
    anchor = reading.subject
    if anchor is None:
        anchor = _nearest_person(narrative, reading.search_from)
        # No subject in the sentence ("…la prostituye su padrastro; ahora tiene 20"): Spanish drops the
        # subject when it is the topic, and the topic of a tip is the victim, not the last man named.
        if (
            anchor is not None
            and not _subject_position(narrative, anchor, reading)
            and _role_of(context, anchor, minor_age=reading.minor) != "victim"
        ):
            topic = _nearest_person(
                narrative,
                reading.search_from,
                accept=lambda index: _role_of(context, index, minor_age=reading.minor) == "victim",
            )
            if topic is None:
                return "victim", None
            anchor = topic
    if anchor is None:
        return "victim", None
    role = _role_of(context, anchor, minor_age=reading.minor)
    if role == "victim" and narrative.words[anchor] in lexicon.KIN_CHILD_WORDS:
        role = _kin_role(context, anchor, reading)
    anchor = _antecedent(narrative, anchor) or anchor
    return role, anchor


def _subject_position(narrative: Narrative, anchor: int, reading: AgeReading) -> bool:
    """Whether the person word is the subject the age belongs to.

    Right before the verb ("el señor tiene 70 años"); or, for an age at an event ("a los 14"), the subject
    that opens the same clause ("El padrote empezó en esto a los 14 años"), unless a clitic shows the event
    was done to someone else ("… a los 13 la vendieron"). Never the agent of a passive ("by her stepfather").
    """
    position = reading.search_from
    here = narrative.token_at(position)
    if narrative.clause(narrative.starts[anchor]) != narrative.clause(position):
        return False
    if anchor > 0 and narrative.words[anchor - 1] in {"by", "por"}:
        return False  # "trafficked by her stepfather from age 13": the agent of a passive is not the subject
    if reading.grammar not in _AGE_AT_AN_EVENT:
        return here - anchor <= 2
    clause_first = narrative.token_at(narrative.clause(position)[0])
    between = narrative.words[anchor + 1 : here]
    return anchor - clause_first <= 1 and not set(between) & lexicon.SPANISH_CLITICS


# Ages at an event ("a los 14", "at age 13", "since she was 15"): they belong to the clause's subject.
_AGE_AT_AN_EVENT = frozenset({"los", "age", "at", "since", "cuando"})


def _kin_role(context: _Context, anchor: int, reading: AgeReading) -> str:
    """A child of the victim or of the reporter counts when in the situation; not when elsewhere."""
    narrative = context.narrative
    text = narrative.folded
    clause_start, clause_end = narrative.clause(narrative.starts[anchor])
    sentence_start, _ = narrative.sentence(narrative.starts[anchor])
    if _AWAY.search(text, clause_start, clause_end):
        return "a child who is elsewhere"
    possessor = _possessor(narrative, min(anchor, narrative.token_at(reading.start)))
    if possessor == "household" and not EXPLOITATION.search(narrative, clause_start, clause_end):
        return "the reporter's own child"
    if _CARE_FOR.search(text, sentence_start, narrative.starts[anchor]):
        return "a child the victim looks after for the employer"
    return "victim"


def _role_of(context: _Context, index: int, minor_age: bool) -> str:
    """victim, or a description of whose age it is otherwise ("the suspect", "the reporter")."""
    narrative = context.narrative
    word = narrative.words[index].removesuffix("'s")
    if word in lexicon.REPORTER_WORDS:
        return "victim" if context.reporter_is_victim else "the reporter"
    if word in lexicon.FEMININE_PRONOUNS or word in lexicon.MASCULINE_PRONOUNS or word in {"who", "que"}:
        antecedent = _antecedent(narrative, index)
        if antecedent is None:
            return "victim"
        role = _role_of(context, antecedent, minor_age)
        # Bosses, mothers and buyers are not children: a minor age is not theirs but the victim's.
        return "victim" if minor_age and role != "victim" else role
    if word in lexicon.GROUP_WORDS:
        antecedent = _antecedent(narrative, index)
        return _role_of(context, antecedent, minor_age) if antecedent is not None else "victim"
    role_class, _ = lexicon.PERSON_WORDS.get(word, ("neutral", "n"))
    if role_class == "suspect":
        return "the suspect"
    if role_class == "other":
        return "another adult"
    if role_class == "neutral" and _acts_as_exploiter(narrative, index):
        return "the suspect"
    return "victim"


def _nearest_person(
    narrative: Narrative, position: int, accept: Callable[[int], bool] | None = None
) -> int | None:
    """The closest person word before `position`, in this sentence or the one before."""
    sentence_start, _ = narrative.sentence(position)
    previous = narrative.previous_sentence(position)
    limit = narrative.token_at(previous[0] if previous else sentence_start)
    index = narrative.token_before(position)
    while index >= limit:
        word = narrative.words[index].removesuffix("'s")
        if (
            word in lexicon.PERSON_WORDS
            or word in lexicon.FEMININE_PRONOUNS
            or word in lexicon.MASCULINE_PRONOUNS
            or word in lexicon.REPORTER_WORDS
            or word in lexicon.GROUP_WORDS
        ):
            head = _head_of(narrative, index)
            if accept is None or accept(head):
                return head
        index -= 1
    return None


def _head_of(narrative: Narrative, index: int) -> int:
    """In "el novio de mi hija", the person is the novio: step from a "de" complement to its head."""
    words = narrative.words
    for skip in (1, 2):
        de = index - skip
        if (
            de - 1 >= 0
            and words[de] in {"de", "del"}
            and (skip == 1 or words[index - 1] in {"mi", "su", "la", "el", "tu", "sus", "mis", "los", "las"})
        ):
            head = words[de - 1]
            if head in lexicon.PERSON_WORDS:
                return de - 1
    return index


def _antecedent(narrative: Narrative, index: int) -> int | None:
    """The person a pronoun or "who" stands for: the nearest earlier person word of a fitting gender."""
    word = narrative.words[index].removesuffix("'s")
    if word in lexicon.PERSON_WORDS:
        return None
    if word in lexicon.FEMININE_PRONOUNS:
        genders = {"f", "n"}
    elif word in lexicon.MASCULINE_PRONOUNS:
        genders = {"m", "n"}
    else:
        genders = {"f", "m", "n"}
    plural = word in lexicon.GROUP_WORDS
    start = narrative.sentence(narrative.starts[index])[0]
    for _ in range(2):
        previous = narrative.previous_sentence(start)
        if previous is None:
            break
        start = previous[0]
    limit = narrative.token_at(start)
    for candidate in range(index - 1, limit - 1, -1):
        other = narrative.words[candidate].removesuffix("'s")
        if other not in lexicon.PERSON_WORDS:
            continue
        if plural and other not in lexicon.PLURAL_PERSON_WORDS:
            continue
        role_class, gender = lexicon.PERSON_WORDS[other]
        if gender == "n" and role_class in {"suspect", "other"} and word in lexicon.FEMININE_PRONOUNS:
            continue  # "she" after "the client": she is rarely the client; keep looking
        if gender in genders:
            return candidate
    return None


def _acts_as_exploiter(narrative: Narrative, index: int) -> bool:
    """A man or woman who sells, runs, forces or keeps people is the exploiter, not the exploited."""
    words = narrative.words
    if index > 0 and words[index - 1] == "older":
        return True
    if _described_as_older(words, index):
        return True
    _, sentence_end = narrative.sentence(narrative.starts[index])
    last = min(len(words), index + 10)
    for current in range(index + 1, last):
        if narrative.starts[current] >= sentence_end:
            return False
        word = words[current]
        another_subject = (
            word in lexicon.PERSON_WORDS or word in lexicon.FEMININE_PRONOUNS or word in _SUBJECTS
        )
        if another_subject and current > index + 1 and words[current - 1] not in _BEFORE_OBJECTS:
            return False  # "a woman says her boyfriend sells her": the boyfriend does it
        if word not in lexicon.AGENT_VERBS:
            continue
        previous = words[current - 1]
        following = words[current + 1] if current + 1 < len(words) else ""
        if previous in lexicon.PASSIVE_AUXILIARIES and not word.endswith("ing"):
            return False  # "is forced", "es obligada"
        if (
            word in _NEEDS_PERSON_OBJECT_ES
            and previous not in lexicon.SPANISH_CLITICS
            and following not in {"a", "al"}
        ):
            continue  # "tiene 30 años" is not "tiene a tres muchachas"
        if (
            word in _NEEDS_PERSON_OBJECT_EN
            and following not in _EN_OBJECTS
            and not (word in _TAKES and following in {"money", "all", "their", "her"})
        ):
            continue  # "makes $500" is not "makes her work"
        participle = word.endswith(("ed", "ght")) or word in _IRREGULAR_PARTICIPLES
        if participle and following not in _EN_OBJECTS:
            continue  # "forced into prostitution", "brought to Houston": done to them, not by them
        if word in _SELLS and following in lexicon.GOODS:
            continue  # "la señora que vende tamales"
        if previous in lexicon.SPANISH_CLITICS and _disagrees(words[index], word):
            continue  # "la muchacha … la obligan": they force her; she is not the one forcing
        return True
    return False


def _described_as_older(words: list[str], index: int) -> bool:
    """ "a man older than her", "un señor mayor", "un hombre mucho mayor" — not "es mayor de edad"."""
    after = words[index + 1 : index + 4]
    if after[:1] == ["older"]:
        return True
    for offset, word in enumerate(after[:2]):
        if word == "mayor":
            following = after[offset + 1] if offset + 1 < len(after) else ""
            return following != "de" and (offset == 0 or after[0] in {"mucho", "mas", "bien"})
    return False


def _disagrees(noun: str, verb: str) -> bool:
    """Spanish number agreement: a singular person is not the subject of a plural verb, nor the reverse."""
    plural_noun = noun in lexicon.PLURAL_PERSON_WORDS
    plural_verb = verb.endswith("n")
    return plural_noun != plural_verb


_SUBJECTS = frozenset({"he", "i", "they", "yo"})
_SELLS = frozenset({"sells", "selling", "sold", "sell", "vende", "venden", "vendia", "vendio"})
_BEFORE_OBJECTS = lexicon.AGENT_VERBS | {"a", "al"}
_TAKES = frozenset({"takes", "took", "collects", "keeps", "kept"})
_IRREGULAR_PARTICIPLES = frozenset({"sold", "kept", "made", "held", "paid", "took", "beat"})
_NEEDS_PERSON_OBJECT_ES = frozenset(
    {"tiene", "tienen", "lleva", "llevan", "pone", "ponen", "manda", "mandan", "paga", "pagan"}
)
_NEEDS_PERSON_OBJECT_EN = frozenset(
    {"makes", "made", "takes", "took", "keeps", "kept", "holds", "drives", "picks", "drops", "pays", "paid",
     "watches", "brings", "brought", "runs", "running", "ran", "holding", "keeping", "introduces", "offers",
     "collects"}
)  # fmt: skip
_EN_OBJECTS = frozenset(
    {"her", "him", "them", "us", "me", "the", "a", "an", "girls", "women", "workers", "people", "kids",
     "children", "young", "two", "three", "several", "these", "those", "other"}
)  # fmt: skip

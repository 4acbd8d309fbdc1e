"""How urgent a tip is: emergency (danger now), high (a minor, or exploitation going on or recent), normal.

`emergency` when the tip says immediate danger, or the narrative says someone is in danger now or within
hours: confined ("locked in", "encerrada"), a weapon, a threat to kill, being moved tonight, "right now",
"ahora mismo". Words in a sentence about the past ("was locked in a room last year") or negated ("no
weapons", "not in immediate danger") do not count. `high` when a minor is involved, or when the exploitation
is going on or happened in the last days. `normal` when it is over ("years ago", "she escaped and is safe",
"hace años") or no situation is described (a question, a general concern).
"""

from __future__ import annotations

import re
from typing import Any

from hotline.triage.models import Evidence, MinorAssessment
from hotline.triage.narrative import Cues, Narrative

_DANGER_NOW = Cues(
    r"right\s+now|as\s+we\s+speak|at\s+this\s+moment|locked\s+(?:in|up|inside|into)|"
    r"locks?\s+(?:her|them|him|us|me)\s+(?:in|up|inside)|chained|tied\s+up|held\s+(?:captive|hostage|at\s+gunpoint)|"
    r"being\s+held|can't\s+get\s+out|cannot\s+get\s+out|trapped|guns?|rifles?|shotguns?|pistols?|armed|"
    r"firearms?|knife|knives|machete|weapons?|(?:going\s+to|gonna|will|about\s+to)\s+(?:kill|murder|shoot)|"
    r"locks?\s+the\s+doors?|doors?\s+(?:are|is)\s+locked|bleeding|unconscious|overdos\w*|not\s+breathing|tonight|this\s+evening|"
    r"in\s+(?:an|one|two|a\s+few|\d+)\s+hours?|about\s+to\s+be\s+(?:sold|moved|taken)|"
    r"(?:moving|taking|shipping|selling)\s+(?:her|them|him)\s+(?:tonight|today)|help\s+me|please\s+hurry|"
    r"send\s+(?:someone|help|police)|suicid\w*|kill\s+(?:her|him|my)self|"
    r"ahora\s+mismo|en\s+este\s+momento|ahorita|encerrad[ao]s?|encierra\w*|bajo\s+llave|con\s+candado|"
    r"amarrad[ao]s?|encadenad[ao]s?|pistolas?|armas?|armad[ao]s?|cuchillos?|navaja|"
    r"(?:la|lo|las|los|me|te|nos)\s+(?:va|van)\s+a\s+matar|con\s+llave|"
    r"sangrando|inconsciente|esta\s+noche|hoy\s+en\s+la\s+noche|hoy\s+mismo|en\s+(?:unas|una|dos|pocas)\s+horas?|"
    r"urgente|auxilio|ayudenme|ayuda\s+por\s+favor|se\s+(?:la|las|lo|los)\s+van\s+a\s+llevar|"
    r"(?:la|las|lo|los)\s+van\s+a\s+(?:mover|llevar|vender)|van\s+a\s+mover",
    after=r"\b",
)
# A sentence about the past, or about the reporter's own evening ("I drove past tonight").
_PAST_SENTENCE = re.compile(
    r"\b(?:years?\s+ago|last\s+(?:year|month)|used\s+to|back\s+in|in\s+(?:19|20)\d\d|when\s+(?:i|she|he)\s+was|"
    r"escaped|got\s+out|(?<!desde\s)hace\s+(?:\w+\s+)?anos(?!\s+que)|el\s+ano\s+pasado|solia|se\s+escapo|"
    r"cuando\s+(?:era|tenia)|is\s+safe|esta\s+a\s+salvo)\b"
)
# The reporter's own evening ("I drove past the spa tonight"): "tonight" there says when they saw, not when
# someone is in danger. Explicit present ("right now", "en este momento") is not affected.
_REPORTER_SAW = re.compile(r"\b(?:i\s+(?:saw|drove|went|passed|noticed|walked)|vi|pase\s+por)\b")
_EVENING = re.compile(r"\b(?:tonight|this\s+evening|esta\s+noche|hoy\s+en\s+la\s+noche)\b")
_SAFE_NOW = re.compile(
    r"\b(?:safe|a\s+salvo|segura\s+ahora|not\s+in\s+(?:immediate\s+)?danger|no\s+esta\s+en\s+peligro)\b"
)

# Ongoing or in the last days.
_ONGOING = Cues(
    r"since\s+then|ever\s+since|to\s+this\s+day|desde\s+entonces|hasta\s+(?:hoy|la\s+fecha|ahora)|"
    r"today|yesterday|last\s+night|this\s+(?:morning|week|weekend|afternoon)|(?:a\s+few|two|three|couple\s+of|"
    r"\d+)\s+days\s+ago|just\s+(?:now|texted|called|told|saw|escaped|left)|currently|still|every\s+(?:day|night|"
    r"week|weekend)|all\s+(?:day|night)|most\s+nights|at\s+all\s+hours|all\s+hours|every\s+(?:monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|evening|morning|afternoon)|come\s+and\s+go|comes\s+and\s+goes|"
    r"never\s+(?:come|comes|go|goes)\s+out|living\s+(?:in|at|there|with)|keeps|is\s+being|are\s+being|is\s+forced|are\s+forced|"
    r"won't\s+let|doesn't\s+let|don't\s+let|can't\s+leave|cannot\s+leave|never\s+(?:leave|leaves|get|gets)|"
    r"lives?\s+(?:there|in|at|inside|upstairs|with)|is\s+(?:working|staying|living|missing)|"
    r"are\s+(?:working|staying|living)|makes\s+(?:her|him|them)|has\s+(?:her|him|them)|holds|owes|"
    r"hoy|ayer|anoche|esta\s+(?:semana|manana)|hace\s+(?:unos|dos|tres|pocos|\d+)\s+dias|todavia|sigue|siguen|"
    r"actualmente|todos\s+los\s+dias|todas\s+las\s+noches|cada\s+noche|no\s+(?:la|lo|las|los|me|nos)\s+deja\w*|"
    r"(?:la|lo|las|los)\s+tiene\w*|viven?\b|trabaja\w*|esta\s+(?:siendo|trabajando|viviendo)|la\s+obliga\w*|"
    r"los\s+obliga\w*|las\s+obliga\w*|no\s+(?:le|les)\s+pagan?\b|debe\w*|a\s+todas\s+horas|"
    r"nunca\s+salen|no\s+salen|entran\s+y\s+salen|cada\s+(?:noche|dia|semana|\d+\s+minutos)|los\s+fines\s+de\s+semana",
    after=r"\b",
)
_OVER = Cues(
    r"years?\s+ago|back\s+in\s+(?:19|20)\d\d|in\s+(?:19|20)\d\d|used\s+to|(?:she|he|i)\s+escaped|"
    r"got\s+out|is\s+(?:fine|safe|out)\s+now|i'm\s+(?:fine|safe|okay|ok)\s+now|in\s+prison\s+now|no\s+longer|"
    r"(?<!desde\s)hace\s+(?:\w+\s+)?anos(?!\s+que)|hace\s+mucho(?:\s+tiempo)?|el\s+ano\s+pasado|solia|se\s+escapo|"
    r"ya\s+se\s+fue|ya\s+salio|ya\s+sali|"
    r"ya\s+(?:no\s+esta|no\s+trabaja|no\s+vive|salio|estoy\s+bien|esta\s+bien|escapo)|esta\s+a\s+salvo|"
    r"not\s+reporting",
    after=r"\b",
)
# Someone asking, not reporting: a question or a request for information, with no situation going on.
_ASKING = Cues(
    r"just\s+want\s+to\s+know|how\s+(?:do|can)\s+i|wondering|resources|information|informacion|"
    r"quiero\s+saber|quisiera\s+saber|solo\s+quiero|solo\s+queria|como\s+puedo|como\s+saber|"
    r"nothing\s+specific|anything\s+specific|no\s+situation|want\s+to\s+volunteer|research\w*|"
    r"no\s+se\s+mas|no\s+other\s+details",
    after=r"\b",
)


_RECENT = re.compile(r"\b(?:today|yesterday|last\s+night|hoy|ayer|anoche|right\s+now|ahora)\b")


def assess_urgency(
    tip: Any, minor: MinorAssessment, narrative: Narrative | None, situation: list[Evidence]
) -> tuple[str, list[Evidence]]:
    """(urgency, evidence). `situation` is the evidence of what is being done (the trafficking type's)."""
    danger = _danger_now(narrative) if narrative is not None else []
    if tip.immediate_danger:
        return "emergency", [
            Evidence(source="immediate_danger", text="true", reason="reported immediate danger"),
            *danger,
        ]
    if danger:
        return "emergency", danger
    if minor.status in {"confirmed", "likely"}:
        return "high", [Evidence(source="minor.status", text=minor.status, reason="a minor is involved")]
    if narrative is None:
        return "normal", []
    ongoing, over = _ongoing_and_over(narrative)
    asking = [
        narrative.evidence(m.start(), m.end(), "a question or a request for information")
        for m in _ASKING.finditer(narrative)
    ]
    if asking and not any(_RECENT.search(item.text.lower()) for item in ongoing):
        return "normal", asking[:2] + over[:1]
    if ongoing:
        return "high", ongoing[:3]
    if over:
        return "normal", over[:3]
    if situation:
        return "high", [
            item.model_copy(update={"reason": "exploitation described, nothing says it is over"})
            for item in situation[:1]
        ]
    return "normal", []


def _danger_now(narrative: Narrative) -> list[Evidence]:
    found = []
    text = narrative.folded
    for match in _DANGER_NOW.finditer(narrative):
        start = match.start()
        sentence_start, sentence_end = narrative.sentence(start)
        if narrative.negated(start, window=6):
            continue  # "no weapons", "not in immediate danger right now"
        if _PAST_SENTENCE.search(text, sentence_start, sentence_end):
            continue
        if _EVENING.match(match.group()) and _REPORTER_SAW.search(text, sentence_start, sentence_end):
            continue
        clause_start, clause_end = narrative.clause(start)
        if _SAFE_NOW.search(text, clause_start, clause_end):
            continue
        found.append(narrative.evidence(start, match.end(), "danger now or within hours"))
        if len(found) == 3:
            break
    return found


# Words that carry the past into the present: they win over a past date in the same sentence.
_STILL = re.compile(
    r"(?:still|since\s+then|ever\s+since|to\s+this\s+day|todavia|desde\s+entonces|hasta\s+(?:hoy|la\s+fecha|ahora)|sigue)"
)


def _ongoing_and_over(narrative: Narrative) -> tuple[list[Evidence], list[Evidence]]:
    text = narrative.folded
    over_matches = _OVER.finditer(narrative)
    over = [
        narrative.evidence(m.start(), m.end(), "in the past, or no situation going on") for m in over_matches
    ]
    over_sentences = {narrative.sentence(m.start()) for m in over_matches}
    ongoing = []
    for match in _ONGOING.finditer(narrative):
        sentence = narrative.sentence(match.start())
        if narrative.negated(match.start(), window=2):
            continue
        if sentence in over_sentences and not _STILL.match(match.group()):
            continue  # "hace 10 años le quitó el pasaporte", unless "… y no le paga desde entonces"
        if text[sentence[0] : sentence[1]].rstrip().endswith("?"):
            continue  # a question ("are they being trafficked?") reports nothing
        ongoing.append(narrative.evidence(match.start(), match.end(), "going on now or in the last days"))
    return ongoing, over

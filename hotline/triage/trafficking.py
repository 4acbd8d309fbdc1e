"""Trafficking type from the narrative when the tip says `unknown`: sex, labor or both, with evidence.

The type is what the person is made to do. Commercial sex ("sold for sex", "escort ads", "la prostituye",
"servicios sexuales") is sex; compelled work ("works 14 hours a day for no pay", "cleans houses without
wages", "vende dulces en el semáforo", forced begging or selling drugs) is labor. Control tactics — a kept
passport, a debt, threats, locked doors — are common to both and say nothing about the type, and work words
alone do not make labor ("he makes her work the streets" is sex).
"""

from __future__ import annotations

import re

from hotline.triage.models import Evidence
from hotline.triage.narrative import Cues, Narrative

MAX_EVIDENCE_PER_TYPE = 3

_SEX = Cues(
    # English: commercial sex named
    r"prostitut\w*|commercial\s+sex|sex\s+work\w*|sex\s+traffick\w*|sex(?!\s+(?:offender|education|ed|of\s+the|"
    r"change))|sexual(?:ly)?\s+(?:exploit\w*|abus\w*|explicit|services)|sexually|escort\w*|pimp\w*|johns|"
    r"tricks?|turning\s+tricks|full\s+service|happy\s+endings?|(?:do|does|doing|for|the|offer\w*)\s+\W?extras|"
    r"strip\s+club|stripp\w*|strippers?|exotic\s+danc\w*|lap\s+dances?|porn\w*|onlyfans|nudes?|naked|"
    r"clothes\s+off|explicit\s+(?:photos|pictures|videos)|csam|sugar\s+daddy|backpage|skip\s*the\s*games|"
    r"listcrawler|megapersonals|brothel|new\s+in\s+town|work\w*\s+the\s+(?:streets?|track|blade|corner)|"
    r"the\s+(?:track|blade)|sell\w*\s+(?:her|his|their)\s+bod(?:y|ies)|"
    # English: a person sold or made available to paying men
    r"(?:do|does|doing|did|go\s+on|goes\s+on|going\s+on|have|has|had|want|wanted|wants|for|set\s+up|sets\s+up|"
    r"arrange\w*)\s+\W?(?:a\s+)?dates?\b|[\"']dates?\b|dates?\s+with|"
    r"introduc\w*\s+(?:her|them)\s+to\s+(?:customers|clients|men)|takes?\s+money\s+from\s+(?:them|men|customers)|"
    r"(?:her|their)\s+\W?(?:clients|johns)\b|clients'?\s+cars|carros?\s+de\s+(?:los\s+)?clientes|"
    r"ofrec\w*\s+a\s+(?:unas\s+|las\s+|una\s+|la\s+)?(?:muchachas|chicas|mujeres|ninas|nina|muchacha)\b[^.;]{0,40}"
    r"(?:por\s+dinero|a\s+los\s+(?:invitados|hombres|clientes))|"
    r"cobr\w*\s+(?:\d+\s+dolares\s+)?a\s+(?:cada|los|otros)\s+(?:clientes?|hombres?)|"
    r"se\s+van\s+con\s+ellos\s+a\s+(?:un|el|los)\s+(?:motel|hotel|cuartos?)|"
    r"sleep(?:s|ing)?\s+with\s+(?:other\s+|older\s+|different\s+)?(?:men|guys|clients|customers|them|his\s+friends|"
    r"strangers)|slept\s+with\s+(?:men|guys|clients)|hook(?:s|ing)?\s+up\s+with|"
    r"(?:posts?|posting|posted|advertis\w*)\s+(?:ads?\s+(?:for|of|with)\s+)?(?:her|them|him|girls|women|me)\b|(?:sold|sell\w*)\s+online|"
    r"(?:sells|selling|sold|sell)\s+(?:her|them|women|girls|me|him|us)\b(?!\s+(?:to\s+(?:a|the)\s+(?:farm\w*|rancher|"
    r"family|factory|restaurant)|candy|flowers|roses|drugs))|(?:being|been|was|were|is|are|get|gets|got)\s+(?:first\s+|also\s+|then\s+|later\s+)?sold\b"
    r"(?!\s+(?:to\s+(?:a|the)\s+(?:farm|family|factory)|as\s+(?:a\s+)?(?:maid|worker|servant)))|"
    r"(?:men|guys|clients|customers|johns|strangers|his\s+friends)\b[^.;]{0,80}\b(?:pay|pays|paid|paying)\b|"
    r"(?:men|guys|clients|customers)\b[^.;]{0,60}\b(?:give|gives|gave|giving)\s+(?:him|her|them)\s+(?:the\s+)?"
    r"(?:money|cash)|meet\w*\s+(?:guys|men|older\s+men|customers|clients|johns)\b|"
    r"without\s+(?:her\s+|their\s+|his\s+)?clothes|private\s+dances?|in\s+exchange\s+for\s+(?:sex|being\s+with)|"
    r"(?:pay|pays|paid|paying)\s+(?:him|her|them)\s+(?:for|to\s+(?:be|have|sleep|spend|take))|"
    r"(?:with|to)\s+(?:men|guys|his\s+friends|other\s+men|older\s+men|strangers|clients)\b[^.;]{0,40}\bfor\s+"
    r"(?:money|cash)|do\s+it\s+for\s+money|see(?:s|ing)?\s+(?:clients|customers|men|johns)|(?:with|go\s+with|leave\s+with)\s+"
    r"(?:a\s+)?(?:client|customer|john)s?\b|(?:ad|ads|advert\w*)\s+(?:for|offering)\s+\W?dates?|"
    r"(?:sells?|selling|sold)\s+(?:the\s+)?(?:videos|pictures|photos)|"
    # Spanish
    r"prostitu\w*|explotacion\s+sexual|servicios\s+sexuales|sexo|sexual(?:es|mente)?|trata\s+sexual|"
    r"relaciones\s+(?:sexuales\s+)?con|tener\s+relaciones|acost\w*\s+con|se\s+acuest\w*\s+con|padrote\w*|"
    r"proxeneta\w*|lenon\w*|table\s*dance|privados|desnud\w*|(?:videos?|fotos?)\s+(?:sexuales|intim\w*|porno\w*)|"
    r"pornografia|sin\s+ropa|a\s+cambio\s+de\s+(?:estar|tener|sexo|acostarse)|"
    r"(?:la|las|lo|los)\s+(?:va|van)\s+a\s+vender\b(?!\s+(?:dulces|flores|comida))|burdel|casa\s+de\s+citas|pagina\s+de\s+citas|escort\w*|vend\w*\s+su\s+cuerpo|"
    r"(?:la|las|lo|los|me)\s+(?:vende|venden|vendia|vendian|vendio|vendieron|ofrece|ofrecen|anuncia\w*|"
    r"publica\w*)\b(?!\s+(?:dulces|flores|chicles|tamales|comida|droga))|venderla\w*|vendiendola|"
    r"(?:estar|este|esten|estuviera|acostarse|irse|ir|salir|sale|se\s+va|se\s+van|van)\s+con\s+(?:los\s+|sus\s+|otros\s+|unos\s+)?(?:hombres|amigos|clientes|senores|tipos)|"
    r"(?:hombres|clientes|senores|tipos|amigos)\b[^.;]{0,40}\b(?:pagan|pagaban|paga|pagaba|le\s+dan\s+dinero|"
    r"les\s+dan\s+dinero|dan\s+dinero|daban\s+dinero)|(?:cobra\w*|cobrando)\s+a\s+(?:los\s+|otros\s+)?"
    r"(?:hombres|clientes)|(?:recibe|recibir|atiende\w*|atender)\s+(?:a\s+)?(?:los\s+)?(?:hombres|clientes)|"
    r"(?:consigue\w*|busca\w*)\s+clientes|clientes\s+(?:entran|pagan|llegan)|con\s+(?:los\s+)?clientes\b[^.;]{0,30}"
    r"(?:cuartos|hotel|motel)|(?:con|a)\s+clientes|anuncios?\s+(?:en|de)\s+(?:internet|paginas?|escort\w*)",
    after=r"(?![a-z])",
)
# What compelled work is: named outright, or a job with the marks of exploitation (no pay, endless hours).
_LABOR_STRONG = Cues(
    r"forced\s+labor|child\s+labor|labor\s+trafficking|debt\s+bondage|domestic\s+servitude|"
    r"(?:for|with)\s+no\s+pay|no\s+pay\b|without\s+pay|unpaid|never\s+(?:get\s+|gets\s+|got\s+|been\s+)?paid|"
    r"for\s+free|never\s+pays?\b|room\s+and\s+board|clean\w*\s+(?:houses|homes|offices|rooms)|"
    r"(?:haven't|hasn't|doesn't|don't|didn't|never|won't|not)\s+(?:been\s+)?pa(?:y|id)\b|not\s+paid|"
    r"(?:keeps?|kept|takes?|took|holds?|withholds?|withheld|steals?|deposit\w*|cash\w*)\s+(?:all\s+)?(?:of\s+)?"
    r"(?:their|her|his|our|my|the)\s+(?:wages|pay|paychecks?|checks?|salary)|wages|paychecks?|"
    r"work\s+off\s+(?:a|the|her|his|their)\s+debt|\$\d+\s+(?:a|per|every)\s+(?:day|week|month)|"
    r"(?:\d+|twelve|fourteen|sixteen|eighteen|long)[- ]hours?\s+(?:a|per|each)\s+(?:day|week)|"
    r"\d+[- ]hour\s+(?:shifts?|days?)|double\s+shifts|(?:seven|7|six|6)\s+days(?:\s+a\s+week)?|"
    r"no\s+days\s+off|"
    r"forced\s+to\s+work|made\s+to\s+work|makes?\s+(?:her|him|them)\s+work(?!\s+the\s+(?:streets?|track|corner))|"
    r"sell\w*\s+(?:candy|roses|flowers|magazines|drugs|trinkets|water)|beg(?:s|ging)?\b|peddl\w*|door\s+to\s+door|"
    r"(?:drink|drinks|drinking)\s+(?:and\s+dance\s+)?with\s+(?:clients|customers|men|them)|to\s+drink\s+and\s+dance|"
    r"work\s+visas?|h-?2[ab]|(?<!sex\s)(?<!social\s)(?<!case\s)(?<!cps\s)(?<!youth\s)workers?|laborers?|"
    r"farmworkers?|"
    r"trabajo\s+forzado|trabajo\s+infantil|servidumbre|sin\s+(?:pago|paga|sueldo|salario|pagarles|pagarle)|"
    r"sin\s+recibir\s+(?:pago|sueldo|salario|dinero)|sin\s+que\s+(?:le|les|me|nos)\s+pag\w+|"
    r"(?:no|ni)\s+(?:le|les|nos|me)\s+(?:paga\w*|han\s+pagado|ha\s+pagado|(?:puede|quiere|quieren)\s+pagar)|"
    r"nunca\s+(?:le|les|nos|me)\s+(?:ha\s+|han\s+)?paga\w*|no\s+(?:le|les|me|nos)\s+dan\s+nada|"
    r"(?:limpiar|limpia|limpian|limpiando)\s+(?:casas|oficinas|cuartos|hoteles)|"
    r"(?:takes?|took|keeps?|kept)\s+(?:most|half|all|part)\s+of\s+(?:their|her|his)\s+(?:pay|wages|earnings|checks?)|"
    r"retien\w*\s+(?:el|su)\s+(?:sueldo|salario|pago)|"
    r"(?:quita\w*|queda\w*\s+con|descuenta\w*)\s+(?:el\s+resto\s+de\s+|la\s+mitad\s+de\s+|todo\s+)?"
    r"(?:el|su|sus|los|nuestros)?\s*(?:sueldo|cheques?|salario|pago)|horas\s+(?:al\s+dia|diarias|por\s+dia)|"
    r"(?:siete|7)\s+dias|de\s+sol\s+a\s+sol|(?:un|ningun)\s+dia\s+libre|\d+\s+dolares\s+(?:al|por|a\s+la)\s+"
    r"(?:dia|semana|mes)|emplead[ao]\s+domestic\w*|trabajadora\s+domestica|sirvienta|quehacer\w*|"
    r"vend\w*\s+(?:dulces|flores|droga|drogas|rosas|chicles|tamales|comida|fruta|periodicos)|"
    r"pid\w*\s+(?:dinero|limosna)|pedir\s+(?:dinero|limosna)|mendig\w*|ninera|"
    r"cuida\w*\s+(?:a\s+)?(?:los|sus)\s+(?:ninos|hijos)|tomar\s+con\s+(?:los\s+)?clientes|fichera\w*|"
    r"trabajadores|trabajadoras|jornaleros|empleados|empleadas"
)
_LABOR_PLACES = Cues(
    r"nann(?:y|ies)|housekeep\w*|maids?|clean\w*|cook\w*|dishes|dishwash\w*|kitchen|restaurants?|buffet|taqueria|"
    r"farms?|dairy|ranch|fields|harvest\w*|picking|packing|crew|construction|roofing|drywall|landscaping|yard\s+work|"
    r"build\w*\s+(?:houses|homes)|factory|factories|plant|slaughterhouse|meatpacking|cannery|warehouse|car\s+wash|"
    r"nail\s+salon|hair\s+braiding|salon|laundry|laundromat|dry\s+cleaner|store|shop|resort|carnival|"
    r"boat|fishing|sewing|"
    r"limpi\w+|cocina\w*|restaurantes?|pupuseria|taqueria|tienda|fabrica|maquila|planta|empacadora|construccion|"
    r"obra|techos|jardineria|campos?|rancho|granja|lecheria|vivero|cosecha|pizca|piscar|fresas|ladrillera|"
    r"lavanderia|autolavado|caregivers?|salon\s+de\s+unas|costura|cosiendo|coser|barco|taller|casa\s+de\s+(?:una|la|esa)\s+familia",
    after=r"\b",
)
_WORK = re.compile(
    r"\b(?:work\w*|job|jobs|employ\w*|shifts?|paid|pay|wages|staff|labor\w*|trabaj\w*|empleo|turnos?|sueldo|pago|"
    r"paga\w*|cheques?)\b"
)
_REPORTER_AT_WORK = re.compile(
    r"\b(?:caller|reporter|rp)\s+(?:works|worked|is\s+an?)\b|\bla\s+persona\s+que\s+llama\s+trabaja"
)
_PROMISED = re.compile(r"\b(?:promised|offered|prometieron|ofrecieron|oferta|offer)\b")


def infer_type(tip_type: str, narrative: Narrative | None) -> tuple[str, list[Evidence]]:
    if tip_type != "unknown":
        return tip_type, [Evidence(source="trafficking_type", text=tip_type, reason="stated on the tip")]
    if narrative is None:
        return "unknown", []
    sex = _cues(narrative, _SEX, "commercial sex")
    labor = _cues(narrative, _LABOR_STRONG, "compelled work") or _labor_places(narrative)
    if sex and labor:
        return "both", sex + labor
    if sex:
        return "sex", sex
    if labor:
        return "labor", labor
    return "unknown", []


def _cues(narrative: Narrative, cues: Cues, what: str) -> list[Evidence]:
    found: list[Evidence] = []
    for match in cues.finditer(narrative):
        if narrative.negated(match.start(), window=3):
            continue  # "not for sex", "no es sexual"
        found.append(narrative.evidence(match.start(), match.end(), f"{what}: what the person is made to do"))
        if len(found) == MAX_EVIDENCE_PER_TYPE:
            break
    return found


def _labor_places(narrative: Narrative) -> list[Evidence]:
    """A workplace named where the sentence speaks of work: "works at the taqueria", "trabaja en el campo"."""
    found: list[Evidence] = []
    text = narrative.folded
    for match in _LABOR_PLACES.finditer(narrative):
        start, end = narrative.sentence(match.start())
        clause_start, _ = narrative.clause(match.start())
        if not _WORK.search(text, start, end) or _PROMISED.search(text, clause_start, match.start()):
            continue  # "above the restaurant", "promised a job as a nanny"
        if _REPORTER_AT_WORK.search(text, clause_start, match.start()):
            continue  # "Caller works at a nail salon": the reporter's job
        if narrative.negated(match.start(), window=3):
            continue
        found.append(
            narrative.evidence(
                match.start(), match.end(), "compelled work: the work the person is made to do"
            )
        )
        if len(found) == MAX_EVIDENCE_PER_TYPE:
            break
    return found

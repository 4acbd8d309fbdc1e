"""Words the classifier reads, in English and Spanish, all in folded form (lower case, no accents).

Kept apart from the rules so that a linguist or an advocate can review and extend them without reading the
logic. Phrase lists are regular-expression fragments; word lists are plain words.
"""

from __future__ import annotations

# --- numbers ----------------------------------------------------------------------------------------

EN_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
ES_NUMBERS: dict[str, int] = {
    "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16,
    "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintiun": 21,
    "veintiuna": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
}  # fmt: skip
NUMBER_WORDS: dict[str, int] = {**EN_NUMBERS, **ES_NUMBERS}
EN_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
EN_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ES_TENS = ("treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa")
ES_UNITS = ("uno", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")

# --- people -----------------------------------------------------------------------------------------
# Each person word has a role class and a grammatical gender (f, m, n):
#   victim   the words reporters use for the people being exploited or at risk
#   neutral  could be victim or suspect: decided by what the sentence says they do
#   suspect  the words for exploiters, buyers and their helpers
#   other    adults around the victim who are neither (parents, teachers, officers)
#   reporter the person calling
#   group    pronouns for a group ("they", "todas"), resolved to the nearest plural person word

VICTIM_WORDS: dict[str, str] = {
    # English
    "girl": "f", "girls": "f", "boy": "m", "boys": "m", "daughter": "f", "daughters": "f", "son": "m",
    "sons": "m", "niece": "f", "nieces": "f", "nephew": "m", "nephews": "m", "granddaughter": "f",
    "grandson": "m", "stepdaughter": "f", "stepson": "m", "sister": "f", "sisters": "f", "brother": "m",
    "brothers": "m", "cousin": "n", "cousins": "n", "student": "n", "students": "n", "child": "n",
    "children": "n", "kid": "n", "kids": "n", "teen": "n", "teens": "n", "teenager": "n", "teenagers": "n",
    "minor": "n", "minors": "n", "victim": "n", "victims": "n", "juvenile": "n", "juveniles": "n",
    "youth": "n", "runaway": "n", "survivor": "n", "pv": "n", "pv1": "n", "pv2": "n", "pv3": "n",
    "friend": "n", "friends": "n", "classmate": "n", "classmates": "n", "roommate": "n",
    "girlfriend": "f", "female": "f", "females": "f", "male": "m", "males": "m", "grader": "n",
    "graders": "n", "freshman": "n", "sophomore": "n",
    # Spanish
    "nina": "f", "ninas": "f", "nino": "m", "ninos": "m", "nena": "f", "nenas": "f", "nene": "m",
    "hija": "f", "hijas": "f", "hijo": "m", "hijos": "m", "hijastra": "f", "hijastro": "m", "sobrina": "f",
    "sobrino": "m", "sobrinas": "f", "sobrinos": "m", "nieta": "f", "nieto": "m", "hermana": "f",
    "hermano": "m", "hermanas": "f", "hermanos": "m", "prima": "f", "primo": "m", "primas": "f",
    "primos": "m", "menor": "n", "menores": "n", "adolescente": "n", "adolescentes": "n", "jovencita": "f",
    "jovencitas": "f", "muchachita": "f", "muchachitas": "f", "chamaca": "f", "chamaco": "m",
    "chamacas": "f", "chamacos": "m", "chiquilla": "f", "pequena": "f", "pequeno": "m", "estudiante": "n",
    "estudiantes": "n", "alumna": "f", "alumno": "m", "alumnas": "f", "alumnos": "m", "victima": "n",
    "victimas": "n", "companera": "f", "companero": "m", "amiga": "f", "amigo": "m", "amigas": "f",
    "amigos": "m", "cunada": "f", "cunado": "m", "novia": "f",
}  # fmt: skip
NEUTRAL_WORDS: dict[str, str] = {
    # English
    "woman": "f", "women": "f", "man": "m", "men": "m", "lady": "f", "ladies": "f", "guy": "m", "guys": "m",
    "person": "n", "people": "n", "worker": "n", "workers": "n", "employee": "n", "employees": "n",
    "farmworker": "n", "farmworkers": "n", "waitress": "f", "waitresses": "f", "dancer": "n",
    "dancers": "n", "individual": "n", "neighbor": "n", "neighbors": "n", "tenant": "n", "resident": "n",
    "residents": "n", "someone": "n", "nanny": "f", "housekeeper": "n", "maid": "f", "wife": "f",
    "husband": "m", "driver": "n", "aunt": "f", "uncle": "m", "coworker": "n", "sister-in-law": "f",
    "fiance": "n",
    # Spanish
    "mujer": "f", "mujeres": "f", "hombre": "m", "hombres": "m", "senora": "f", "senoras": "f",
    "senorita": "f", "senoritas": "f", "muchacha": "f", "muchachas": "f", "muchacho": "m",
    "muchachos": "m", "chica": "f", "chicas": "f", "chico": "m", "chicos": "m", "chava": "f", "chavas": "f",
    "chavo": "m", "joven": "n", "jovenes": "n", "persona": "n", "personas": "n", "trabajador": "m",
    "trabajadora": "f", "trabajadores": "m", "trabajadoras": "f", "empleada": "f", "empleado": "m",
    "empleadas": "f", "empleados": "m", "vecina": "f", "vecino": "m", "vecinas": "f", "vecinos": "m",
    "tia": "f", "tio": "m", "gente": "n", "senor": "m", "esposa": "f", "esposo": "m", "marido": "m",
    "pareja": "n", "tipo": "m", "sirvienta": "f", "ninera": "f",
}  # fmt: skip
SUSPECT_WORDS: dict[str, str] = {
    # English
    "pimp": "m", "pimps": "m", "trafficker": "n", "traffickers": "n", "boyfriend": "m", "ex-boyfriend": "m",
    "boss": "n", "bosses": "n", "owner": "n", "owners": "n", "manager": "n", "managers": "n",
    "employer": "n", "employers": "n", "supervisor": "n", "foreman": "m", "recruiter": "n",
    "recruiters": "n", "smuggler": "n", "smugglers": "n", "coyote": "n", "john": "m", "johns": "m",
    "buyer": "n", "buyers": "n", "customer": "n", "customers": "n", "client": "n", "clients": "n",
    "madam": "f", "mamasan": "f", "abuser": "n", "perpetrator": "n", "suspect": "n",
    "suspects": "n", "stepfather": "m", "stepdad": "m", "contractor": "n", "dealer": "m", "bouncer": "m",
    "guard": "n", "guards": "n", "daddy": "m", "handler": "n",
    # Spanish
    "padrote": "m", "padrotes": "m", "proxeneta": "n", "tratante": "n", "tratantes": "n", "novio": "m",
    "jefe": "m", "jefa": "f", "jefes": "m", "patron": "m", "patrona": "f", "patrones": "m", "dueno": "m",
    "duena": "f", "duenos": "m", "encargado": "m", "encargada": "f", "mayordomo": "m", "capataz": "m",
    "contratista": "n", "contratistas": "n", "reclutador": "m", "reclutadora": "f", "pollero": "m",
    "cliente": "n", "clientes": "n", "explotador": "m", "padrastro": "m", "lenon": "m", "madrota": "f",
    # Employers that are not one person: they stop a search for who does what, and their ages do not count.
    "family": "n", "familia": "n", "couple": "n", "matrimonio": "n", "company": "n", "empresa": "n",
    "agency": "n", "agencia": "n",
}  # fmt: skip
OTHER_ADULT_WORDS: dict[str, str] = {
    "mom": "f", "mother": "f", "mothers": "f", "dad": "m", "father": "m", "parent": "n", "parents": "n",
    "grandmother": "f", "grandma": "f", "grandfather": "m", "grandpa": "m", "teacher": "n",
    "teachers": "n", "counselor": "n", "principal": "n", "officer": "n", "nurse": "n", "pastor": "n",
    "landlord": "n", "mama": "f", "madre": "f", "papa": "m", "padre": "m", "abuela": "f", "abuelo": "m",
    "maestra": "f", "maestro": "m", "profesora": "f", "profesor": "m", "consejera": "f", "doctora": "f",
    "caseworker": "n",
}  # fmt: skip
REPORTER_WORDS = frozenset(
    {"i", "i'm", "im", "i've", "i'd", "me", "myself", "caller", "reporter", "rp", "yo"}
)
GROUP_WORDS = frozenset(
    {"they", "them", "both", "all", "everyone", "everybody", "ellas", "ellos", "todas", "todos", "ambas"}
)
FEMININE_PRONOUNS = frozenset({"she", "she's", "her", "herself", "ella"})
MASCULINE_PRONOUNS = frozenset({"he", "he's", "him", "himself", "el"})
# Nouns for a victim's own children: counted when the children are in the situation, not when elsewhere.
KIN_CHILD_WORDS = frozenset(
    {"son", "sons", "daughter", "daughters", "child", "children", "kid", "kids", "baby",
     "hijo", "hijos", "hija", "hijas", "ninos", "bebe"}
)  # fmt: skip
POSSESSIVES_OF_OTHERS = frozenset({"her", "his", "their", "su", "sus"})

PERSON_WORDS: dict[str, tuple[str, str]] = {
    **{word: ("neutral", gender) for word, gender in NEUTRAL_WORDS.items()},
    **{word: ("other", gender) for word, gender in OTHER_ADULT_WORDS.items()},
    **{word: ("suspect", gender) for word, gender in SUSPECT_WORDS.items()},
    **{word: ("victim", gender) for word, gender in VICTIM_WORDS.items()},
}
PLURAL_PERSON_WORDS = frozenset(
    word
    for word in PERSON_WORDS
    if (word.endswith("s") and word not in {"boss", "actress", "waitress", "jones"})
    or word
    in {
        "men",
        "women",
        "people",
        "children",
        "gente",
        "ladies",
    }
)

# A neutral person who does one of these things is the exploiter, not the exploited ("a 45-year-old man is
# selling…", "un hombre de 50 años la vende"). Active forms only: "she is sold" is not an agent.
AGENT_VERBS = frozenset(
    {
        # English
        "sells", "selling", "sold", "sell", "pimps", "pimping", "pimped", "runs", "running", "ran", "owns",
        "owned", "controls", "controlling", "forces", "forcing", "forced", "brings", "bringing", "brought",
        "recruits", "recruiting", "recruited", "traffics", "trafficking", "posts", "posting", "posted",
        "beats", "beating", "beat", "threatens", "threatening", "threatened", "holds", "holding", "charges",
        "charging", "buys", "buying", "bought", "exploits", "exploiting", "abuses", "abusing", "rapes",
        "raping", "locks", "locking", "keeps", "keeping", "kept", "hits", "hitting", "manages", "managing",
        "employs", "hired", "hires", "grooms", "grooming", "makes", "made", "pays", "paid", "drives",
        "drops", "picks", "watches", "guards", "guarding", "advertises", "takes", "took", "introduces",
        "offers", "offering", "collects", "collecting",
        # Spanish (third person, present and past)
        "vende", "venden", "vendia", "vendio", "obliga", "obligan", "obligaba", "obligo", "explota",
        "explotan", "controla", "controlan", "maneja", "trae", "traen", "trajo", "recluta", "golpea",
        "golpean", "amenaza", "amenazan", "encierra", "encierran", "cobra", "cobran", "prostituye",
        "padrotea", "quita", "quito", "quitan", "publica", "ofrece", "recoge", "paga", "pagan", "abusa",
        "viola", "lleva", "llevan", "tiene", "tienen", "pone", "ponen", "manda", "mandan", "vigila",
        "contrata", "engana",
    }
)  # fmt: skip
PASSIVE_AUXILIARIES = frozenset(
    {"is", "are", "was", "were", "be", "been", "being", "get", "gets", "got", "es", "fue", "son", "fueron",
     "esta", "estan", "siendo", "sido", "era", "eran"}
)  # fmt: skip
# Clitic objects in Spanish: "la vende" means someone sells her, so the subject is the agent.
SPANISH_CLITICS = frozenset({"la", "las", "lo", "los", "le", "les", "me", "nos"})

# --- what follows a bare number tells what it counts ----------------------------------------------------
# "she is 15" is an age; "she is 15 minutes away", "tiene 15 trabajadores", "15 weeks pregnant" are not.
UNIT_WORDS = frozenset(
    {
        "minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "day", "days", "week", "weeks",
        "month", "months", "mile", "miles", "mi", "feet", "foot", "ft", "inch", "inches", "pound", "pounds",
        "lb", "lbs", "kilo", "kilos", "kg", "dollar", "dollars", "bucks", "cents", "grand", "k", "percent",
        "pm", "am", "p", "a", "o'clock", "oclock", "times", "time", "blocks", "block", "floors", "rooms",
        "cars", "houses", "apartments", "units", "beds", "calls", "texts", "messages", "ads", "photos",
        "pictures", "dates", "clients", "customers", "johns", "men", "women", "girls", "boys", "kids",
        "children", "workers", "people", "persons", "others", "more", "less", "of", "out", "th", "st", "nd",
        "rd", "year", "years", "yrs", "hijos", "hijas", "ninos", "ninas", "trabajadores",
        "trabajadoras", "personas", "mujeres", "hombres", "muchachas", "muchachos", "chicas", "horas",
        "hora", "dias", "dia", "semanas", "semana", "meses", "mes", "minutos", "metros", "millas", "cuadras",
        "dolares", "dls", "pesos", "veces", "cuartos", "casas", "clientes", "de", "por", "mil", "cientos",
        "libras", "pies", "pulgadas", "del", "pisos", "carros", "camionetas",
        "fotos", "mensajes", "llamadas", "anuncios", "familias", "trabajos",
    }
)  # fmt: skip
# Spanish "N años" is an age after these words ("tiene 15 años", "una niña de 15 años")…
ES_AGE_LEFT = frozenset(
    {"tiene", "tenia", "tenga", "tuviera", "tendra", "tendria", "tengo", "tienen", "tenian", "cumplio",
     "cumple", "cumplira", "cumplir", "cumplia", "cumplido", "con", "sus", "edad", "aparenta", "entre"}
)  # fmt: skip
# …and a duration after these ("hace 15 años", "lleva 10 años", "durante 5 años").
ES_DURATION_LEFT = frozenset(
    {"hace", "hacia", "hara", "lleva", "llevan", "llevaba", "llevaban", "llevo", "llevamos", "durante",
     "por", "tras", "pasaron", "pasado", "ultimos", "despues", "antes", "cada", "los", "estos", "esos",
     "casi"}
)  # fmt: skip
# Nouns before "de N años" that make it a duration: "una condena de 15 años".
ES_DURATION_NOUNS = frozenset(
    {"condena", "sentencia", "contrato", "deuda", "periodo", "plazo", "carcel", "prision", "visa",
     "experiencia", "lapso", "espacio", "mas", "menos", "despues", "hace", "cerca", "alrededor", "cosa"}
)  # fmt: skip
# After "N años", these make it a duration: "tiene 10 años trabajando", "15 años en el país".
ES_DURATION_RIGHT = frozenset(
    {"aqui", "ahi", "alli", "alla", "en", "viviendo", "trabajando", "de", "atras", "sin", "juntos", "fuera",
     "afuera", "antes", "despues", "con", "que", "haciendo", "casados", "casada", "casado", "seguidos",
     "mas"}
)  # fmt: skip

# What people sell that is not a person: "vende tamales" is a job, "vende a la niña" is trafficking.
GOODS = frozenset(
    {"tamales", "dulces", "flores", "comida", "fruta", "chicles", "droga", "drogas", "candy", "flowers",
     "roses", "food", "drugs", "tacos", "elotes", "ropa", "clothes", "water", "agua", "rosas", "periodicos",
     "magazines", "jewelry", "cars", "carros", "products", "productos"}
)  # fmt: skip

# --- scope ------------------------------------------------------------------------------------------

NEGATORS = frozenset(
    {"not", "no", "never", "nunca", "ni", "none", "nobody", "nadie", "ninguna", "ninguno", "ningun",
     "neither", "nor", "without", "sin", "tampoco", "cannot", "nothing", "nada", "jamas", "isnt", "arent",
     "wasnt", "dont", "doesnt", "didnt"}
)  # fmt: skip
# Doubt after a negator undoes it: "not sure if she is a minor", "no sé si es menor".
DOUBT_WORDS = frozenset(
    {"sure", "know", "knows", "certain", "if", "whether", "si", "seguro", "segura", "sabe", "sabemos",
     "idk", "dunno", "clear", "sabia", "sepa", "think"}
)  # fmt: skip
# A negation does not reach across these: "she has no papers and her boss says she is a minor".
NEGATION_SCOPE_BREAKS = frozenset(
    {"and", "y", "e", "because", "porque", "who", "quien", "que", "which", "that", "but", "pero", "then",
     "luego", "so", "asi", "says", "said", "dice", "dijo", "con", "with"}
)  # fmt: skip
DISTRIBUTIVE_NEGATORS = frozenset({"none", "neither", "ninguna", "ninguno", "ningun", "nobody", "nadie"})
COPULAS = frozenset(
    {"is", "are", "was", "were", "be", "es", "son", "era", "eran", "esta", "estan", "sea", "sean"}
)
CLAUSE_BREAK_WORDS = frozenset(
    {"but", "pero", "sino", "although", "though", "aunque", "however", "whereas", "mientras", "because",
     "porque"}
)  # fmt: skip
ABBREVIATIONS = frozenset(
    {"approx", "aprox", "st", "ave", "apt", "mr", "mrs", "ms", "dr", "sr", "sra", "srta", "no", "num", "jr",
     "etc", "vs", "blvd", "rd", "hwy", "dept", "depto", "yrs", "yr", "lbs", "ft", "tel", "ext", "co", "inc",
     "mt", "fl", "col", "av", "ca", "tx", "u.s", "e.g", "i.e"}
)  # fmt: skip

"""A labeled, reproducible set of tips for the dedup benchmarks: who is the same person, who only looks it.

Every tip belongs to one *situation* (a child or adult reported, perhaps with a suspect, at a place); tips of
one situation are noisy reports of it, and the situation is the true case. The noise is what hotlines see:
typos and transposed letters, nicknames (Lupe/Guadalupe, Bob/Robert), missing accents and case changes,
Spanish double surnames given in full or in part, "Family, Given" order, ages off by one or given as a range
or a date of birth, phones in every format or only seven digits, missing fields, and tips with no name at all.
The traps are what makes dedup hard: siblings (same surnames, same address, another given name and age),
neighbours in the same building, and namesakes (a common name, another person elsewhere) are *different*
situations. All names, phones and addresses are invented.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hotline.matching.nicknames import NICKNAMES

# fmt: off
EN_FEMALE = ["Emily", "Madison", "Ashley", "Jessica", "Brianna", "Hannah", "Samantha", "Taylor", "Kayla",
             "Destiny", "Jasmine", "Alyssa", "Abigail", "Elizabeth", "Katherine", "Rebecca", "Amanda",
             "Megan", "Nicole", "Victoria", "Rachel", "Lauren", "Courtney", "Brittany", "Amber", "Haley",
             "Chloe", "Savannah", "Makayla", "Aaliyah", "Imani", "Keisha", "Tiana", "Jada", "Paige",
             "Kimberly", "Patricia", "Margaret", "Deborah", "Susan", "Cynthia", "Pamela", "Sandra",
             "Angela", "Jennifer"]
EN_MALE = ["Michael", "Christopher", "Joshua", "Matthew", "Daniel", "David", "Andrew", "James", "Robert",
           "William", "Joseph", "Nicholas", "Anthony", "Tyler", "Brandon", "Zachary", "Jacob", "Jonathan",
           "Kevin", "Justin", "Thomas", "Timothy", "Richard", "Steven", "Jeremiah", "Malik", "Darnell",
           "Trevon", "Dakota", "Cody", "Austin", "Kenneth", "Douglas", "Gregory", "Samuel", "Benjamin"]
ES_FEMALE = ["María", "Guadalupe", "Ana", "Sofía", "Valeria", "Camila", "Daniela", "Gabriela", "Fernanda",
             "Alejandra", "Ximena", "Lucía", "Isabel", "Rosa", "Dolores", "Concepción", "Graciela",
             "Mercedes", "Teresa", "Verónica", "Yolanda", "Paola", "Marisol", "Esmeralda", "Yesenia",
             "Leticia", "Noemí", "Rocío", "Jimena", "Itzel", "Nayeli", "Araceli", "Brenda", "Karla",
             "Diana", "Alicia", "Josefa", "Francisca", "Consuelo", "Rosario", "María José", "Ana Sofía",
             "Luz", "Marcela", "Elena"]
ES_MALE = ["José", "Juan", "Luis", "Carlos", "Jesús", "Francisco", "Miguel", "Alejandro", "Fernando",
           "Eduardo", "Roberto", "Guillermo", "Ignacio", "Enrique", "Rafael", "Javier", "Antonio", "Manuel",
           "Salvador", "Alberto", "Ricardo", "Santiago", "Emilio", "Diego", "Andrés", "Mateo", "Joaquín",
           "Ramón", "Héctor", "Raúl", "Rogelio", "Adolfo", "Vicente", "Gregorio", "Juan Carlos", "José Luis"]
# Roughly by frequency (the first are far more common), so that common surnames collide as they do.
EN_FAMILY = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
             "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
             "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green",
             "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips",
             "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook",
             "Rogers", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Cox", "Ward",
             "Richardson", "Watson", "Brooks", "Wood", "James", "Bennett", "Gray", "Hughes", "Price",
             "Sanders", "Myers", "Long", "Ross", "Foster", "Powell", "Jenkins", "Perry", "Russell",
             "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Fisher", "Vaughn", "Whitaker",
             "Holloway", "Pruitt", "McCoy"]
ES_FAMILY = ["García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
             "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes", "Morales", "Cruz", "Ortiz",
             "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Álvarez", "Mendoza", "Castillo", "Jiménez", "Vásquez",
             "Moreno", "Herrera", "Medina", "Aguilar", "Vargas", "Guzmán", "Méndez", "Castro", "Romero",
             "Salazar", "Soto", "Delgado", "Peña", "Ríos", "Contreras", "Domínguez", "Guerrero", "Muñoz",
             "Luna", "Ortega", "Santiago", "Estrada", "Núñez", "Cervantes", "Valdez", "Sandoval", "Fuentes",
             "Cabrera", "de la Cruz", "Villalobos", "Ibarra", "Orozco", "Zamora", "Velázquez", "Bautista",
             "Espinoza", "Acosta", "Rosales", "Trujillo", "Quintana", "Benítez", "Villanueva", "Figueroa"]
PLACES = {  # state: [(city, zip prefix)], weighted by how often the state is drawn
    "TX": [("Houston", "770"), ("Dallas", "752"), ("San Antonio", "782"), ("El Paso", "799"),
           ("Austin", "787"), ("Laredo", "780")],
    "CA": [("Los Angeles", "900"), ("San Diego", "921"), ("Fresno", "937"), ("Oakland", "946"),
           ("Santa Ana", "927")],
    "FL": [("Miami", "331"), ("Orlando", "328"), ("Tampa", "336"), ("Jacksonville", "322")],
    "NY": [("New York", "100"), ("Bronx", "104"), ("Queens", "113"), ("Buffalo", "142")],
    "GA": [("Atlanta", "303"), ("Savannah", "314")], "IL": [("Chicago", "606"), ("Aurora", "605")],
    "AZ": [("Phoenix", "850"), ("Tucson", "857")], "NC": [("Charlotte", "282"), ("Raleigh", "276")],
    "OH": [("Columbus", "432"), ("Cleveland", "441")], "NV": [("Las Vegas", "891"), ("Reno", "895")],
    "NM": [("Albuquerque", "871")], "PR": [("San Juan", "009")], "WA": [("Seattle", "981")],
}
STATE_WEIGHTS = {"TX": 22, "CA": 20, "FL": 12, "NY": 9, "GA": 6, "IL": 6, "AZ": 6, "NC": 5, "OH": 4, "NV": 4,
                 "NM": 2, "PR": 2, "WA": 2}
AREA_CODES = {"TX": ["713", "281", "832", "214", "210", "915", "512"],
              "CA": ["213", "310", "619", "559", "510"],
              "FL": ["305", "407", "813", "904"], "NY": ["212", "718", "917", "716"], "GA": ["404", "912"],
              "IL": ["312", "773"], "AZ": ["602", "520"], "NC": ["704", "919"], "OH": ["614", "216"],
              "NV": ["702", "775"], "NM": ["505"], "PR": ["787"], "WA": ["206"]}
STREETS = ["Main", "Airline", "Bissonnet", "Westheimer", "Cesar Chavez", "Martin Luther King", "Oak",
           "Pine", "Maple", "Cedar", "Elm", "Washington", "Lincoln", "Jefferson", "Lakeview", "Hillcrest",
           "Sunset", "Mission", "Alameda", "Broadway", "Church", "Park", "Harwin", "Gessner", "Bellaire",
           "Fondren", "Veterans Memorial", "Tidwell", "Aldine", "Kirkwood", "Rancho Vista", "Las Palmas",
           "El Camino"]
# The long tail: most people do not carry one of the hundred most common surnames.
EN_TAIL = [a + b for a in ("Ash", "Brad", "Whit", "Hol", "Fair", "Black", "Green", "Stan", "Brook", "Har",
                           "Wes", "Ken", "Mar", "Pen", "Ross", "Thorn", "Wake", "Cal", "Dun", "Gil", "Lang",
                           "Bur")
           for b in ("ford", "ley", "ton", "field", "wood", "man", "son", "well", "wick", "worth", "by",
                     "more", "ridge", "land", "ham")]
ES_TAIL = [a + b for a in ("Val", "Villa", "Mon", "Sal", "Bel", "Cas", "Ar", "Cor", "Es", "Al", "Ros", "Mir",
                           "Pal", "Bar", "Car", "Gal", "Lar", "Mar", "Nav", "Ol", "Qui", "Tam")
           for b in ("ero", "ado", "ales", "illo", "ena", "anda", "uez", "enas", "aga", "arte", "ino", "oza",
                     "ueta", "ón", "ejo")]
SUFFIXES = [("St", "Street"), ("Ave", "Avenue"), ("Dr", "Drive"), ("Rd", "Road"), ("Blvd", "Boulevard"),
            ("Ln", "Lane")]
# fmt: on


@dataclass
class Person:
    given: str
    family: list[str]  # one surname, or paternal + maternal
    gender: str
    birth: date
    phone: str | None = None
    email: str | None = None


@dataclass
class Situation:
    id: int
    spanish: bool
    victim: Person
    suspect: Person | None
    state: str
    city: str
    zip: str
    address: tuple[str, str, tuple[str, str], str | None] | None  # number, street, suffix, unit
    start: datetime
    kind: str = "original"  # original | sibling | neighbour | namesake
    related: int | None = None  # the situation a sibling, neighbour or namesake was drawn from


@dataclass
class LabeledTip:
    # The true case: the situation reported, as far as its reports share facts (`_label_by_shared_facts`).
    situation: int
    payload: dict[str, Any]
    kind: str = "original"
    related: int | None = None
    origin: int = 0  # the situation drawn
    received_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.received_at = datetime.fromisoformat(self.payload["received_at"])


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.situations: list[Situation] = []

    # Drawing people and places

    def _zipf(self, items: list[str], exponent: float = 1.0) -> str:
        weights = [1.0 / (rank + 1) ** exponent for rank in range(len(items))]
        return self.rng.choices(items, weights)[0]

    def _surname(self, spanish: bool) -> str:
        # A third from the common surnames (García alone ≈ 7 % of Hispanic people here), the rest from the
        # long tail: commoner than in life, so shared surnames are frequent traps.
        if self.rng.random() < 0.35:
            return self._zipf(ES_FAMILY if spanish else EN_FAMILY)
        return self.rng.choice(ES_TAIL if spanish else EN_TAIL)

    def _phone(self, state: str) -> str:
        # Random exchange and line (never dialled: the data lives in memory and a throwaway database), so
        # that seven digits collide about as rarely as real numbers do.
        area = self.rng.choice(AREA_CODES[state])
        return f"{area}{self.rng.randrange(200, 1000)}{self.rng.randrange(10000):04d}"

    def _person(self, *, spanish: bool, gender: str, age: int, at: datetime, state: str) -> Person:
        if spanish:
            given = self.rng.choice(ES_FEMALE if gender == "f" else ES_MALE)
            family = [self._surname(True), self._surname(True)]
        else:
            given = self.rng.choice(EN_FEMALE if gender == "f" else EN_MALE)
            family = [self._surname(False)]
        birth = at.date() - timedelta(days=365 * age + self.rng.randrange(365))
        person = Person(given=given, family=family, gender=gender, birth=birth)
        if self.rng.random() < 0.4:
            person.phone = self._phone(state)
        if self.rng.random() < 0.1:
            handle = f"{given.split()[0]}.{family[0]}{self.rng.randrange(100)}"
            person.email = f"{handle.replace(' ', '')}@example.org"
        return person

    def _start(self) -> datetime:
        return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=self.rng.randrange(2 * 365 * 24 * 60))

    def _address(self) -> tuple[str, str, tuple[str, str], str | None] | None:
        if self.rng.random() < 0.4:
            return None
        unit = str(self.rng.randrange(1, 40)) if self.rng.random() < 0.35 else None
        return (
            str(self.rng.randrange(100, 19999)),
            self.rng.choice(STREETS),
            self.rng.choice(SUFFIXES),
            unit,
        )

    def new_situation(self) -> Situation:
        state = self.rng.choices(list(STATE_WEIGHTS), list(STATE_WEIGHTS.values()))[0]
        city, zip_prefix = self.rng.choice(PLACES[state])
        spanish = self.rng.random() < (0.7 if state in {"TX", "CA", "NM", "PR", "AZ"} else 0.35)
        start = self._start()
        age = self.rng.randint(8, 17) if self.rng.random() < 0.7 else self.rng.randint(18, 32)
        victim = self._person(
            spanish=spanish, gender="f" if self.rng.random() < 0.75 else "m", age=age, at=start, state=state
        )
        suspect = None
        if self.rng.random() < 0.55:
            suspect = self._person(
                spanish=spanish if self.rng.random() < 0.7 else not spanish,
                gender="m" if self.rng.random() < 0.8 else "f",
                age=self.rng.randint(19, 55),
                at=start,
                state=state,
            )
        situation = Situation(
            id=len(self.situations),
            spanish=spanish,
            victim=victim,
            suspect=suspect,
            state=state,
            city=city,
            zip=f"{zip_prefix}{self.rng.randrange(100):02d}",
            address=self._address(),
            start=start,
        )
        self.situations.append(situation)
        return situation

    def sibling_of(self, other: Situation) -> Situation:
        """Same family and home, another child: a different case."""
        situation = self.new_situation()
        situation.spanish, situation.state, situation.city, situation.zip = (
            other.spanish, other.state, other.city, other.zip,
        )  # fmt: skip
        situation.address = other.address or self._address() or ("2210", "Oak", ("St", "Street"), None)
        other.address = situation.address
        gap = self.rng.choice([-4, -3, -2, -2, -1, 1, 2, 2, 3, 5])
        birth = other.victim.birth + timedelta(days=365 * gap + self.rng.randrange(-60, 60))
        victim = self._person(
            spanish=other.spanish,
            gender="f" if self.rng.random() < 0.6 else "m",
            age=18,
            at=situation.start,
            state=situation.state,
        )
        while victim.given == other.victim.given:
            victim.given = self.rng.choice(ES_FEMALE + ES_MALE if other.spanish else EN_FEMALE + EN_MALE)
        victim.family, victim.birth = list(other.victim.family), birth
        situation.victim, situation.kind, situation.related = victim, "sibling", other.id
        return situation

    def neighbour_of(self, other: Situation) -> Situation:
        """Same building, another apartment, another family: a different case."""
        situation = self.new_situation()
        situation.state, situation.city, situation.zip = other.state, other.city, other.zip
        number, street, suffix, unit = other.address or ("4500", "Harwin", ("Dr", "Drive"), "12")
        other.address = (number, street, suffix, unit or "12")
        situation.address = (number, street, suffix, str(int(unit or "12") + self.rng.randint(1, 20)))
        situation.kind, situation.related = "neighbour", other.id
        return situation

    def namesake_of(self, other: Situation) -> Situation:
        """The same common name, another person (another age, usually another place)."""
        situation = self.new_situation()
        situation.victim.given, situation.victim.family = other.victim.given, list(other.victim.family)
        situation.victim.gender = other.victim.gender
        shift = self.rng.choice([-6, -5, -4, -3, 3, 4, 5, 7])
        situation.victim.birth = other.victim.birth + timedelta(days=365 * shift)
        situation.kind, situation.related = "namesake", other.id
        return situation

    # Reporting a situation, noisily

    def _typo(self, word: str) -> str:
        letters = [ch for ch in word]
        if len(letters) < 4:
            return word
        i = self.rng.randrange(1, len(letters) - 1)
        edit = self.rng.choice(["sub", "del", "ins", "swap"])
        if edit == "sub":
            letters[i] = self.rng.choice(string.ascii_lowercase)
        elif edit == "del":
            del letters[i]
        elif edit == "ins":
            letters.insert(i, self.rng.choice(string.ascii_lowercase))
        else:
            letters[i], letters[i + 1 if i + 1 < len(letters) else i - 1] = (
                letters[i + 1 if i + 1 < len(letters) else i - 1],
                letters[i],
            )
        return "".join(letters)

    def _strip_accents(self, text: str) -> str:
        import unicodedata

        return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))

    def _name(self, person: Person, *, spanish: bool, errors: int) -> str:
        """The name as one reporter gives it: normal variation (accents, case, one or both surnames, order),
        plus at most `errors` mistakes or liberties (a typo, a nickname)."""
        rng = self.rng
        given = person.given
        plain = self._strip_accents(given).lower().split()[0]
        nicknames = [nick for nick, full in NICKNAMES.items() if plain in full and len(full) <= 2]
        if errors and nicknames and rng.random() < 0.3:
            given, errors = rng.choice(nicknames).title(), errors - 1
        family = list(person.family)
        if spanish and len(family) == 2:
            roll = rng.random()
            if roll < 0.5:
                family = family[:1]
            elif roll < 0.56:
                family = [f"{family[0]}-{family[1]}"]
        for _ in range(errors):
            if rng.random() < 0.6:
                continue
            if rng.random() < 0.5:
                given = self._typo(given)
            else:
                family[0] = self._typo(family[0])
        if rng.random() < 0.5:
            given, family = self._strip_accents(given), [self._strip_accents(part) for part in family]
        order = rng.random()
        if order < 0.08:
            name = f"{' '.join(family)}, {given}"
        elif order < 0.11:
            name = f"{' '.join(family)} {given}"
        else:
            name = f"{given} {' '.join(family)}"
        casing = rng.random()
        if casing < 0.15:
            name = name.upper()
        elif casing < 0.25:
            name = name.lower()
        return name

    def _phone_text(self, phone: str) -> str:
        area, exchange, line = phone[:3], phone[3:6], phone[6:]
        return self.rng.choice(
            [
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"{area}.{exchange}.{line}",
                f"+1 {area} {exchange} {line}",
                f"{area}{exchange}{line}",
                f"1-{area}-{exchange}-{line}",
                f"{exchange}-{line}",  # no area code
            ]
        )

    def _age_fields(self, person: Person, at: datetime, *, errors: int) -> dict[str, Any]:
        rng = self.rng
        age = at.year - person.birth.year - ((at.month, at.day) < (person.birth.month, person.birth.day))
        roll = rng.random()
        if roll < 0.55:
            return {"age": max(0, age + (rng.choice([-1, 1]) if errors and rng.random() < 0.3 else 0))}
        if roll < 0.75:
            low = max(0, age - rng.randint(0, 2))
            return {"age_min": low, "age_max": low + rng.randint(2, 3)}
        if roll < 0.85:
            return {"dob": person.birth.isoformat()}
        return {}

    def _person_payload(self, person: Person, *, role: str, spanish: bool, at: datetime) -> dict[str, Any]:
        rng = self.rng
        payload: dict[str, Any] = {"role": role}
        # Like FEBRL's generator: a report gets few mistakes (0-2), however many fields it leaves out.
        errors = rng.choice([0, 1, 1, 2])
        named = rng.random() < 0.9
        if named:
            payload["name"] = self._name(person, spanish=spanish, errors=errors)
        payload.update(self._age_fields(person, at, errors=errors))
        if rng.random() < 0.7:
            female = person.gender == "f"
            payload["gender"] = rng.choice(["female", "F", "girl"] if female else ["male", "M", "boy"])
        # A reporter who does not know the name usually knows how to reach the person.
        if person.phone and rng.random() < (0.6 if named else 0.85):
            payload["phone"] = self._phone_text(person.phone)
        if person.email and rng.random() < 0.5:
            payload["email"] = person.email.upper() if rng.random() < 0.2 else person.email
        return payload

    def report(self, situation: Situation, number: int) -> LabeledTip:
        rng = self.rng
        at = situation.start + timedelta(
            days=rng.expovariate(1 / 20) if number else 0, hours=rng.randrange(24)
        )
        at = min(at, datetime(2026, 6, 30, tzinfo=UTC))
        persons = [self._person_payload(situation.victim, role="victim", spanish=situation.spanish, at=at)]
        if situation.suspect and rng.random() < 0.6:
            suspect = self._person_payload(
                situation.suspect, role="suspect", spanish=situation.spanish, at=at
            )
            if "age" in suspect or "dob" in suspect:
                suspect.pop("dob", None)
                suspect.pop("age", None)
                suspect.update({"age_min": 20, "age_max": 45})
            persons.append(suspect)
        location: dict[str, Any] = {}
        if rng.random() < 0.95:
            location["state"] = situation.state
        if rng.random() < 0.7:
            location["city"] = situation.city if rng.random() < 0.8 else situation.city.upper()
        if rng.random() < 0.4:
            location["zip"] = situation.zip
        if situation.address and rng.random() < 0.55:
            number_, street, (short, long), unit = situation.address
            text = f"{number_} {street} {rng.choice([short, long, short + '.'])}"
            if unit and rng.random() < 0.8:
                text += rng.choice([f" Apt {unit}", f" #{unit}", f", Apt. {unit}", f" Unit {unit}"])
            location["address"] = text
        payload = {
            "external_id": f"bench-{situation.id}-{number}",
            "channel": "import",
            "received_at": at.isoformat(),
            "narrative": rng.choice(NARRATIVES),
            "persons": persons,
            "location": location or None,
        }
        return LabeledTip(
            situation=situation.id,
            payload={k: v for k, v in payload.items() if v is not None},
            kind=situation.kind,
            related=situation.related,
            origin=situation.id,
        )


def facts(payload: dict[str, Any]) -> set[str]:
    """What a report states about its situation that another report could also state: each person's name,
    phone and email, and the address. Ages, genders and cities are not facts here: many share them."""
    stated = {
        f"{person['role']}.{key}"
        for person in payload["persons"]
        for key in ("name", "phone", "email")
        if person.get(key)
    }
    if (payload.get("location") or {}).get("address"):
        stated.add("address")
    return stated


def _label_by_shared_facts(reports: list[LabeledTip], next_label: int) -> int:
    """Label a situation's reports as one case only as far as they share facts, directly or through other
    reports: two reports with nothing in common ("a 29-year-old woman in Arizona" and a later report naming
    her) cannot be joined by anyone reading them, so the labels do not expect it."""
    parent = list(range(len(reports)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    stated = [facts(report.payload) for report in reports]
    for i in range(len(reports)):
        for j in range(i):
            if stated[i] & stated[j]:
                parent[find(i)] = find(j)
    labels: dict[int, int] = {}
    for i, report in enumerate(reports):
        root = find(i)
        if root not in labels:
            labels[root], next_label = next_label, next_label + 1
        report.situation = labels[root]
    return next_label


NARRATIVES = [
    "Caller reports the child is being made to work long hours and is not in school.",
    "Reporter saw ads posted online and believes the person is under someone's control.",
    "Neighbor says an older man brings the person to motels and keeps their phone.",
    "Teacher is concerned: bruises, exhaustion, mentions owing money to a boyfriend.",
    "Follow-up call about the same situation; more details since the last report.",
    "Anonymous caller says the family is forced to work to pay off a debt.",
]


def generate(*, tips: int, seed: int = 7) -> list[LabeledTip]:
    """At least `tips` labeled tips, in the order they were received."""
    gen = Generator(seed)
    labeled: list[LabeledTip] = []
    next_label = 0
    while len(labeled) < tips:
        roll = gen.rng.random()
        if gen.situations and roll < 0.12:
            situation = gen.sibling_of(gen.rng.choice(gen.situations))
        elif gen.situations and roll < 0.16:
            situation = gen.neighbour_of(gen.rng.choice(gen.situations))
        elif gen.situations and roll < 0.20:
            situation = gen.namesake_of(gen.rng.choice(gen.situations))
        else:
            situation = gen.new_situation()
        count = 1
        while count < 8 and gen.rng.random() < 0.55:
            count += 1
        reports = [gen.report(situation, number) for number in range(count)]
        next_label = _label_by_shared_facts(reports, next_label)
        labeled.extend(reports)
    labeled.sort(key=lambda tip: tip.received_at)
    return labeled


def pair_counts(truth: list[int], predicted: list[Any]) -> tuple[int, int, int]:
    """(true positive, predicted, actual) pairs of tips placed together."""
    from collections import Counter

    def pairs(counter: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    together = pairs(Counter(zip(truth, predicted, strict=True)))
    return together, pairs(Counter(predicted)), pairs(Counter(truth))


def precision_recall_f1(truth: list[int], predicted: list[Any]) -> tuple[float, float, float]:
    true_positive, predicted_pairs, actual_pairs = pair_counts(truth, predicted)
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / actual_pairs if actual_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1

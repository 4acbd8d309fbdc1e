"""Names so common that sharing one says little: two reports of a "María García" are often two girls.

Approximate shares from the U.S. Census 2010 surname list and the Social Security Administration's given
names (with the given names most common among Hispanic Americans added). Only the head of each list is
kept: matching treats these names as common and every other name as distinctive.
"""

from __future__ import annotations

# fmt: off
COMMON_FAMILY_NAMES = frozenset((
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
    "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
    "martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis",
    "robinson", "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores",
    "green", "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts",
    "gomez", "phillips", "evans", "turner", "diaz", "parker", "cruz", "edwards", "collins", "reyes",
    "stewart", "morris", "morales", "murphy", "cook", "rogers", "gutierrez", "ortiz", "morgan", "cooper",
    "peterson", "bailey", "reed", "kelly", "howard", "ramos", "kim", "cox", "ward", "richardson", "watson",
    "brooks", "chavez", "wood", "james", "bennett", "gray", "mendoza", "ruiz", "hughes", "price", "alvarez",
    "castillo", "sanders", "patel", "myers", "long", "ross", "foster", "jimenez"
))
COMMON_GIVEN_NAMES = frozenset((
    "maria", "jose", "juan", "luis", "carlos", "jesus", "guadalupe", "ana", "francisco", "miguel",
    "antonio", "manuel", "jorge", "pedro", "rosa", "elena", "james", "john", "robert", "michael", "william",
    "david", "richard", "joseph", "thomas", "charles", "christopher", "daniel", "matthew", "anthony",
    "mark", "donald", "steven", "paul", "andrew", "joshua", "kenneth", "kevin", "brian", "george", "edward",
    "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara", "susan", "jessica", "sarah", "karen",
    "nancy", "lisa", "betty", "margaret", "sandra", "ashley", "kimberly", "emily", "donna", "michelle",
    "dorothy", "carol", "amanda", "melissa", "deborah", "stephanie", "rebecca", "sharon", "laura",
    "cynthia", "kathleen", "amy", "angela"
))
# fmt: on


def is_common_family(name: str) -> bool:
    return name in COMMON_FAMILY_NAMES


def is_common_given(name: str) -> bool:
    return name in COMMON_GIVEN_NAMES


# Given names that often come second in a compound given name (María José, Ana Sofía, Juan Carlos, Mary Ann):
# in a name of three or more words, such a second word is a given name, not a family name.
# fmt: off
SECOND_GIVEN_NAMES = frozenset((
    "jose", "maria", "luis", "carlos", "pablo", "antonio", "manuel", "miguel", "angel", "alberto",
    "eduardo", "fernando", "francisco", "javier", "jesus", "daniel", "david", "alejandro", "andres",
    "enrique", "ignacio", "ramon", "guadalupe", "sofia", "elena", "isabel", "fernanda", "gabriela",
    "alejandra", "lucia", "paula", "valentina", "victoria", "camila", "teresa", "del", "carmen", "rosa",
    "luisa", "eugenia", "cristina", "ann", "anne", "anna", "lynn", "marie", "mae", "jo", "rose", "grace",
    "louise", "jane", "beth", "kay", "renee", "nicole", "elizabeth", "michelle", "michael", "james", "john",
    "joseph", "lee", "ray", "allen", "wayne", "dean", "paul", "edward", "thomas", "william", "robert"
))
# fmt: on


def is_second_given(name: str) -> bool:
    return name in SECOND_GIVEN_NAMES and name not in COMMON_FAMILY_NAMES

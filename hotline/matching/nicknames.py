"""Common nicknames and short forms of given names, English and Spanish, to their full forms.

A nickname that stands for several names (Alex, Chris, Beto) lists each; matching tries them all. Keys are
accent-free lower case, as `normalize.fold` writes them. Full names map to themselves implicitly.
"""

from __future__ import annotations

_TABLE: dict[str, str] = {
    # English
    "abby": "abigail", "abbie": "abigail", "al": "albert alan alfred",
    "alex": "alexander alexandra alejandro",
    "ali": "alison alicia", "allie": "alison alexandra", "andy": "andrew andres", "angie": "angela angelica",
    "annie": "ann anna", "becky": "rebecca", "becca": "rebecca", "ben": "benjamin", "benny": "benjamin",
    "beth": "elizabeth", "betsy": "elizabeth", "betty": "elizabeth", "bill": "william", "billy": "william",
    "bob": "robert", "bobby": "robert", "brad": "bradley", "cathy": "catherine", "kathy": "katherine",
    "kate": "katherine catherine", "katie": "katherine catherine", "kat": "katherine catherine",
    "charlie": "charles", "chuck": "charles", "chris": "christopher christina christian cristian",
    "cindy": "cynthia", "dan": "daniel", "danny": "daniel", "dave": "david", "davy": "david",
    "debbie": "deborah", "deb": "deborah", "don": "donald", "donny": "donald", "doug": "douglas",
    "ed": "edward eduardo", "eddie": "edward eduardo", "ellie": "eleanor elena", "fred": "frederick",
    "freddy": "frederick", "gabe": "gabriel", "gabby": "gabriela gabrielle", "greg": "gregory",
    "hank": "henry", "jack": "john", "jackie": "jacqueline", "jake": "jacob", "jim": "james",
    "jimmy": "james", "jamie": "james jamie", "jen": "jennifer", "jenny": "jennifer", "jess": "jessica",
    "jessie": "jessica", "joe": "joseph", "joey": "joseph", "jon": "jonathan", "johnny": "john",
    "josh": "joshua", "judy": "judith", "kim": "kimberly", "kenny": "kenneth", "ken": "kenneth",
    "larry": "lawrence", "liz": "elizabeth", "lizzie": "elizabeth", "lisa": "elisa elizabeth",
    "maddie": "madison madeline", "maggie": "margaret", "mandy": "amanda", "matt": "matthew",
    "meg": "margaret megan", "mike": "michael", "mikey": "michael", "mickey": "michael", "mitch": "mitchell",
    "nate": "nathan nathaniel", "nick": "nicholas", "nicky": "nicholas nicole", "nikki": "nicole",
    "pam": "pamela", "pat": "patrick patricia", "patty": "patricia", "peggy": "margaret", "pete": "peter",
    "phil": "phillip", "rich": "richard", "rick": "richard", "ricky": "richard ricardo", "rob": "robert",
    "robbie": "robert", "ron": "ronald", "ronnie": "ronald", "sam": "samuel samantha", "sammy": "samuel",
    "sandy": "sandra", "steve": "steven stephen", "sue": "susan", "susie": "susan", "ted": "theodore edward",
    "teddy": "theodore", "tim": "timothy", "timmy": "timothy", "tom": "thomas", "tommy": "thomas",
    "tony": "anthony antonio", "toni": "antonia", "trish": "patricia", "val": "valerie", "vicky": "victoria",
    "vince": "vincent", "will": "william", "willy": "william", "zach": "zachary", "zack": "zachary",
    # Spanish
    "beto": "alberto roberto humberto", "chato": "santiago", "chava": "salvador", "chayo": "rosario",
    "chela": "graciela", "chelo": "consuelo", "chema": "jose maria", "chencho": "crescencio",
    "chepe": "jose", "chente": "vicente", "chucho": "jesus", "chuy": "jesus", "concha": "concepcion",
    "conchita": "concepcion", "cuca": "refugio", "fito": "adolfo rodolfo", "gaby": "gabriela",
    "goyo": "gregorio", "guille": "guillermo", "lalo": "eduardo", "lencho": "lorenzo",
    "lola": "dolores", "lolita": "dolores", "lucho": "luis", "lupe": "guadalupe", "lupita": "guadalupe",
    "manolo": "manuel", "meche": "mercedes", "memo": "guillermo", "mili": "emilia", "nacho": "ignacio",
    "nando": "fernando", "nena": "elena", "pancho": "francisco", "paco": "francisco", "paquita": "francisca",
    "pepa": "josefa", "pepe": "jose", "pili": "pilar", "pita": "guadalupe", "quique": "enrique",
    "rafa": "rafael", "rebe": "rebeca", "rosi": "rosa rosario",
    "santi": "santiago", "tere": "teresa", "teresita": "teresa", "tito": "alberto roberto",
    "tono": "antonio", "vero": "veronica", "yoli": "yolanda", "juanito": "juan", "juancho": "juan",
    "pablito": "pablo", "carlitos": "carlos", "miguelito": "miguel", "anita": "ana",
    "mari": "maria", "maru": "maria eugenia", "kike": "enrique", "javi": "javier",
    "dani": "daniel daniela", "fer": "fernando fernanda", "isa": "isabel", "chabela": "isabel",
    "licha": "alicia", "luchi": "luz", "marce": "marcela", "pao": "paola", "ale": "alejandro alejandra",
}  # fmt: skip

NICKNAMES: dict[str, tuple[str, ...]] = {
    nickname: tuple(dict.fromkeys(full.split())) for nickname, full in _TABLE.items() if full != nickname
}


def full_forms(given: str) -> tuple[str, ...]:
    """The full given names a (folded) given name may stand for: itself when it is not a known nickname."""
    return NICKNAMES.get(given, (given,))

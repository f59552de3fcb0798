"""Slot fillers for scripts/make_golden.py: one synthetic value per FORMAT.md slot and locale,
plus the obfuscations that make a value dodge pattern matching.

Every value comes from a `random.Random` and a Faker instance that the caller seeds per record,
so a record's values depend only on its seed. Nothing here reads the clock: Faker's date
helpers are avoided because they count from today. Checksummed values use pii.validators, so
positives pass the real checks and the invalid_* look-alikes fail them.

Left out: realistic value *distributions* (issuer shares, regional phone prefixes beyond a few),
and languages without a Faker locale mapping below (a template in one is a build error).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import re
import string
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

from pii import validators as v

# slot -> PII type (FORMAT.md, "PII slots").
PII_SLOTS: dict[str, str] = {
    "person": "PERSON_NAME", "person2": "PERSON_NAME", "email": "EMAIL", "phone": "PHONE",
    "address": "STREET_ADDRESS", "dob": "DATE_OF_BIRTH", "ssn": "GOV_ID", "passport": "GOV_ID",
    "driver_licence": "GOV_ID", "national_id": "GOV_ID", "card": "CREDIT_CARD",
    "iban": "BANK_ACCOUNT", "bank_account": "BANK_ACCOUNT", "ip": "IP_ADDRESS",
    "username": "USERNAME_OR_HANDLE", "password": "CREDENTIAL", "api_key": "CREDENTIAL",
    "pin": "CREDENTIAL", "mrn": "MEDICAL_ID_OR_HEALTH", "insurance_no": "MEDICAL_ID_OR_HEALTH",
    "diagnosis": "MEDICAL_ID_OR_HEALTH", "mac": "DEVICE_ID", "imei": "DEVICE_ID",
    "ad_id": "DEVICE_ID", "coords": "GEO_PRECISE", "plate": "VEHICLE_ID", "vin": "VEHICLE_ID",
}  # fmt: skip

# slot -> hard-negative kind, or None for neutral slots (FORMAT.md, "Look-alike" table).
LOOKALIKE_SLOTS: dict[str, str | None] = {
    "first_name": "first_name_only", "company": "company_contact",
    "company_email": "company_contact", "company_phone": "company_contact",
    "company_address": "company_contact", "city": None, "order_id": "order_number",
    "tracking_no": "tracking_number", "version": "version", "timestamp": "timestamp",
    "date": "bare_date", "sku": "product_code", "invalid_card": "invalid_checksum",
    "invalid_iban": "invalid_checksum", "test_card": "test_value",
    "example_email": "reserved_example", "fictional_phone": "reserved_example",
    "private_ip": "private_ip", "uuid": "uuid_or_hash", "sha256": "uuid_or_hash",
    "public_figure": "public_figure", "fictional_character": "fictional",
    "system_account": "system_account", "placeholder": "placeholder",
    "landmark_coords": "landmark", "amount": None, "product": None, "number": None,
}  # fmt: skip

ALL_SLOTS = frozenset(PII_SLOTS) | frozenset(LOOKALIKE_SLOTS)

# Locales per template language; `en` alternates US and UK by record.
LOCALES: dict[str, tuple[str, ...]] = {
    "en": ("en_US", "en_US", "en_US", "en_GB", "en_GB"),
    "de": ("de_DE",), "fr": ("fr_FR",), "es": ("es_ES",), "it": ("it_IT",), "nl": ("nl_NL",),
}  # fmt: skip

# Values the slot can only take from a short list: the planner caps renders by these.
SMALL_SLOTS = {
    "system_account": 12, "placeholder": 12, "public_figure": 7, "fictional_character": 6,
    "landmark_coords": 8, "test_card": 10, "number": 98, "diagnosis": 8, "product": 8,
}  # fmt: skip

OBFUSCATABLE = ("email", "phone", "card", "iban", "ssn", "national_id", "imei", "ip")

SYSTEM_ACCOUNTS = (
    "root", "admin", "www-data", "svc-backup", "ci-bot", "postgres", "nginx", "jenkins",
    "deploy", "nobody", "daemon", "svc-monitor",
)  # fmt: skip
PLACEHOLDERS = (
    "[REDACTED]", "<NAME>", "{{email}}", "XXX-XX-XXXX", "***", "<YOUR_API_KEY>", "[NAME]",
    "{{first_name}}", "********", "<EMAIL>", "[PHONE]", "changeme",
)  # fmt: skip
_ROLE_WORDS = {"support", "info", "admin", "root", "noreply", "sales", "billing", "contact"}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}

_BY_LANG: dict[str, dict[str, tuple[str, ...]]] = {
    "diagnosis": {
        "en": ("type 2 diabetes", "hypertension", "asthma", "major depressive disorder",
               "epilepsy", "ulcerative colitis", "metformin 500 mg twice daily", "HIV",
               "sertraline 50 mg daily", "stage II breast cancer", "multiple sclerosis"),
        "de": ("Diabetes mellitus Typ 2", "Bluthochdruck", "Asthma bronchiale", "Depression",
               "Epilepsie", "Morbus Crohn", "Metformin 500 mg zweimal täglich", "HIV-positiv",
               "Multiple Sklerose"),
        "fr": ("diabète de type 2", "hypertension artérielle", "asthme", "dépression sévère",
               "épilepsie", "maladie de Crohn", "metformine 500 mg deux fois par jour",
               "séropositivité VIH", "sclérose en plaques"),
        "es": ("diabetes tipo 2", "hipertensión", "asma", "depresión mayor", "epilepsia",
               "enfermedad de Crohn", "metformina 500 mg dos veces al día", "VIH positivo",
               "esclerosis múltiple"),
        "it": ("diabete di tipo 2", "ipertensione", "asma", "depressione maggiore",
               "epilessia", "morbo di Crohn", "metformina 500 mg due volte al giorno",
               "sclerosi multipla"),
        "nl": ("diabetes type 2", "hoge bloeddruk", "astma", "depressie", "epilepsie",
               "ziekte van Crohn", "metformine 500 mg tweemaal daags", "multiple sclerose"),
    },
    "public_figure": {
        "en": ("Barack Obama", "Joe Biden", "Keir Starmer", "Rishi Sunak", "Taylor Swift",
               "Elon Musk", "King Charles III", "Serena Williams", "Kamala Harris"),
        "de": ("Angela Merkel", "Olaf Scholz", "Friedrich Merz", "Frank-Walter Steinmeier",
               "Annalena Baerbock", "Thomas Müller", "Helene Fischer"),
        "fr": ("Emmanuel Macron", "Marine Le Pen", "Kylian Mbappé", "François Hollande",
               "Gabriel Attal", "Zinedine Zidane", "Brigitte Macron"),
        "es": ("Pedro Sánchez", "Rafael Nadal", "Felipe VI", "Isabel Díaz Ayuso",
               "Alberto Núñez Feijóo", "Penélope Cruz", "Carlos Alcaraz"),
        "it": ("Giorgia Meloni", "Sergio Mattarella", "Mario Draghi", "Roberto Benigni"),
        "nl": ("Mark Rutte", "Max Verstappen", "Dick Schoof", "Willem-Alexander"),
    },
    "fictional_character": {
        "en": ("Sherlock Holmes", "Harry Potter", "Hermione Granger", "Frodo Baggins",
               "Elizabeth Bennet", "Jay Gatsby", "Homer Simpson", "Atticus Finch"),
        "de": ("Pippi Langstrumpf", "Effi Briest", "Doktor Faust", "Biene Maja", "Winnetou",
               "Old Shatterhand"),
        "fr": ("Jean Valjean", "Emma Bovary", "Arsène Lupin", "Astérix", "Tintin",
               "le commissaire Maigret"),
        "es": ("Don Quijote", "Sancho Panza", "Dulcinea del Toboso", "Lazarillo de Tormes",
               "Mafalda", "Mortadelo"),
        "it": ("Pinocchio", "il commissario Montalbano", "Geppetto", "Dylan Dog"),
        "nl": ("Nijntje", "Dikkie Dik", "Kuifje", "Pipo de Clown"),
    },
    "product": {
        "en": ("wireless headphones", "standing desk", "coffee grinder", "4K monitor",
               "running shoes", "air fryer", "e-bike battery", "robot vacuum"),
        "de": ("Kaffeemaschine", "Wanderschuhe", "Staubsaugerroboter", "Bürostuhl",
               "Fahrradhelm", "Heißluftfritteuse", "Monitor 27 Zoll", "Wasserkocher"),
        "fr": ("cafetière", "aspirateur robot", "chaussures de randonnée", "chaise de bureau",
               "casque audio", "friteuse sans huile", "écran 27 pouces", "bouilloire"),
        "es": ("cafetera", "aspiradora robot", "zapatillas de running", "silla de oficina",
               "auriculares", "freidora de aire", "monitor 4K", "hervidor"),
        "it": ("macchina del caffè", "robot aspirapolvere", "scarpe da corsa", "sedia da ufficio",
               "cuffie wireless", "friggitrice ad aria", "monitor 4K", "bollitore"),
        "nl": ("koffiezetapparaat", "robotstofzuiger", "hardloopschoenen", "bureaustoel",
               "koptelefoon", "airfryer", "4K-monitor", "waterkoker"),
    },
}  # fmt: skip

_LANDMARKS = {
    "US": ("40.6892, -74.0445", "37.8199, -122.4783", "40.7484, -73.9857", "38.8895, -77.0353"),
    "GB": ("51.5007, -0.1246", "51.5055, -0.0754", "51.1789, -1.8262", "55.9486, -3.1999"),
    "DE": ("52.5163, 13.3777", "48.1374, 11.5755", "50.9413, 6.9583", "47.5576, 10.7498"),
    "FR": ("48.8584, 2.2945", "48.8606, 2.3376", "48.6361, -1.5115", "48.8530, 2.3499"),
    "ES": ("41.4036, 2.1744", "40.4169, -3.7035", "37.1761, -3.5881", "41.3851, 2.1734"),
    "IT": ("41.8902, 12.4922", "43.7230, 10.3966", "45.4642, 9.1900", "43.7731, 11.2560"),
    "NL": ("52.3600, 4.8852", "52.3731, 4.8932", "52.0799, 4.3113", "51.9225, 4.4792"),
}
# Rough country boxes (lat0, lat1, lon0, lon1) for a person's coordinates.
_BOXES = {
    "US": (30.0, 47.0, -122.0, -75.0), "GB": (50.8, 55.0, -3.5, 0.5),
    "DE": (47.8, 54.2, 6.5, 14.5), "FR": (43.6, 49.5, -1.0, 7.0), "ES": (36.8, 43.0, -8.0, 2.8),
    "IT": (38.5, 45.8, 8.0, 16.0), "NL": (51.3, 53.2, 4.0, 6.8),
}  # fmt: skip
_TLD = {"US": "com", "GB": "co.uk", "DE": "de", "FR": "fr", "ES": "es", "IT": "it", "NL": "nl"}


@dataclass
class Ctx:
    """What one record's fillers share: its seeded randomness, locale and values so far."""

    rng: random.Random
    fake: Faker
    locale: str
    language: str
    values: dict[str, str] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def country(self) -> str:
        return self.locale.split("_")[1]

    def digits(self, n: int, first_nonzero: bool = False) -> str:
        out = "".join(self.rng.choice(string.digits) for _ in range(n))
        if first_nonzero and out[0] == "0":
            out = self.rng.choice("123456789") + out[1:]
        return out

    def letters(self, n: int, alphabet: str = string.ascii_uppercase) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def by_lang(self, key: str) -> str:
        table = _BY_LANG[key]
        return self.pick(table.get(self.language, table["en"]))


def ascii_slug(text: str) -> str:
    """Lowercase ASCII letters and digits only (for e-mail local parts and domains)."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _group(s: str, sizes: tuple[int, ...], sep: str = " ") -> str:
    parts, i = [], 0
    for n in sizes:
        parts.append(s[i : i + n])
        i += n
    if i < len(s):
        parts.append(s[i:])
    return sep.join(p for p in parts if p)


# --- people, contact --------------------------------------------------------------------------


def _name(ctx: Ctx, key: str) -> str:
    for _ in range(20):
        first, last = ctx.fake.first_name(), ctx.fake.last_name()
        if ctx.locale == "es_ES" and ctx.rng.random() < 0.6:
            last = f"{last} {ctx.fake.last_name()}"
        if all(first != f or last != s for f, s in ctx.names.values()):
            break
    ctx.names[key] = (first, last)
    if ctx.rng.random() < 0.12 and ctx.country in ("US", "GB", "DE"):
        return f"{ctx.pick(('Dr.', 'Dr.', 'Prof.'))} {first} {last}"
    return f"{first} {last}"


def _email(ctx: Ctx) -> str:
    if "person" in ctx.names and ctx.rng.random() < 0.6:
        first, last = ctx.names["person"]
    else:
        first, last = ctx.fake.first_name(), ctx.fake.last_name()
    first, last = ascii_slug(first) or "kim", ascii_slug(last.split()[0]) or "lee"
    local = ctx.pick(
        (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{ctx.digits(2)}",
         f"{first}_{last[0]}", f"{last}.{first}", f"{first}{ctx.rng.randint(1960, 2005)}")
    )  # fmt: skip
    if ctx.rng.random() < 0.25:
        domain = f"{ascii_slug(ctx.fake.last_name())}-{ctx.pick(('consulting', 'group', 'tech'))}"
        domain = f"{domain}.{_TLD[ctx.country]}"
    else:
        domain = ctx.fake.free_email_domain()
    return f"{local}@{domain}"


def _phone(ctx: Ctx) -> str:
    c, d = ctx.country, ctx.digits
    if c == "US":
        area = f"{ctx.rng.randint(2, 9)}{d(1)}{ctx.rng.randint(0, 8)}"
        ex = f"{ctx.rng.randint(2, 9)}{d(2)}"
        if ex == "555":
            ex = "556"
        line = d(4)
        return ctx.pick((f"({area}) {ex}-{line}", f"{area}-{ex}-{line}", f"+1 {area} {ex} {line}",
                         f"{area}.{ex}.{line}"))  # fmt: skip
    if c == "GB":
        # 07700 900xxx is Ofcom's drama range: fictional, so never used for a person.
        mob = ctx.pick(("3", "4", "5", "7", "8", "9")) + d(8)
        return ctx.pick((f"07{mob[:3]} {mob[3:]}", f"+44 7{mob[:3]} {mob[3:]}", f"07{mob}"))
    if c == "DE":
        pre, num = ctx.pick(("151", "152", "160", "162", "170", "171", "176", "177")), d(8)
        return ctx.pick((f"0{pre} {num}", f"+49 {pre} {num}", f"0{pre}/{num}",
                         f"030 {d(8, True)}", f"089 {d(7, True)}"))  # fmt: skip
    if c == "FR":
        # 06 39 98 xx xx is ARCEP's range for fiction.
        n = ctx.pick(("6", "7")) + ctx.pick(("1", "2", "4", "5", "7", "8")) + d(7)
        pairs = " ".join(n[i : i + 2] for i in range(1, 9, 2))
        return ctx.pick((f"0{n[0]} {pairs}", f"+33 {n[0]} {pairs}", f"0{n}"))
    if c == "ES":
        n = ctx.pick(("6", "7")) + d(8)
        return ctx.pick((f"{n[:3]} {n[3:6]} {n[6:]}", f"+34 {n[:3]} {n[3:5]} {n[5:7]} {n[7:]}",
                         f"{n}", f"91 {d(3)} {d(2)} {d(2)}"))  # fmt: skip
    if c == "IT":
        n = "3" + ctx.pick(("2", "3", "4", "5", "8", "9")) + d(8)
        return ctx.pick((f"+39 {n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]} {n[3:]}"))
    n = d(8)
    return ctx.pick((f"06-{n}", f"+31 6 {n}", f"06 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}"))


def _street(ctx: Ctx) -> str:
    c, n = ctx.country, ctx.rng.randint(1, 199)
    street = ctx.fake.street_name()
    if c in ("US", "GB"):
        unit = ctx.pick(("", "", "", f", Apt {ctx.rng.randint(1, 40)}", f", Flat {n % 12 + 1}"))
        return f"{ctx.rng.randint(1, 9999) if c == 'US' else n} {street}{unit}"
    if c == "FR":
        return f"{n}{ctx.pick(('', '', ' bis'))} {street}"
    if c == "ES":
        return f"{street}, {n}, {ctx.rng.randint(1, 9)}º {ctx.pick(('A', 'B', 'C', 'D'))}"
    return f"{street} {n}{ctx.pick(('', '', '', 'a', 'b'))}"


def _address(ctx: Ctx) -> str:
    c, street, city = ctx.country, _street(ctx), ctx.fake.city()
    if c == "US":
        state = ctx.fake.state_abbr(
            include_territories=False, include_freely_associated_states=False
        )
        return f"{street}, {city}, {state} {ctx.fake.zipcode()}"
    postcode = ctx.fake.postcode()
    if c == "GB":
        return f"{street}, {city} {postcode}"
    if c == "NL":
        postcode = f"{postcode[:4]} {postcode[-2:]}"
    return f"{street}, {postcode} {city}"


def _format_date(ctx: Ctx, day: dt.date) -> str:
    lang = ctx.language if ctx.language in _MONTHS else "en"
    month = _MONTHS[lang].split()[day.month - 1]
    d, m, y = day.day, day.month, day.year
    if ctx.locale == "en_US":
        return ctx.pick((f"{month} {d}, {y}", f"{m:02d}/{d:02d}/{y}", day.isoformat()))
    options = {
        "en": (f"{d} {month} {y}", f"{d:02d}/{m:02d}/{y}", day.isoformat()),
        "de": (f"{d:02d}.{m:02d}.{y}", f"{d}. {month} {y}", f"{d:02d}.{m:02d}.{y}"),
        "fr": (f"{d:02d}/{m:02d}/{y}", f"{d} {month} {y}"),
        "es": (f"{d:02d}/{m:02d}/{y}", f"{d} de {month} de {y}"),
        "it": (f"{d:02d}/{m:02d}/{y}", f"{d} {month} {y}"),
        "nl": (f"{d:02d}-{m:02d}-{y}", f"{d} {month} {y}"),
    }
    return ctx.pick(options[lang])


def _dob(ctx: Ctx) -> str:
    return _format_date(ctx, dt.date(1938, 1, 1) + dt.timedelta(days=ctx.rng.randrange(68 * 365)))


def _bare_date(ctx: Ctx) -> str:
    return _format_date(ctx, dt.date(2023, 1, 1) + dt.timedelta(days=ctx.rng.randrange(3 * 365)))


# --- government ids ---------------------------------------------------------------------------


def _ssn(ctx: Ctx, dashes: bool = True) -> str:
    while True:
        n = ctx.rng.randint
        s = f"{n(1, 899):03d}{n(1, 99):02d}{n(1, 9999):04d}"
        if v.ssn_valid(s):
            return f"{s[:3]}-{s[3:5]}-{s[5:]}" if dashes or ctx.rng.random() < 0.8 else s


def _nino(ctx: Ctx) -> str:
    while True:
        s = ctx.letters(2) + ctx.digits(6) + ctx.pick(("A", "B", "C", "D"))
        if v.nino_valid(s):
            return ctx.pick((s, f"{s[:2]} {s[2:4]} {s[4:6]} {s[6:8]} {s[8]}"))


def _steuer_id(ctx: Ctx) -> str:
    while True:
        digits = ctx.rng.sample(string.digits, 9)
        digits.append(ctx.rng.choice(digits))
        ctx.rng.shuffle(digits)
        first10 = "".join(digits)
        if first10[0] != "0":
            s = first10 + v.steuer_id_check_digit(first10)
            return ctx.pick((s, f"{s[:2]} {s[2:5]} {s[5:8]} {s[8:]}"))


def _nir(ctx: Ctx) -> str:
    dept = ctx.rng.choice([x for x in range(1, 96) if x != 20])
    body = (
        f"{ctx.rng.randint(1, 2)}{ctx.rng.randint(0, 99):02d}{ctx.rng.randint(1, 12):02d}"
        f"{dept:02d}{ctx.rng.randint(1, 990):03d}{ctx.rng.randint(1, 999):03d}"
    )
    s = body + v.nir_key(body)
    return ctx.pick((s, f"{s[0]} {s[1:3]} {s[3:5]} {s[5:7]} {s[7:10]} {s[10:13]} {s[13:]}"))


def _dni(ctx: Ctx) -> str:
    if ctx.rng.random() < 0.25:
        body = ctx.pick(("X", "Y", "Z")) + ctx.digits(7)
    else:
        body = ctx.digits(8, True)
    return body + v.dni_letter(body)


def _codice_fiscale(ctx: Ctx) -> str:
    consonants = "BCDFGHJKLMNPQRSTVWXYZ"
    body = (
        ctx.letters(6, consonants) + ctx.digits(2) + ctx.pick(tuple("ABCDEHLMPRST"))
        + f"{ctx.rng.choice([ctx.rng.randint(1, 28), ctx.rng.randint(41, 68)]):02d}"
        + ctx.letters(1, "ABCDEFGHILM") + ctx.digits(3)
    )  # fmt: skip
    return body + v.codice_fiscale_check_char(body)


def _bsn(ctx: Ctx) -> str:
    while True:
        first8 = ctx.digits(8, True)
        check = sum(int(d) * w for d, w in zip(first8, range(9, 1, -1), strict=True)) % 11
        if check < 10 and v.bsn_valid(first8 + str(check)):
            return first8 + str(check)


def _national_id(ctx: Ctx) -> str:
    return {
        "US": _ssn, "GB": _nino, "DE": _steuer_id, "FR": _nir, "ES": _dni,
        "IT": _codice_fiscale, "NL": _bsn,
    }[ctx.country](ctx)  # fmt: skip


def _passport(ctx: Ctx) -> str:
    c = ctx.country
    if c in ("US", "GB"):
        return ctx.digits(9, True) if ctx.rng.random() < 0.7 else ctx.letters(1) + ctx.digits(8)
    if c == "DE":
        return "C" + ctx.letters(8, "CFGHJKLMNPRTVWXYZ0123456789")
    if c == "FR":
        return ctx.digits(2) + ctx.letters(2) + ctx.digits(5)
    if c == "ES":
        return ctx.letters(3) + ctx.digits(6)
    if c == "IT":
        return ctx.letters(2) + ctx.digits(7)
    return ctx.letters(2) + ctx.letters(6, "ABCDEFGHJKLMNPRSTUVWXYZ0123456789") + ctx.digits(1)


def _driver_licence(ctx: Ctx) -> str:
    c = ctx.country
    if c == "US":
        return ctx.pick(
            (ctx.letters(1) + ctx.digits(7), ctx.digits(9), ctx.letters(1) + ctx.digits(12))
        )
    if c == "GB":
        surname = (ascii_slug(ctx.fake.last_name()).upper() + "99999")[:5]
        return f"{surname}{ctx.digits(6)}{ctx.letters(2)}9{ctx.letters(2)}"
    if c == "DE":
        return (
            ctx.letters(1)
            + ctx.digits(2)
            + ctx.letters(6, string.ascii_uppercase + string.digits)
            + ctx.digits(2)
        )
    if c == "FR":
        return ctx.digits(12)
    if c == "ES":
        return _dni(ctx)
    if c == "IT":
        return "U1" + ctx.letters(7, string.ascii_uppercase + string.digits) + ctx.letters(1)
    return ctx.digits(10)


# --- money ------------------------------------------------------------------------------------


def _card_number(ctx: Ctx) -> str:
    while True:
        brand = ctx.rng.random()
        if brand < 0.5:
            payload = "4" + ctx.digits(14)
        elif brand < 0.8:
            prefix = (
                ctx.pick(("51", "52", "53", "54", "55"))
                if ctx.rng.random() < 0.8
                else str(ctx.rng.randint(2221, 2720))
            )
            payload = prefix + ctx.digits(15 - len(prefix))
        elif brand < 0.9:
            payload = ctx.pick(("34", "37")) + ctx.digits(12)
        else:
            payload = "6011" + ctx.digits(11)
        number = payload + v.luhn_check_digit(payload)
        if not v.is_test_card(number):
            return number


def _format_card(ctx: Ctx, number: str) -> str:
    sizes = (4, 6, 5) if len(number) == 15 else (4, 4, 4, 4)
    style = ctx.rng.random()
    if style < 0.55:
        return _group(number, sizes)
    return _group(number, sizes, "-") if style < 0.75 else number


def _card(ctx: Ctx) -> str:
    return _format_card(ctx, _card_number(ctx))


def _invalid_card(ctx: Ctx) -> str:
    payload = ctx.pick(("4", "5")) + ctx.digits(14)
    bad = (int(v.luhn_check_digit(payload)) + ctx.rng.randint(1, 9)) % 10
    return _format_card(ctx, payload + str(bad))


def _test_card(ctx: Ctx) -> str:
    return _format_card(ctx, ctx.pick(sorted(c for c in v.TEST_CARDS if len(c) in (15, 16))))


def _bban(ctx: Ctx, country: str) -> str:
    d, L = ctx.digits, ctx.letters
    return {
        "DE": lambda: d(8, True) + d(10),
        "GB": lambda: ctx.pick(("NWBK", "BARC", "LOYD", "HBUK", "MIDL")) + d(6) + d(8),
        "IE": lambda: ctx.pick(("AIBK", "BOFI")) + d(6) + d(8),
        "FR": lambda: d(5) + d(5) + d(11) + d(2),
        "ES": lambda: d(4) + d(4) + d(2) + d(10),
        "IT": lambda: L(1) + d(5) + d(5) + d(12),
        "NL": lambda: ctx.pick(("ABNA", "INGB", "RABO", "TRIO", "SNSB")) + d(10),
    }[country]()


def _iban_raw(ctx: Ctx) -> str:
    country = ctx.country if ctx.country != "US" else ctx.pick(("GB", "IE"))
    bban = _bban(ctx, country)
    iban = country + v.iban_check_digits(country, bban) + bban
    assert v.iban_valid(iban)
    return iban


def _iban(ctx: Ctx) -> str:
    iban = _iban_raw(ctx)
    return v.format_iban(iban) if ctx.rng.random() < 0.7 else iban


def _invalid_iban(ctx: Ctx) -> str:
    iban = _iban_raw(ctx)
    # Changing only the check digits by less than 97 always breaks mod-97.
    check = (int(iban[2:4]) - 2 + ctx.rng.randint(1, 95)) % 97 + 2
    bad = f"{iban[:2]}{check:02d}{iban[4:]}"
    return v.format_iban(bad) if ctx.rng.random() < 0.7 else bad


def _bank_account(ctx: Ctx) -> str:
    if ctx.country == "US":
        first8 = ctx.pick(("0", "1", "2", "3")) + ctx.digits(7)
        routing, acct = first8 + v.aba_check_digit(first8), ctx.digits(ctx.rng.randint(8, 12), True)
        return ctx.pick((f"routing {routing}, account {acct}", f"ABA {routing} / acct {acct}",
                         f"routing no. {routing}, account no. {acct}"))  # fmt: skip
    if ctx.country == "GB":
        sort, acct = f"{ctx.digits(2, True)}-{ctx.digits(2)}-{ctx.digits(2)}", ctx.digits(8)
        return ctx.pick((f"sort code {sort}, account {acct}", f"{sort} {acct}",
                         f"sort code {sort} account number {acct}"))  # fmt: skip
    return _iban(ctx)


def _amount(ctx: Ctx) -> str:
    value = ctx.rng.randint(1, 250000) / 100
    us = f"{value:,.2f}"
    eu = us.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return {
        "US": f"${us}", "GB": f"£{us}", "FR": f"{eu.replace('.', ' ')} €", "NL": f"€ {eu}",
    }.get(ctx.country, f"{eu} €")  # fmt: skip


# --- network and devices ----------------------------------------------------------------------


def _ip(ctx: Ctx) -> str:
    if ctx.rng.random() < 0.15:
        while True:
            addr = ipaddress.IPv6Address((0x2 << 125) | ctx.rng.getrandbits(125))
            if addr.is_global and addr not in ipaddress.ip_network("2001::/16"):
                return addr.compressed
    while True:
        addr = ipaddress.IPv4Address(ctx.rng.getrandbits(32))
        if addr.is_global and 1 <= addr.packed[0] <= 223:
            return str(addr)


def _private_ip(ctx: Ctx) -> str:
    r, n = ctx.rng, ctx.rng.randint
    return ctx.pick((
        f"10.{n(0, 255)}.{n(0, 255)}.{n(1, 254)}", f"192.168.{n(0, 255)}.{n(1, 254)}",
        f"172.{n(16, 31)}.{n(0, 255)}.{n(1, 254)}", f"192.0.2.{n(1, 254)}",
        f"198.51.100.{n(1, 254)}", f"203.0.113.{n(1, 254)}", "127.0.0.1",
        f"2001:db8::{r.getrandbits(16):x}", f"10.{n(0, 255)}.{n(0, 255)}.{n(1, 254)}",
    ))  # fmt: skip


def _mac(ctx: Ctx) -> str:
    octets = [ctx.rng.getrandbits(8) for _ in range(6)]
    octets[0] &= 0b11111100  # unicast, globally administered: a real device's burned-in MAC
    hexes = [f"{o:02x}" for o in octets]
    style = ctx.rng.random()
    if style < 0.45:
        return ":".join(hexes)
    if style < 0.75:
        return ":".join(hexes).upper()
    if style < 0.9:
        return "-".join(hexes).upper()
    joined = "".join(hexes)
    return ".".join(joined[i : i + 4] for i in range(0, 12, 4))


def _imei(ctx: Ctx) -> str:
    payload = ctx.pick(("35", "86", "01", "49")) + ctx.digits(12)
    s = payload + v.luhn_check_digit(payload)
    return s if ctx.rng.random() < 0.7 else f"{s[:2]}-{s[2:8]}-{s[8:14]}-{s[14]}"


def _uuid(ctx: Ctx) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


def _ad_id(ctx: Ctx) -> str:
    value = _uuid(ctx)
    return value.upper() if ctx.rng.random() < 0.5 else value


def _coords(ctx: Ctx) -> str:
    lat0, lat1, lon0, lon1 = _BOXES[ctx.country]
    places = ctx.rng.randint(4, 6)
    lat, lon = ctx.rng.uniform(lat0, lat1), ctx.rng.uniform(lon0, lon1)
    return f"{lat:.{places}f}, {lon:.{places}f}"


def _plate(ctx: Ctx) -> str:
    c, L, d = ctx.country, ctx.letters, ctx.digits
    if c == "US":
        return ctx.pick(
            (f"{ctx.rng.randint(1, 9)}{L(3)}{d(3)}", f"{L(3)}-{d(4)}", f"{L(3)} {d(4)}")
        )
    if c == "GB":
        return f"{L(2)}{ctx.rng.randint(10, 74)} {L(3, 'ABCDEFGHJKLMNOPRSTUVWXYZ')}"
    if c == "DE":
        city = ctx.pick(("B", "M", "HH", "K", "F", "S", "D", "HB", "L", "DO", "E", "N"))
        return f"{city}{ctx.pick(('-', ' '))}{L(ctx.rng.randint(1, 2))} {ctx.rng.randint(1, 9999)}"
    if c == "FR":
        s = "ABCDEFGHJKLMNPQRSTVWXYZ"
        return f"{L(2, s)}-{d(3)}-{L(2, s)}"
    if c == "ES":
        return f"{d(4)} {L(3, 'BCDFGHJKLMNPRSTVWXYZ')}"
    if c == "IT":
        return f"{L(2)} {d(3)}{L(2)}"
    return ctx.pick((f"{d(2)}-{L(3)}-{d(1)}", f"{L(2)}-{d(3)}-{L(1)}", f"{d(1)}-{L(3)}-{d(2)}"))


_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_WMI = {
    "US": ("1HG", "1FT", "5YJ", "1G1", "2T1"), "GB": ("SAJ", "SAL", "SCC"),
    "DE": ("WVW", "WBA", "WDD", "WAU"), "FR": ("VF1", "VF3", "VF7"), "ES": ("VSS", "VS6"),
    "IT": ("ZFA", "ZAR"), "NL": ("XLR", "WVW"),
}  # fmt: skip


def _vin(ctx: Ctx) -> str:
    year = ctx.pick(tuple("ABCDEFGHJKLMNPRSTVWXY123456789"))
    body = ctx.pick(_WMI[ctx.country]) + ctx.letters(5, _VIN_CHARS) + "0" + year
    body += ctx.letters(1, _VIN_CHARS) + ctx.digits(6)
    return body[:8] + v.vin_check_digit(body) + body[9:]


# --- accounts, secrets, health ----------------------------------------------------------------


def _username(ctx: Ctx) -> str:
    while True:
        first = ascii_slug(ctx.fake.first_name()) or "alex"
        last = ascii_slug(ctx.fake.last_name().split()[0]) or "kim"
        name = ctx.pick((ascii_slug(ctx.fake.user_name()), f"{first}_{last[0]}{ctx.digits(2)}",
                         f"{first[0]}{last}", f"{first}.{last}", f"{first}{ctx.digits(2)}",
                         f"{last}_{first[:3]}"))  # fmt: skip
        if name and name not in SYSTEM_ACCOUNTS and name not in _ROLE_WORDS:
            return name


def _password(ctx: Ctx) -> str:
    if ctx.rng.random() < 0.3:
        words = [w.capitalize() for w in ctx.fake.words(2)]
        sep, end = ctx.pick(("-", "_", ".")), ctx.pick(("!", "#", "?"))
        return f"{words[0]}{sep}{words[1]}{ctx.digits(2)}{end}"
    chars = string.ascii_letters + string.digits + "!#%&*-_+=?@"
    n = ctx.rng.randint(10, 16)
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%&*-_+=?@")
    pw = [ctx.pick(c) for c in classes] + [ctx.pick(chars) for _ in range(n - 4)]
    ctx.rng.shuffle(pw)
    return "".join(pw)


def _api_key(ctx: Ctx) -> str:
    alnum = string.ascii_letters + string.digits
    return ctx.pick((
        "sk_live_" + ctx.letters(24, alnum), "ghp_" + ctx.letters(36, alnum),
        "AKIA" + ctx.letters(16, string.ascii_uppercase + "234567"),
        "glpat-" + ctx.letters(20, alnum + "-_"), ctx.letters(32, "0123456789abcdef"),
        f"xoxp-{ctx.digits(11, True)}-{ctx.digits(12, True)}-{ctx.letters(32, '0123456789abcdef')}",
    ))  # fmt: skip


def _pin(ctx: Ctx) -> str:
    while True:
        pin = ctx.digits(ctx.rng.choice((4, 4, 4, 5, 6)))
        if len(set(pin)) > 1 and pin not in "0123456789" and pin not in "9876543210":
            return pin


def _mrn(ctx: Ctx) -> str:
    return ctx.pick(
        (
            ctx.digits(8, True),
            ctx.letters(1) + ctx.digits(7),
            f"{ctx.digits(3)}-{ctx.digits(3)}-{ctx.digits(3)}",
            ctx.digits(10, True),
        )
    )


def _insurance_no(ctx: Ctx) -> str:
    c = ctx.country
    if c == "GB":
        while True:
            first9 = ctx.digits(9, True)
            check = v.nhs_check_digit(first9)
            if check is not None:
                s = first9 + check
                return f"{s[:3]} {s[3:6]} {s[6:]}"
    if c == "DE":
        return ctx.letters(1) + ctx.digits(9)
    if c == "FR":
        return _nir(ctx)
    if c == "ES":
        return f"{ctx.digits(2, True)}/{ctx.digits(8)}/{ctx.digits(2)}"
    if c == "IT":
        return "80380" + ctx.digits(15)
    if c == "NL":
        return ctx.digits(9, True)
    return ctx.pick((ctx.letters(3) + ctx.digits(9), "W" + ctx.digits(9)))


# --- look-alikes ------------------------------------------------------------------------------


def _company_domain(ctx: Ctx) -> str:
    company = ctx.values.get("company") or ctx.fake.company()
    words = [ascii_slug(w) for w in re.split(r"[\s,&\-]+", company)]
    words = [w for w in words if len(w) > 1][:2] or ["acme"]
    return f"{'-'.join(words)}.{_TLD[ctx.country]}"


def _company_email(ctx: Ctx) -> str:
    roles = (
        "support",
        "info",
        "billing",
        "service",
        "hello",
        "contact",
        "sales",
        "noreply",
        "help",
    )
    return f"{ctx.pick(roles)}@{_company_domain(ctx)}"


def _company_phone(ctx: Ctx) -> str:
    d = ctx.digits
    return {
        "US": lambda: ctx.pick((f"1-800-{d(3)}-{d(4)}", f"(888) {d(3)}-{d(4)}",
                                f"1-877-{d(3)}-{d(4)}")),
        "GB": lambda: ctx.pick((f"0800 {d(3)} {d(4)}", f"0345 {d(3)} {d(4)}")),
        "DE": lambda: ctx.pick((f"0800 {d(3)} {d(2)} {d(2)}", f"+49 800 {d(7)}")),
        "FR": lambda: ctx.pick((f"0 800 {d(2)} {d(2)} {d(2)}", f"09 69 {d(2)} {d(2)} {d(2)}")),
        "ES": lambda: ctx.pick((f"900 {d(3)} {d(3)}", f"902 {d(3)} {d(3)}")),
        "IT": lambda: f"800 {d(3)} {d(3)}",
        "NL": lambda: f"0800-{d(4)}",
    }[ctx.country]()  # fmt: skip


def _order_id(ctx: Ctx) -> str:
    d = ctx.digits
    year = ctx.rng.randint(2023, 2025)
    return ctx.pick((f"#{d(ctx.rng.randint(6, 9), True)}", f"ORD-{year}-{d(6)}",
                     f"{ctx.letters(2)}{d(8)}", f"{d(3, True)}-{d(7)}-{d(7)}"))  # fmt: skip


def _tracking_no(ctx: Ctx) -> str:
    d, alnum = ctx.digits, string.ascii_uppercase + string.digits
    return ctx.pick(
        (
            f"1Z{ctx.letters(6, alnum)}{d(10)}",
            f"9400 {d(4)} {d(4)} {d(4)} {d(4)} {d(2)}",
            d(10, True),
            f"{ctx.letters(2)}{d(9)}GB",
            f"JJD{d(18)}",
            f"6A{d(11)}",
        )
    )


def _version(ctx: Ctx) -> str:
    n = ctx.rng.randint
    return ctx.pick((f"{n(1, 12)}.{n(0, 20)}.{n(0, 30)}",
                     f"{n(1, 12)}.{n(0, 12)}.{n(0, 9)}.{n(1, 300)}",
                     f"v{n(1, 5)}.{n(0, 20)}.{n(0, 9)}"))  # fmt: skip


def _timestamp(ctx: Ctx) -> str:
    t = dt.datetime(2023, 1, 1) + dt.timedelta(seconds=ctx.rng.randrange(3 * 365 * 86400))
    return ctx.pick(
        (
            t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            t.strftime("%Y-%m-%dT%H:%M:%S+01:00"),
            t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ctx.rng.randrange(1000):03d}Z",
        )
    )


def _sku(ctx: Ctx) -> str:
    return ctx.pick(
        (
            f"SKU-{ctx.digits(5)}-{ctx.pick(('BLK', 'WHT', 'RED', 'XL', 'M'))}",
            f"{ctx.letters(3)}-{ctx.digits(4)}-{ctx.letters(2)}",
            f"{ctx.letters(2)}{ctx.digits(6)}",
        )
    )


def _example_email(ctx: Ctx) -> str:
    local = ctx.pick(
        (ascii_slug(ctx.fake.first_name()), "jane.doe", "john.doe", "user", "test.user")
    )
    return f"{local or 'user'}@example.{ctx.pick(('com', 'org', 'net'))}"


def _fictional_phone(ctx: Ctx) -> str:
    area, line = f"{ctx.rng.randint(2, 9)}{ctx.digits(2)}", f"01{ctx.digits(2)}"
    return ctx.pick(
        (f"({area}) 555-{line}", f"555-{line}", f"+1 {area} 555 {line}", f"{area}-555-{line}")
    )


def _sha256(ctx: Ctx) -> str:
    return "".join(ctx.rng.choice("0123456789abcdef") for _ in range(64))


FILLERS: dict[str, Callable[[Ctx], str]] = {
    "person": lambda c: _name(c, "person"), "person2": lambda c: _name(c, "person2"),
    "email": _email, "phone": _phone, "address": _address, "dob": _dob, "ssn": _ssn,
    "passport": _passport, "driver_licence": _driver_licence, "national_id": _national_id,
    "card": _card, "iban": _iban, "bank_account": _bank_account, "ip": _ip,
    "username": _username, "password": _password, "api_key": _api_key, "pin": _pin,
    "mrn": _mrn, "insurance_no": _insurance_no, "diagnosis": lambda c: c.by_lang("diagnosis"),
    "mac": _mac, "imei": _imei, "ad_id": _ad_id, "coords": _coords, "plate": _plate, "vin": _vin,
    "first_name": lambda c: c.fake.first_name(), "company": lambda c: c.fake.company(),
    "company_email": _company_email, "company_phone": _company_phone,
    "company_address": _address, "city": lambda c: c.fake.city(), "order_id": _order_id,
    "tracking_no": _tracking_no, "version": _version, "timestamp": _timestamp,
    "date": _bare_date, "sku": _sku, "invalid_card": _invalid_card,
    "invalid_iban": _invalid_iban, "test_card": _test_card, "example_email": _example_email,
    "fictional_phone": _fictional_phone, "private_ip": _private_ip, "uuid": _uuid,
    "sha256": _sha256, "public_figure": lambda c: c.by_lang("public_figure"),
    "fictional_character": lambda c: c.by_lang("fictional_character"),
    "system_account": lambda c: c.pick(SYSTEM_ACCOUNTS),
    "placeholder": lambda c: c.pick(PLACEHOLDERS),
    "landmark_coords": lambda c: c.pick(_LANDMARKS[c.country]), "amount": _amount,
    "product": lambda c: c.by_lang("product"), "number": lambda c: str(c.rng.randint(2, 99)),
}  # fmt: skip
assert set(FILLERS) == ALL_SLOTS


# Provider lists that Faker builds from a set: their order follows the process's string-hash
# seed (PYTHONHASHSEED), so one record seed picked a different Italian city in every run.
_UNORDERED = ("cities",)


def _stable(fake: Faker) -> Faker:
    """The Faker with the _UNORDERED lists of its locale's providers sorted, so that a seed
    gives the same values on every run (only lists that are out of order are touched)."""
    for provider in fake.get_providers():
        for name in _UNORDERED:
            value = vars(type(provider)).get(name)
            if isinstance(value, list) and value != sorted(value):
                setattr(provider, name, sorted(value))
    return fake


class SlotFiller:
    """Fills a template's slots for one record from that record's seed."""

    def __init__(self) -> None:
        self._fakers: dict[str, Faker] = {}

    def fill(self, slots: list[str], language: str, seed: int) -> dict[str, str]:
        """One value per slot name (names first, so e-mails can be derived from them)."""
        rng = random.Random(seed)
        locale = rng.choice(LOCALES[language])
        if locale not in self._fakers:
            self._fakers[locale] = _stable(Faker(locale))
        fake = self._fakers[locale]
        fake.seed_instance(seed ^ 0x5DEECE66D)  # decorrelate from rng, which uses seed
        ctx = Ctx(rng=rng, fake=fake, locale=locale, language=language)
        order = sorted(
            dict.fromkeys(slots), key=lambda s: (s not in ("person", "person2", "company"), s)
        )
        for slot in order:
            ctx.values[slot] = FILLERS[slot](ctx)
        return ctx.values


# --- obfuscation ------------------------------------------------------------------------------

_SPELL = {
    "en": (("at", "dot"), ("[at]", "[dot]"), ("(at)", "(dot)")),
    "de": (("at", "Punkt"), ("(at)", "(punkt)"), ("[at]", "[punkt]")),
    "fr": (("arobase", "point"), ("[at]", "[point]"), ("(at)", "(point)")),
    "es": (("arroba", "punto"), ("(arroba)", "(punto)"), ("[at]", "[punto]")),
    "it": (("chiocciola", "punto"), ("[at]", "[punto]")),
    "nl": (("apenstaartje", "punt"), ("[at]", "[punt]")),
}


def obfuscate(slot: str, value: str, language: str, rng: random.Random, newline_ok: bool) -> str:
    """`value` written to dodge pattern matching: an e-mail spelled out in the record's
    language, digits spaced or regrouped, or the value split across a line break."""
    if slot == "email":
        at, dot = rng.choice(_SPELL.get(language, _SPELL["en"]))
        local, domain = value.split("@", 1)
        return f"{local.replace('.', f' {dot} ')} {at} {domain.replace('.', f' {dot} ')}"
    if slot == "ip" and ":" not in value:
        return value.replace(".", rng.choice((" dot ", "[.]", " . ")))
    compact = re.sub(r"[\s\-./()]", "", value)
    style = rng.random()
    if newline_ok and style < 0.25 and len(value) > 6:
        cut = len(value) // 2
        spaces = [i for i, ch in enumerate(value) if ch in " -"]
        if spaces:
            cut = min(spaces, key=lambda i: abs(i - cut))
            return value[:cut] + "\n" + value[cut + 1 :]
        return value[:cut] + "\n" + value[cut:]
    if style < 0.6:
        return " ".join(compact)
    size = rng.choice((2, 3))
    sep = rng.choice((" - ", " / ", ". ", "  "))
    return sep.join(compact[i : i + size] for i in range(0, len(compact), size))

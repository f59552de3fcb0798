"""How scripts/make_golden.py joins several renders into one long document: the shapes
(mail thread, ticket history, chat log, log file, code paste, sectioned report or notes),
which template formats each shape takes its parts from, and the text between the parts.

The text between parts never names a person: quoted-reply lines say "the sender" or "the
support team", ticket comments and chat sessions carry only a number and a date, sections
only a neutral heading and a number. Dates are bare dates drawn from the composite's own
random generator (a bare date is not PII, see golden/README.md). Nothing here renders a
template; `join` only places the parts and says where each one starts.

Left out: quoting a reply with "> " line prefixes (it would change the parts' text and so
their span offsets), and mixing languages in one document.
"""

from __future__ import annotations

import datetime as dt
import random

# shape -> the template formats its parts come from. A report's format tag is the format
# most of its characters come from; every other shape takes one format and is tagged with it.
SHAPES: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "ticket": ("ticket",),
    "chat": ("chat",),
    "log": ("log",),
    "code": ("code",),
    "report": ("record", "form", "sms", "chat"),
    "prose": ("prose",),
    "clinical": ("clinical",),
    "legal": ("legal",),
    "cv": ("cv",),
    "minutes": ("minutes",),
}
NOTES = ("prose", "clinical", "legal", "cv", "minutes")  # one format, sections headed "Part n"

_ORIGINAL = {
    "en": "-----Original Message-----",
    "de": "-----Ursprüngliche Nachricht-----",
    "fr": "-----Message d'origine-----",
    "es": "-----Mensaje original-----",
    "it": "-----Messaggio originale-----",
    "nl": "-----Oorspronkelijk bericht-----",
}
_WROTE = {  # {date}, {time}, {who}
    "en": "On {date} at {time}, {who} wrote:",
    "de": "Am {date} um {time} schrieb {who}:",
    "fr": "Le {date} à {time}, {who} a écrit :",
    "es": "El {date} a las {time}, {who} escribió:",
    "it": "Il giorno {date} alle {time} {who} ha scritto:",
    "nl": "Op {date} om {time} schreef {who}:",
}
_WHO = {  # roles, never a name
    "en": ("the sender", "the support team", "the customer", "the office", "the team"),
    "de": ("der Absender", "das Support-Team", "die Kundin", "das Büro", "das Team"),
    "fr": ("l'expéditeur", "le service client", "la cliente", "le secrétariat", "l'équipe"),
    "es": ("el remitente", "el equipo de soporte", "la clienta", "la oficina", "el equipo"),
    "it": ("il mittente", "l'assistenza clienti", "la cliente", "la segreteria", "il team"),
    "nl": ("de afzender", "de klantenservice", "de klant", "het secretariaat", "het team"),
}
_COMMENT = {"en": "Comment", "de": "Kommentar", "fr": "Commentaire", "es": "Comentario",
            "it": "Commento", "nl": "Opmerking"}  # fmt: skip
_SECTION = {"en": "Section", "de": "Abschnitt", "fr": "Section", "es": "Sección",
            "it": "Sezione", "nl": "Sectie"}  # fmt: skip
_PART = {"en": "Part", "de": "Teil", "fr": "Partie", "es": "Parte", "it": "Parte",
         "nl": "Deel"}  # fmt: skip
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date(day: dt.date, language: str) -> str:
    if language == "en":
        return f"{day.day} {_MONTH_ABBR[day.month - 1]} {day.year}"
    sep = {"de": ".", "nl": "-"}.get(language, "/")
    return f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}"


def _times(rng: random.Random, n: int, newest_first: bool) -> list[tuple[dt.date, str]]:
    """n (date, HH:MM) pairs a few hours to days apart, oldest first unless newest_first."""
    day = dt.date(2023, 1, 2) + dt.timedelta(days=rng.randrange(900))
    out = []
    for _ in range(n):
        out.append((day, f"{rng.randrange(7, 20):02d}:{rng.randrange(60):02d}"))
        day += dt.timedelta(days=rng.randrange(0, 3))
    return out[::-1] if newest_first else out


def join(shape: str, language: str, parts: list[str], rng: random.Random) -> tuple[str, list[int]]:
    """The document made of `parts` in this order, and the offset where each part starts."""
    n = len(parts)
    if not n:
        return "", []
    if shape == "email":
        times = _times(rng, n, newest_first=True)  # a thread quotes older messages below
        quoted = rng.random() < 0.5
        who = _WHO.get(language, _WHO["en"])
        gaps = [""]
        for day, time in times[1:]:
            if quoted:
                line = _WROTE.get(language, _WROTE["en"]).format(
                    date=_date(day, language), time=time, who=rng.choice(who)
                )
            else:
                line = _ORIGINAL.get(language, _ORIGINAL["en"])
            gaps.append(f"\n\n{line}\n\n")
    elif shape == "ticket":
        word = _COMMENT.get(language, _COMMENT["en"])
        gaps = [
            ("\n\n" if i else "") + f"[{word} #{i + 1} · {day.isoformat()} {time}]\n"
            for i, (day, time) in enumerate(_times(rng, n, newest_first=False))
        ]
    elif shape == "chat":
        gaps = [
            ("\n\n" if i else "") + f"----- {day.isoformat()} {time} -----\n"
            for i, (day, time) in enumerate(_times(rng, n, newest_first=False))
        ]
    elif shape == "log":
        gaps = [""] + ["\n"] * (n - 1)
    elif shape == "code":
        gaps = [""] + [f"\n\n----- {i + 1}/{n} -----\n\n" for i in range(1, n)]
    else:  # report or notes: neutral numbered headings
        word = (_PART if shape in NOTES else _SECTION).get(language, _SECTION["en"])
        gaps = []
        for i in range(n):
            heading = f"{word} {i + 1}"
            rule = "=" if shape == "report" else "-"
            gaps.append(("\n\n" if i else "") + f"{heading}\n{rule * len(heading)}\n")
    pieces, offsets, pos = [], [], 0
    for gap, part in zip(gaps, parts, strict=True):
        pieces += [gap, part]
        pos += len(gap)
        offsets.append(pos)
        pos += len(part)
    return "".join(pieces), offsets

"""Checksums and format rules for identifiers: validate one, or make the check digit for one.

Pure functions on strings, no I/O and no randomness: the golden-set generator uses them to
make values that pass (or, for look-alikes, fail) the real checks, and a regex-rules baseline
uses the `*_valid` ones. Validators ignore spaces and dashes the way a human writes them.

Left out: country-specific IBAN-internal (BBAN) check digits, ABA routing-number registries,
the NIR's Corsica department codes (2A/2B) and the IMEI's TAC registry. A value that passes
here has a valid *shape and checksum*, not a confirmed issuer.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-./]")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value)


# --- Luhn (payment cards, IMEI) ---------------------------------------------------------------


def luhn_check_digit(payload: str) -> str:
    """The digit to append to `payload` (digits only) so the whole number passes Luhn."""
    total = 0
    # Doubling starts at the rightmost payload digit, because the check digit will follow it.
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True when `number` (spaces/dashes allowed) is all digits, 2+ long and passes Luhn."""
    digits = _compact(number)
    if len(digits) < 2 or not digits.isdigit():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


# Published test numbers of card networks and payment processors: Luhn-valid, never PII.
TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "4000000000000002",
        "4222222222222",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "6011111111111117",
        "6011000990139424",
        "3530111333300000",
        "30569309025904",
        "38520000023237",
    }
)


def is_test_card(number: str) -> bool:
    """True for a published test card number (with or without separators)."""
    return _compact(number) in TEST_CARDS


def imei_valid(imei: str) -> bool:
    """True for a 15-digit IMEI whose last digit is its Luhn check digit."""
    digits = _compact(imei)
    return len(digits) == 15 and luhn_valid(digits)


# --- IBAN (ISO 13616, mod 97) -----------------------------------------------------------------

# Total IBAN length per country, for the countries the golden set uses and their neighbours.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24,
}  # fmt: skip


def _iban_number(rearranged: str) -> int:
    # Letters become two digits (A=10 ... Z=35); int(ch, 36) does exactly that mapping.
    return int("".join(str(int(ch, 36)) for ch in rearranged))


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits for an IBAN of `country` (2 letters) and `bban` (alphanumeric)."""
    country, bban = country.upper(), bban.upper()
    remainder = _iban_number(bban + country + "00") % 97
    return f"{98 - remainder:02d}"


def iban_valid(iban: str, *, check_length: bool = True) -> bool:
    """True when `iban` (spaces allowed) has a country code, two check digits and passes
    mod-97; with `check_length`, a known country's IBAN must also have its fixed length."""
    s = _compact(iban).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}", s):
        return False
    if check_length and s[:2] in IBAN_LENGTHS and len(s) != IBAN_LENGTHS[s[:2]]:
        return False
    return _iban_number(s[4:] + s[:4]) % 97 == 1


def format_iban(iban: str) -> str:
    """The print format: groups of four separated by spaces."""
    s = _compact(iban).upper()
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


# --- VIN (ISO 3779, North American check digit at position 9) ----------------------------------

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}  # fmt: skip
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """The check character (0-9 or X) for a 17-character VIN; position 9 itself is ignored."""
    vin = vin.upper()
    if len(vin) != 17 or any(ch not in _VIN_VALUES for ch in vin[:8] + vin[9:]):
        raise ValueError("a VIN has 17 characters from 0-9 and A-Z without I, O and Q")
    total = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS, strict=True) if w)
    r = total % 11
    return "X" if r == 10 else str(r)


def vin_valid(vin: str) -> bool:
    """True for a 17-character VIN whose 9th character is its check digit."""
    try:
        return vin[8].upper() == vin_check_digit(vin)
    except (ValueError, IndexError):
        return False


# --- National identifiers ---------------------------------------------------------------------

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_letter(number: str) -> str:
    """The control letter of a Spanish DNI (8 digits) or NIE (X/Y/Z + 7 digits)."""
    number = number.upper()
    if number[:1] in "XYZ":
        number = str("XYZ".index(number[0])) + number[1:]
    return _DNI_LETTERS[int(number) % 23]


def dni_valid(dni: str) -> bool:
    """True for a Spanish DNI (12345678Z) or NIE (X1234567L) with the right letter."""
    s = _compact(dni).upper()
    if not re.fullmatch(r"(\d{8}|[XYZ]\d{7})[A-Z]", s):
        return False
    return dni_letter(s[:-1]) == s[-1]


def steuer_id_check_digit(first10: str) -> str:
    """The 11th digit of a German Steuer-ID (ISO 7064 MOD 11,10 over the first ten digits)."""
    product = 10
    for ch in first10:
        total = (int(ch) + product) % 10
        if total == 0:
            total = 10
        product = (total * 2) % 11
    check = 11 - product
    return "0" if check == 10 else str(check)


def steuer_id_valid(tin: str) -> bool:
    """True for a German Steuer-ID: 11 digits, no leading 0, in the first ten digits exactly
    one digit appears two or three times (the rest at most once), valid check digit."""
    s = _compact(tin)
    if not re.fullmatch(r"[1-9]\d{10}", s):
        return False
    counts = sorted((s[:10].count(d) for d in set(s[:10])), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    return steuer_id_check_digit(s[:10]) == s[10]


def nir_key(first13: str) -> str:
    """The two-digit key of a French NIR (numéro de sécurité sociale): 97 - (n mod 97)."""
    return f"{97 - int(first13) % 97:02d}"


def nir_valid(nir: str) -> bool:
    """True for a 15-digit French NIR (sex 1/2, year, month, place, order, key) with its key."""
    s = _compact(nir)
    if not re.fullmatch(r"[12]\d{2}(0[1-9]|1[0-2]|[2-9]\d)\d{8}\d{2}", s):
        return False
    return nir_key(s[:13]) == s[13:]


# UK National Insurance numbers: these prefix letters are never issued.
_NINO_BAD_FIRST = set("DFIQUV")
_NINO_BAD_SECOND = set("DFIOQUV")
_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def nino_valid(nino: str) -> bool:
    """True for a UK National Insurance number in a valid format (AB 12 34 56 C)."""
    s = _compact(nino).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", s):
        return False
    first, second = s[0], s[1]
    return (
        first not in _NINO_BAD_FIRST
        and second not in _NINO_BAD_SECOND
        and s[:2] not in _NINO_BAD_PREFIXES
    )


def ssn_valid(ssn: str) -> bool:
    """True for a US SSN that could be issued: area 001-899 except 666, group 01-99,
    serial 0001-9999, and not one of the famous misused numbers."""
    s = _compact(ssn)
    if not re.fullmatch(r"\d{9}", s):
        return False
    area, group, serial = int(s[:3]), int(s[3:5]), int(s[5:])
    if s in {"078051120", "219099999", "123456789"}:
        return False
    return 0 < area < 900 and area != 666 and group > 0 and serial > 0


def aba_routing_valid(routing: str) -> bool:
    """True for a 9-digit US ABA routing number with a valid 3-7-1 weighted checksum."""
    s = _compact(routing)
    if not re.fullmatch(r"\d{9}", s):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(s, weights, strict=True)) % 10 == 0


def aba_check_digit(first8: str) -> str:
    """The 9th digit of a US ABA routing number."""
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    total = sum(int(d) * w for d, w in zip(first8, weights, strict=True))
    return str((10 - total % 10) % 10)


def nhs_check_digit(first9: str) -> str | None:
    """The 10th digit of a UK NHS number (mod 11), or None when no valid digit exists."""
    total = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:
        return None
    return "0" if check == 11 else str(check)


def nhs_valid(nhs: str) -> bool:
    """True for a 10-digit UK NHS number with a valid mod-11 check digit."""
    s = _compact(nhs)
    return bool(re.fullmatch(r"\d{10}", s)) and nhs_check_digit(s[:9]) == s[9]


def bsn_valid(bsn: str) -> bool:
    """True for a Dutch BSN: 9 digits passing the '11-proof' (last digit weighted -1)."""
    s = _compact(bsn)
    if not re.fullmatch(r"\d{9}", s) or s == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(s, weights, strict=True)) % 11 == 0


_CF_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20,
         11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        strict=True,
    )
)  # fmt: skip


def codice_fiscale_check_char(first15: str) -> str:
    """The 16th (control) character of an Italian codice fiscale."""
    total = 0
    for i, ch in enumerate(first15.upper()):
        if i % 2 == 0:  # positions 1, 3, 5 ... (1-based) use the odd table
            total += _CF_ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - ord("A")
    return chr(ord("A") + total % 26)


def codice_fiscale_valid(cf: str) -> bool:
    """True for a 16-character codice fiscale in the standard layout with its control char."""
    s = _compact(cf).upper()
    if not re.fullmatch(r"[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]", s):
        return False
    return codice_fiscale_check_char(s[:15]) == s[15]

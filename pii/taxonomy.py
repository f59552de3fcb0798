"""The PII taxonomy: type names, one-line definitions, and the slices the study holds out.

The full labelling rules, with an example for every borderline case, live in
golden/README.md; the definitions here are the short form a prompt can carry.
"""

# UPPER_SNAKE type names, in a fixed order (reports and tables follow it).
PII_TYPES: dict[str, str] = {
    "PERSON_NAME": "the full name of a private individual (a first name alone does not count)",
    "EMAIL": "a personal e-mail address (not role addresses like support@ or reserved example domains)",
    "PHONE": "a person's phone number (not a company hotline or a 555-01xx fictional number)",
    "STREET_ADDRESS": "a person's home or postal street address",
    "DATE_OF_BIRTH": "a person's date of birth",
    "GOV_ID": "a government identifier: SSN, passport, driver licence, national ID or tax number",
    "CREDIT_CARD": "a payment card number that passes the Luhn check (not a published test card)",
    "BANK_ACCOUNT": "a bank account: IBAN, account and routing number, sort code and account",
    "IP_ADDRESS": "a public IP address of a user or their device",
    "USERNAME_OR_HANDLE": "a person's username, login or social-media handle",
    "CREDENTIAL": "a password, PIN, API key or token belonging to a person's account",
    "MEDICAL_ID_OR_HEALTH": "a medical record or insurance number, or health data tied to a person",
    "DEVICE_ID": "a device identifier: MAC address, IMEI, advertising ID of a person's device",
    "GEO_PRECISE": "precise coordinates or a description that pinpoints where a person lives or is",
    "VEHICLE_ID": "a licence plate or VIN of a person's vehicle",
}

# Formats and languages a record's tags may name. The last five are the styles of running
# text the first eight lack (letters, posts and news; clinical notes; court and contract
# paragraphs; CVs and cover letters; meeting minutes).
FORMATS = (
    "chat", "email", "ticket", "log", "record", "code", "form", "sms",
    "prose", "clinical", "legal", "cv", "minutes",
)  # fmt: skip
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
DIFFICULTIES = ("easy", "medium", "hard")

# Held out of the training pool entirely, so the test set's `novel` slice measures
# behaviour on patterns neither the adapter nor the few-shot exemplars have seen.
HELD_OUT_TYPES = frozenset({"DEVICE_ID", "VEHICLE_ID"})
HELD_OUT_FORMATS = frozenset({"code"})


def is_novel(pii_types: list[str], fmt: str) -> bool:
    """True when a record uses a held-out type or format."""
    return fmt in HELD_OUT_FORMATS or any(t in HELD_OUT_TYPES for t in pii_types)

"""Known-answer tests for the checksum validators and check-digit generators."""

import pytest

from pii import validators as v


@pytest.mark.parametrize(
    "number",
    ["4539 1488 0343 6467", "79927398713", "5555-5555-5555-4444", "378282246310005"],
)
def test_luhn_accepts_valid_numbers(number):
    assert v.luhn_valid(number)


@pytest.mark.parametrize("number", ["4539 1488 0343 6468", "79927398710", "1", "4539a48803436467"])
def test_luhn_rejects_invalid_numbers(number):
    assert not v.luhn_valid(number)


def test_luhn_check_digit_completes_the_number():
    assert v.luhn_check_digit("7992739871") == "3"
    assert v.luhn_check_digit("453914880343646") == "7"


def test_published_test_cards_are_luhn_valid_and_known():
    assert all(v.luhn_valid(c) for c in v.TEST_CARDS)
    assert v.is_test_card("4111 1111 1111 1111")
    assert not v.is_test_card("4539 1488 0343 6467")


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "DE89 3704 0044 0532 0130 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "ES91 2100 0418 4502 0005 1332",
        "NL91ABNA0417164300",
        "IT60 X054 2811 1010 0000 0123 456",
    ],
)
def test_iban_accepts_published_examples(iban):
    assert v.iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "GB83 WEST 1234 5698 7654 32",  # check digits off by one
        "DE89 3704 0044 0532 0130 01",  # account digit changed
        "DE89 3704 0044 0532 0130",  # too short for DE
        "89DE 3704 0044 0532 0130 00",  # not IBAN-shaped
    ],
)
def test_iban_rejects_broken_ones(iban):
    assert not v.iban_valid(iban)


def test_iban_check_digits_and_format():
    assert v.iban_check_digits("DE", "370400440532013000") == "89"
    assert v.iban_check_digits("GB", "WEST12345698765432") == "82"
    assert v.format_iban("DE89370400440532013000") == "DE89 3704 0044 0532 0130 00"


def test_imei():
    assert v.imei_valid("490154203237518")
    assert v.imei_valid("49-015420-323751-8")
    assert not v.imei_valid("490154203237519")
    assert not v.imei_valid("49015420323751")


def test_vin():
    assert v.vin_check_digit("1M8GDM9A_KP042788".replace("_", "0")) == "X"
    assert v.vin_valid("1M8GDM9AXKP042788")
    assert v.vin_valid("11111111111111111")
    assert not v.vin_valid("1M8GDM9A1KP042788")
    assert not v.vin_valid("1M8GDM9AXKP04278")  # 16 characters
    with pytest.raises(ValueError):
        v.vin_check_digit("IM8GDM9AXKP042788")  # I is not allowed


def test_spanish_dni_and_nie():
    assert v.dni_letter("12345678") == "Z"
    assert v.dni_letter("X1234567") == "L"
    assert v.dni_valid("12345678Z") and v.dni_valid("X1234567L")
    assert not v.dni_valid("12345678A")


def test_german_steuer_id():
    assert v.steuer_id_check_digit("8609574271") == "9"
    assert v.steuer_id_valid("86095742719")
    assert v.steuer_id_valid("47036892816")
    assert not v.steuer_id_valid("86095742718")  # wrong check digit
    assert not v.steuer_id_valid("12345678903")  # no repeated digit


def test_french_nir():
    assert v.nir_key("2690549588157") == "80"
    assert v.nir_valid("2 69 05 49 588 157 80")
    assert not v.nir_valid("269054958815781")


def test_uk_nino():
    assert v.nino_valid("AB 12 34 56 C")
    assert not v.nino_valid("QQ123456C")  # Q is never a first letter
    assert not v.nino_valid("GB123456A")  # reserved prefix
    assert not v.nino_valid("AB123456E")  # suffix is A-D


def test_us_ssn():
    assert v.ssn_valid("123-45-6780")
    for bad in ("000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"):
        assert not v.ssn_valid(bad)
    assert not v.ssn_valid("078-05-1120")  # the Woolworth wallet number


def test_routing_nhs_bsn_codice_fiscale():
    assert v.aba_routing_valid("021000021") and not v.aba_routing_valid("021000022")
    assert v.aba_check_digit("02100002") == "1"
    assert v.nhs_valid("943 476 5919") and not v.nhs_valid("9434765918")
    assert v.bsn_valid("111222333") and not v.bsn_valid("111222334")
    assert v.codice_fiscale_valid("RSSMRA85T10A562S")
    assert not v.codice_fiscale_valid("RSSMRA85T10A562T")

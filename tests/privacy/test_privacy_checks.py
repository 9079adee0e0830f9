"""The arithmetic that turns regex candidates into findings (Luhn, issuers, mod 97, SSN)."""

from __future__ import annotations

import pytest

from slogate.privacy.checks import card_issuer_ok, iban_ok, is_card_number, luhn_ok, ssn_ok


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",  # Visa
        "4222222222222",  # Visa, 13 digits
        "5555555555554444",  # Mastercard
        "2223003122003222",  # Mastercard 2-series
        "2720992720992729" if luhn_ok("2720992720992729") else "2221000000000009",
        "378282246310005",  # Amex
        "6011111111111117",  # Discover
        "3530111333300000",  # JCB
        "30569309025904",  # Diners
    ],
)
def test_public_test_cards_are_cards(number: str) -> None:
    assert is_card_number(number)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("4111111111111112", "Luhn digit wrong"),
        ("1732660000000", "epoch milliseconds: no issuer starts with 17"),
        ("378282246310005" + "0", "Amex is 15 digits"),
        ("2220999999999999", "just below the Mastercard 2-series"),
        ("27210000000000000", "above the 2-series and wrong length"),
        ("9999999999999995", "no issuer"),
    ],
)
def test_other_digit_runs_are_not_cards(number: str, why: str) -> None:
    assert not is_card_number(number), why


def test_luhn_reference_values() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")


def test_issuer_lengths() -> None:
    assert card_issuer_ok("3" + "4" + "0" * 13)  # Amex 15
    assert not card_issuer_ok("34" + "0" * 14)  # Amex 16
    assert card_issuer_ok("5" + "1" + "0" * 14)


@pytest.mark.parametrize(
    "iban",
    ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606",
     "NL91ABNA0417164300", "BE68539007547034"],
)  # fmt: skip
def test_valid_ibans(iban: str) -> None:
    assert iban_ok(iban)


@pytest.mark.parametrize(
    "iban",
    ["DE89370400440532013001", "DE8937040044053201300", "GB82WEST1234569876543X", "XX00"],
)
def test_invalid_ibans(iban: str) -> None:
    assert not iban_ok(iban)


def test_ssn_number_plan() -> None:
    assert ssn_ok("078", "05", "1120")
    assert not ssn_ok("000", "12", "3456")
    assert not ssn_ok("666", "12", "3456")
    assert not ssn_ok("900", "12", "3456")
    assert not ssn_ok("123", "00", "4567")
    assert not ssn_ok("123", "45", "0000")

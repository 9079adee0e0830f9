"""Checksums and number-plan checks that turn regex candidates into real findings.

A 16-digit run is not a card unless its issuer prefix and Luhn digit say so;
without these checks the scrubber would eat timestamps and order numbers.
"""

from __future__ import annotations

from slogate.privacy.rules import IBAN_LENGTHS


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_issuer_ok(digits: str) -> bool:
    """Issuer prefix and length of the major networks (IIN ranges)."""
    n = len(digits)
    if not 12 <= n <= 19:
        return False
    p2 = int(digits[:2])
    p4 = int(digits[:4])
    first = digits[0]
    if first == "4":  # Visa
        return n in (13, 16, 19)
    if p2 in (34, 37):  # American Express
        return n == 15
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard, incl. the 2-series
        return n == 16
    if p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:  # Diners Club
        return 14 <= n <= 19
    if 3528 <= p4 <= 3589:  # JCB
        return 16 <= n <= 19
    if p4 == 6011 or p2 == 65 or 644 <= int(digits[:3]) <= 649 or p2 == 62:  # Discover/UnionPay
        return 16 <= n <= 19
    if p2 in (50, 56, 57, 58) or p2 in (63, 67):  # Maestro
        return 12 <= n <= 19
    return False


def is_card_number(digits: str) -> bool:
    return digits.isdigit() and card_issuer_ok(digits) and luhn_ok(digits)


def iban_ok(compact: str) -> bool:
    """ISO 13616 mod-97 check on an upper-case IBAN without separators."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and expected != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN number plan: no 000/666/9xx area, no 00 group, no 0000 serial."""
    return (
        area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
    )

"""Scrubbing rules as data: which keys are sensitive and what replaces each kind of PII.

Kept apart from the matching code so a reviewer (or G3 evidence) can read the
policy without reading regular expressions.
"""

from __future__ import annotations

#: Replaces the whole value under a sensitive key.
FILTERED = "[Filtered]"

#: Typed placeholders, one per kind of PII found inside strings.
PLACEHOLDERS: dict[str, str] = {
    "private_key": "[private-key]",
    "slack_webhook": "[slack-webhook]",
    "url_credentials": "[url-credentials]",
    "jwt": "[jwt]",
    "bearer": "[bearer]",
    "aws_key": "[aws-key]",
    "stripe_key": "[stripe-key]",
    "github_token": "[github-token]",
    "slack_token": "[slack-token]",
    "email": "[email]",
    "iban": "[iban]",
    "card": "[card]",
    "ssn": "[ssn]",
    "ipv6": "[ipv6]",
    "ipv4": "[ipv4]",
    "phone": "[phone]",
}

#: A key is sensitive when its normalised form (lower case, only letters and
#: digits) contains one of these fragments: `X-Api-Key`, `user_password`,
#: `sessionToken`, `Set-Cookie` all match.
SENSITIVE_KEY_FRAGMENTS: tuple[str, ...] = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "authheader",
    "cookie",
    "credential",
    "privatekey",
    "accesskey",
    "signingkey",
    "encryptionkey",
    "cardnumber",
    "creditcard",
    "debitcard",
    "ccnumber",
    "cardno",
    "cardcvc",
    "cardcvv",
    "securitycode",
    "bearer",
    "jwt",
    "iban",
)

#: Short names that are sensitive only as the whole normalised key (as fragments
#: they would hit `mapping`, `session`, `cwd`...).
SENSITIVE_EXACT_KEYS: frozenset[str] = frozenset(
    {"pwd", "pass", "pin", "cvv", "cvc", "cvv2", "ssn", "auth", "sid", "pan", "otp", "mfacode"}
)

#: IBAN lengths per country (ISO 13616 registry). Only these country codes start
#: a candidate, which keeps hex ids (`bd83-6290...`) from costing a checksum.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22,
    "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23,
    "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31,
    "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24,
    "TR": 26, "UA": 29, "VG": 24, "XK": 20, "AL": 28, "BY": 28, "IQ": 23, "LC": 32,
    "SC": 31, "ST": 25, "SV": 28, "TL": 23, "VA": 22, "LY": 25, "SD": 18, "BI": 27,
    "DJ": 27, "RU": 33, "FK": 18, "MN": 20, "SO": 23, "NI": 28, "OM": 23, "YE": 30,
}  # fmt: skip

"""A PII corpus with fabricated data only (reserved domains, test card numbers,
documentation IP ranges, the published example AWS key), for every kind the
scrubber covers, placed in values, nested objects, arrays, keys and event names.

Shared with the ingest tests: `events_with_pii()` are ready-made event payloads,
and `find_leaks(text)` names every needle still present in some output (a store
file, a dead-letter file, a server log).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PiiSample:
    kind: str
    text: str  # how it appears inside a string
    needles: tuple[str, ...]  # substrings that must not survive scrubbing
    placeholder: str


def _s(kind: str, text: str, *needles: str, placeholder: str | None = None) -> PiiSample:
    return PiiSample(kind, text, needles or (text,), placeholder or f"[{kind}]")


PII_SAMPLES: tuple[PiiSample, ...] = (
    # e-mails, plain and percent-encoded, with tags and sub-domains
    _s("email", "jane.doe@example.com", "jane.doe", "doe@example.com"),
    _s("email", "j.o.h.n+newsletter@mail.example.org", "j.o.h.n", "newsletter", "mail.example"),
    _s("email", "jane.roe%40example.net", "jane.roe", "example.net"),
    _s("email", "q=zoe.smith%2540example.co.uk", "zoe.smith", "example.co.uk"),
    _s("email", "JÜRGEN.Müller@beispiel.example", "JÜRGEN", "Müller", "beispiel"),
    # JSON escapes as raw request text keeps them (dead letters of malformed bodies)
    _s("email", "zed.quux\\u0040example.org", "zed.quux", "quux\\u0040"),
    _s("email", "J\\u00fcrgen.Zwiebel@example.de", "Zwiebel", "u00fcrgen"),
    # phones
    _s("phone", "+44 20 7946 0958", "7946 0958", "20 7946"),
    _s("phone", "+1-202-555-0143", "555-0143", "202-555"),
    _s("phone", "(212) 555-0187", "555-0187"),
    _s("phone", "+4915112345678", "15112345678"),
    _s("phone", "call 1-800-555-0199 now", "555-0199"),
    # cards (public test numbers): Visa, Mastercard 5- and 2-series, Amex, Discover, JCB
    _s("card", "4111 1111 1111 1111", "4111 1111", "1111 1111 1111", "4111111111111111"),
    _s("card", "4012888888881881", "4012888888881881", "888888881881"),
    _s("card", "5555-5555-5555-4444", "5555-5555", "5555-4444"),
    _s("card", "2223003122003222", "2223003122003222", "3122003222"),
    _s("card", "2221 0000 0000 0009", "2221 0000", "0000 0009"),
    _s("card", "3782 822463 10005", "3782 822463", "822463 10005"),
    _s("card", "371449635398431", "371449635398431", "449635398"),
    _s("card", "6011 1111 1111 1117", "6011 1111", "1111 1117"),
    _s("card", "3530111333300000", "3530111333300000", "35301113"),
    # IPs from documentation ranges
    _s("ipv4", "198.51.100.23", "198.51.100.23", "51.100.23"),
    _s("ipv4", "client=203.0.113.7:8080", "203.0.113.7"),
    _s("ipv6", "2001:db8:85a3::8a2e:370:7334", "2001:db8", "8a2e:370:7334", "370:7334"),
    _s("ipv6", "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:0db8", "0042:8329"),
    _s("ipv6", "[2001:db8::1]:443", "2001:db8::1"),
    _s("ipv6", "::ffff:192.0.2.128", "192.0.2.128", "ffff:192"),
    # tokens and keys (well-known fake shapes)
    _s(
        "jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwicm9vbSI6InItMSJ9."
        "c2lnbmF0dXJlLWZha2UtZm9yLXRlc3Rz",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiJ1LTQyIiwicm9vbSI6InItMSJ9",
        "c2lnbmF0dXJlLWZha2UtZm9yLXRlc3Rz",
    ),
    _s("bearer", "Authorization: Bearer f4k3-t0k3n.abc123XYZ", "f4k3-t0k3n", "abc123XYZ"),
    _s("aws-key", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "IOSFODNN7"),
    _s("stripe-key", "sk_live_FAKE0000000000abcdefgh", "FAKE0000000000abcdefgh"),
    _s("stripe-key", "rk_test_FAKE1111111111zyxwvut", "FAKE1111111111zyxwvut"),
    _s("github-token", "ghp_FAKEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "FAKEaaaaaaaaaaaaaaaa"),
    _s("github-token", "github_pat_11FAKE0000000000_abcdefghijklmnop", "11FAKE0000000000"),
    _s("slack-token", "xoxb-000000000000-000000000000-FAKEfakeFAKEfake", "FAKEfakeFAKEfake"),
    _s(
        "slack-webhook",
        "https://hooks.slack.com/services/T00000000/B00000000/FAKEFAKEFAKEFAKEFAKEFAKE",
        "T00000000",
        "FAKEFAKEFAKEFAKE",
    ),
    # credentials in URLs (before e-mails: the password holds an @)
    _s(
        "url-credentials",
        "postgres://admin:s3cr%40t@db.internal.example:5432/app",
        "admin:",
        "s3cr",
    ),
    _s("url-credentials", "https://alice:p@ssw0rd@example.com/x", "alice", "ssw0rd", "p@ss"),
    # bank and identity numbers
    _s("iban", "DE89 3704 0044 0532 0130 00", "3704 0044", "0532 0130", "DE89 3704"),
    _s("iban", "GB82WEST12345698765432", "GB82WEST", "12345698765432"),
    _s("iban", "fr14 2004 1010 0505 0001 3m02 606", "2004 1010", "0505 0001"),
    _s("ssn", "SSN 078-05-1120", "078-05-1120", "05-1120"),
    _s("ssn", "123-45-6789", "123-45-6789", "45-6789"),
    # PEM private keys, complete and truncated
    _s(
        "private-key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIFAKEKEYbodyAAAA\nBBBBfakefake==\n"
        "-----END RSA PRIVATE KEY-----",
        "MIIFAKEKEYbodyAAAA",
        "BBBBfakefake",
        "RSA PRIVATE KEY",
    ),
    _s(
        "private-key",
        "-----BEGIN PRIVATE KEY-----\\nMIIEvFAKEtruncatedBody0123",
        "MIIEvFAKEtruncatedBody0123",
    ),
    # secrets written as assignments inside log lines
    _s("Filtered", "login failed password=hunter2!", "hunter2"),
    _s("Filtered", "GET /cb?code=x&api_key=FAKEKEY123&ok=1", "FAKEKEY123"),
)

#: Keys whose values must be filtered whatever the value looks like.
SENSITIVE_KEYS: tuple[str, ...] = (
    "password",
    "user_password",
    "Secret",
    "client_secret",
    "token",
    "sessionToken",
    "refresh-token",
    "X-Api-Key",
    "apiKey",
    "Authorization",
    "cookie",
    "Set-Cookie",
    "card_number",
    "creditCard",
    "cvv",
    "ssn",
    "private_key",
    "aws_secret_access_key",
)
#: Values put under sensitive keys: harmless-looking, so only the key rule can catch them.
KEY_SECRET_VALUE = "plainvalue-Zq7"


def all_needles() -> list[str]:
    out = [KEY_SECRET_VALUE]
    for sample in PII_SAMPLES:
        out.extend(sample.needles)
    return out


def find_leaks(text: str) -> list[str]:
    """Needles of the corpus present in `text` (an output that must be clean)."""
    return [n for n in all_needles() if n in text]


def events_with_pii() -> list[dict[str, Any]]:
    """Events that carry every sample in a value, a nested object, an array, a key and
    an event name, plus every sensitive key."""
    events: list[dict[str, Any]] = []
    for i, sample in enumerate(PII_SAMPLES):
        events.append(
            {
                "event": f"session_error {sample.text}",
                "session_id": f"s-{i}",
                "message": f"failed for {sample.text} at step 3",
                "context": {"detail": sample.text, "deeper": {"list": ["ok", sample.text]}},
                "items": [sample.text, {"x": sample.text}],
                sample.text: "key holds pii",
            }
        )
    events.append({"event": "session_error", **{k: KEY_SECRET_VALUE for k in SENSITIVE_KEYS}})
    events.append(
        {"event": "session_error", "context": {k: [KEY_SECRET_VALUE] for k in SENSITIVE_KEYS}}
    )
    return events

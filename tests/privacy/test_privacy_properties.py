"""Properties: scrubbing is idempotent, and a generated secret of any kind embedded
anywhere in arbitrary text is removed entirely (no piece of it stays behind)."""

from __future__ import annotations

import base64
import ipaddress
import string

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slogate.privacy import scrub_event, scrub_text
from slogate.privacy.checks import iban_ok, is_card_number, luhn_ok
from slogate.privacy.rules import IBAN_LENGTHS

ALNUM = string.ascii_letters + string.digits
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
sep = st.sampled_from([" ", "\n", "\t", ", ", " (", ") ", "; ", " | ", ": "])


def _chars(alphabet: str, lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(alphabet), min_size=lo, max_size=hi)


# -- generators of secrets: (secret text, pieces that must not survive) ----------------


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, list[str]]:
    local = draw(st.from_regex(r"[a-z][a-z0-9._+-]{2,14}[a-z0-9]", fullmatch=True))
    label = draw(st.from_regex(r"[a-z][a-z0-9-]{1,10}[a-z0-9]", fullmatch=True))
    tld = draw(st.sampled_from(["com", "org", "net", "example", "io", "co.uk"]))
    address = f"{local}@{label}.{tld}"
    if draw(st.booleans()):
        address = address.replace("@", draw(st.sampled_from(["%40", "%2540"])))
    return address, [f"{local}@", f"@{label}", local]


CARD_PREFIXES = [
    ("4", 16),
    ("4", 13),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("2300", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 16),
    ("3530", 16),
]


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, list[str]]:
    prefix, length = draw(st.sampled_from(CARD_PREFIXES))
    body = prefix + draw(_chars(string.digits, length - len(prefix) - 1, length - len(prefix) - 1))
    check = next(d for d in string.digits if luhn_ok(body + d))
    digits = body + check
    assert is_card_number(digits)
    style = draw(st.sampled_from(["plain", " ", "-"]))
    if style == "plain":
        shown = digits
    elif length == 15:
        shown = style.join([digits[:4], digits[4:10], digits[10:]])
    else:
        shown = style.join(digits[i : i + 4] for i in range(0, length, 4))
    return shown, [digits, digits[4:12], shown]


@st.composite
def ibans(draw: st.DrawFn) -> tuple[str, list[str]]:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    bban = draw(_chars(string.digits + string.ascii_uppercase, IBAN_LENGTHS[country] - 4, 30))
    bban = bban[: IBAN_LENGTHS[country] - 4]
    rearranged = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in rearranged)) % 97
    iban = f"{country}{check:02d}{bban}"
    assert iban_ok(iban)
    shown = (
        " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if draw(st.booleans()) else iban
    )
    return shown, [iban[4:], iban[4:16], shown]


@st.composite
def ssns(draw: st.DrawFn) -> tuple[str, list[str]]:
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    group = draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    ssn = f"{area:03d}-{group:02d}-{serial:04d}"
    return ssn, [ssn, f"{group:02d}-{serial:04d}"]


@st.composite
def ipv4s(draw: st.DrawFn) -> tuple[str, list[str]]:
    octets = draw(st.lists(st.integers(0, 255), min_size=4, max_size=4))
    ip = ".".join(map(str, octets))
    return ip, [ip]


@st.composite
def ipv6s(draw: st.DrawFn) -> tuple[str, list[str]]:
    groups = draw(st.lists(st.integers(0, 0xFFFF), min_size=8, max_size=8))
    groups[0] = groups[0] or 0x2001
    groups[7] = groups[7] or 1
    if draw(st.booleans()):
        groups[2:5] = [0, 0, 0]
    addr = ipaddress.IPv6Address(":".join(f"{g:x}" for g in groups))
    shown = addr.exploded if draw(st.booleans()) else addr.compressed
    return shown, [shown, shown[-9:] if len(shown) > 12 else shown]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def jwts(draw: st.DrawFn) -> tuple[str, list[str]]:
    sub = draw(_chars(ALNUM, 3, 12))
    header = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = _b64url(orjson.dumps({"sub": sub, "room": draw(_chars(ALNUM, 1, 8))}))
    sig = _b64url(draw(st.binary(min_size=16, max_size=32)))
    token = f"{header}.{payload}.{sig}"
    return token, [payload, sig, token]


@st.composite
def api_keys(draw: st.DrawFn) -> tuple[str, list[str]]:
    kind = draw(st.sampled_from(["aws", "stripe", "github", "github_pat", "slack"]))
    upper = string.ascii_uppercase + string.digits
    if kind == "aws":
        body = draw(_chars(upper, 16, 16))
        key = draw(st.sampled_from(["AKIA", "ASIA"])) + body
    elif kind == "stripe":
        body = draw(_chars(ALNUM, 16, 32))
        key = draw(st.sampled_from(["sk_live_", "rk_live_", "sk_test_"])) + body
    elif kind == "github":
        body = draw(_chars(ALNUM, 36, 36))
        key = draw(st.sampled_from(["ghp_", "gho_", "ghs_", "ghu_", "ghr_"])) + body
    elif kind == "github_pat":
        body = draw(_chars(ALNUM + "_", 30, 60))
        key = "github_pat_" + body
    else:
        body = draw(_chars(ALNUM, 16, 32))
        key = f"xox{draw(st.sampled_from('bpaes'))}-{draw(_chars(string.digits, 10, 12))}-{body}"
    return key, [body[-12:], key]


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, list[str]]:
    if draw(st.booleans()):
        cc = str(draw(st.integers(1, 998)))
        rest = draw(_chars(string.digits, 7, 11))
        joiner = draw(st.sampled_from(["", " ", "-", "."]))
        parts = [rest[i : i + 3] for i in range(0, len(rest), 3)]
        shown = f"+{cc} " + joiner.join(parts)
        return shown, [rest[-7:] if not joiner else parts[0] + joiner + parts[1], shown]
    area = str(draw(st.integers(200, 999)))
    exch = draw(_chars(string.digits, 3, 3))
    line = draw(_chars(string.digits, 4, 4))
    shown = draw(st.sampled_from([f"({area}) {exch}-{line}", f"{area}-{exch}-{line}"]))
    return shown, [f"{exch}-{line}", shown]


@st.composite
def bearers(draw: st.DrawFn) -> tuple[str, list[str]]:
    token = draw(_chars(ALNUM, 6, 30)) + draw(st.sampled_from(["0", "-", ".", "_"])) + "9z"
    return f"Bearer {token}", [token]


@st.composite
def url_credentials(draw: st.DrawFn) -> tuple[str, list[str]]:
    user = draw(_chars(string.ascii_lowercase, 4, 10))
    password = draw(_chars(ALNUM + "!$*@", 6, 16))
    scheme = draw(st.sampled_from(["https", "postgres", "redis", "ftp"]))
    url = f"{scheme}://{user}:{password}@host.example/p?q=1"
    return url, [f"{user}:", f":{password}@", f"{user}:{password}"]


@st.composite
def private_keys(draw: st.DrawFn) -> tuple[str, list[str]]:
    body = draw(_chars(string.ascii_letters + string.digits + "+/", 40, 120))
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    kind = draw(st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]))
    pem = f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----"
    return pem, [body[:20], body[-20:]]


SECRETS = st.one_of(
    emails(),
    cards(),
    ibans(),
    ssns(),
    ipv4s(),
    ipv6s(),
    jwts(),
    api_keys(),
    phones(),
    bearers(),
    url_credentials(),
    private_keys(),
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SECRETS, prefix=text, suffix=text, left=sep, right=sep)
def test_embedded_secret_is_removed_entirely(
    secret: tuple[str, list[str]], prefix: str, suffix: str, left: str, right: str
) -> None:
    shown, pieces = secret
    haystack = prefix + left + shown + right + suffix
    out = scrub_text(haystack)
    surrounding = prefix + left + "\x00" + right + suffix
    leaked = [p for p in pieces if len(p) >= 4 and p in out and p not in surrounding]
    assert leaked == [], (haystack, out)


@settings(max_examples=400)
@given(st.text(max_size=200))
def test_scrub_text_is_idempotent_on_any_text(value: str) -> None:
    once = scrub_text(value)
    assert scrub_text(once) == once


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SECRETS, prefix=text, suffix=text, left=sep, right=sep)
def test_scrub_text_is_idempotent_with_secrets(
    secret: tuple[str, list[str]], prefix: str, suffix: str, left: str, right: str
) -> None:
    once = scrub_text(prefix + left + secret[0] + right + suffix)
    assert scrub_text(once) == once


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(st.dictionaries(text, json_values, max_size=6))
def test_scrub_event_is_idempotent(event: dict) -> None:
    once = scrub_event(event)
    assert scrub_event(once) == once


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    event=st.dictionaries(text, json_values, max_size=6),
    secret=SECRETS,
    where=st.sampled_from(["value", "key", "nested", "none"]),
)
def test_scrub_event_fast_path_matches_full_scrubber(
    event: dict, secret: tuple[str, list[str]], where: str
) -> None:
    from slogate.privacy.scrub import _scrub_mapping

    if where == "value":
        event["msg"] = f"x {secret[0]} y"
    elif where == "key":
        event[secret[0]] = 1
    elif where == "nested":
        event["n"] = {"list": [1, {"deep": secret[0]}]}
    assert scrub_event(event) == _scrub_mapping(event, 0)

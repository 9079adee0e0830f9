"""PII scrubbing of events and text with RE2 (linear time, no catastrophic backtracking).

Design:
- One RE2 set of all rules answers "which rules could match?" in a single
  pass, so clean strings (the common case) cost one scan, and a dirty string
  only runs the rules that matched.
- Otherwise rules run one after the other, most specific first (a private key
  before anything inside it, URL credentials before e-mails, IBANs and
  Luhn-checked cards before other digit runs, phones last), each replacing a
  whole finding with a typed placeholder. Placeholders contain no character a
  rule can match, and the pass repeats until nothing changes, which makes
  scrubbing idempotent.
- Candidates that need arithmetic (Luhn, IBAN mod 97, SSN number plan) are
  checked in Python on the matched span only.
- Percent-encoded text is decoded (repeatedly, for double encoding) before
  matching; the decoded form is returned only when it contained something.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import re2

from slogate.privacy.checks import iban_ok, is_card_number, ssn_ok
from slogate.privacy.rules import (
    FILTERED,
    IBAN_LENGTHS,
    PLACEHOLDERS,
    SENSITIVE_EXACT_KEYS,
    SENSITIVE_KEY_FRAGMENTS,
)

#: Nested values deeper than this are replaced whole: bounded work, no leak.
MAX_DEPTH = 64
_MAX_ROUNDS = 4
_MAX_DECODE_ROUNDS = 8

Replacer = Callable[[Any], str]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: str
    replace: str | Replacer
    longest: bool = False
    #: `replace` takes the whole text (for findings a regex cannot delimit).
    scanner: bool = False


def _placeholder(name: str) -> str:
    return PLACEHOLDERS[name]


# -- replacers for candidates that need checks -----------------------------------


def _keep_scheme(m: Any) -> str:
    text = m.group(0)
    return text[: text.index("://") + 3] + PLACEHOLDERS["url_credentials"] + "@"


def _assignment(m: Any) -> str:
    return m.group(1) + FILTERED


def _bearer(m: Any) -> str:
    token = m.group(3)
    looks_random = any(not ch.isalpha() for ch in token) or len(token) >= 16
    if len(token) >= 8 and looks_random:
        return m.group(1) + m.group(2) + PLACEHOLDERS["bearer"]
    return m.group(0)


def _basic(m: Any) -> str:
    token = m.group(3)
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return m.group(0)
    if b":" in decoded:
        return m.group(1) + m.group(2) + PLACEHOLDERS["bearer"]
    return m.group(0)


_IBAN_COUNTRIES = "|".join(sorted(IBAN_LENGTHS))
_IBAN_START = re2.compile(rf"(?i)\b(?:{_IBAN_COUNTRIES})\d{{2}}")


def _scan_ibans(text: str) -> str:
    """Replace valid IBANs; scanned from each candidate start over the whole text, so a
    long IBAN after other words is never cut at a regex length bound."""
    out: list[str] = []
    pos = 0
    for start_m in _IBAN_START.finditer(text):
        start = start_m.start()
        if start < pos:
            continue
        end = _iban_end(text, start)
        if end is None:
            continue
        out.append(text[pos:start])
        out.append(PLACEHOLDERS["iban"])
        pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _iban_end(text: str, start: int) -> int | None:
    """End offset of a valid IBAN starting at `start`, single separators allowed.

    Written IBANs are either compact or grouped by four; a candidate must also end
    at a token boundary. Without these two rules about one hex UUID in a hundred
    passed the mod-97 check by chance (`be33-85c771365b71`) and lost its tail."""
    compact: list[str] = []
    ends: list[int] = []  # offset just after each alnum char taken
    group_sizes: list[int] = [0]
    i = start
    gap = 0
    while i < len(text) and len(compact) < 34:
        ch = text[i]
        if ch.isascii() and ch.isalnum():
            compact.append(ch.upper())
            ends.append(i + 1)
            group_sizes[-1] += 1
            gap = 0
        elif ch in " -" and gap == 0:
            gap = 1
            group_sizes.append(0)
        else:
            break
        i += 1
    if len(compact) < 15:
        return None
    n = IBAN_LENGTHS.get("".join(compact[:2]), 0)
    if not n or n > len(compact) or not iban_ok("".join(compact[:n])):
        return None
    end = ends[n - 1]
    if end < len(text) and text[end].isascii() and text[end].isalnum():
        return None  # the IBAN would end inside a longer token
    taken, sizes = 0, []
    for size in group_sizes:
        if taken >= n:
            break
        sizes.append(min(size, n - taken))
        taken += size
    if len(sizes) > 1 and (any(size != 4 for size in sizes[:-1]) or sizes[-1] > 4):
        return None
    return end


_DIGIT_GROUP = re2.compile(r"\d+")


def _card(m: Any) -> str:
    """Replace every Luhn-valid card inside a run of digit groups (4-4-4-4, 4-6-5...).

    The union of all valid windows is removed, so a card next to other digits can
    never leave a group of itself behind.
    """
    pre, text = m.group(1), m.group(2)
    groups = [(g.start(), g.end()) for g in _DIGIT_GROUP.finditer(text)]
    spans: list[tuple[int, int]] = []
    for i in range(len(groups)):
        for j in range(i, min(len(groups), i + 6)):
            lens = [e - s for s, e in groups[i : j + 1]]
            total = sum(lens)
            if total > 19:
                break
            if total < 13 or not _card_grouping(lens):
                continue
            digits = "".join(text[s:e] for s, e in groups[i : j + 1])
            if is_card_number(digits):
                spans.append((groups[i][0], groups[j][1]))
    if not spans:
        return m.group(0)
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[str] = [pre]
    pos = 0
    for s, e in merged:
        out.append(text[pos:s])
        out.append(PLACEHOLDERS["card"])
        pos = e
    out.append(text[pos:])
    return "".join(out)


def _card_grouping(lens: list[int]) -> bool:
    if len(lens) == 1:
        return True
    if lens in ([4, 6, 5], [4, 6, 4]):  # Amex, Diners
        return True
    return all(n == 4 for n in lens[:-1]) and 1 <= lens[-1] <= 4


def _ssn(m: Any) -> str:
    if ssn_ok(m.group(1), m.group(2), m.group(3)):
        return PLACEHOLDERS["ssn"]
    return m.group(0)


def _ipv6(m: Any) -> str:
    text = m.group(0)
    whole = m.string
    before = whole[m.start() - 1] if m.start() > 0 else ""
    after = whole[m.end()] if m.end() < len(whole) else ""
    if (before and (before.isalnum() or before == "_")) or (
        after and (after.isalnum() or after == "_")
    ):
        return text  # glued to a word: `std::vector`, not an address
    hex_groups = [g for g in text.split("%")[0].split(":") if g]
    if len(hex_groups) >= 2 or text.lower() == "::1" or "." in text:
        return PLACEHOLDERS["ipv6"]
    return text


def _ipv4(m: Any) -> str:
    """`Chrome/131.0.0.0` (the reduced user agent of every Chromium browser) is a
    product version, not an address: an `X.0.0.0` right after `Name/` is kept.
    Anything else, a URL host after `//` included, is an address."""
    whole, start = m.string, m.start()
    text = m.group(0)
    if (
        text.endswith(".0.0.0")
        and start >= 2
        and whole[start - 1] == "/"
        and whole[start - 2].isalpha()
    ):
        return text
    return PLACEHOLDERS["ipv4"]


def _phone_intl(m: Any) -> str:
    digits = sum(ch.isdigit() for ch in m.group(2))
    if digits >= 7:
        return m.group(1) + PLACEHOLDERS["phone"]
    return m.group(0)


def _phone_nanp(m: Any) -> str:
    return m.group(1) + PLACEHOLDERS["phone"]


# -- the rules, most specific first ----------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H = r"[0-9a-f]{1,4}"
_IPV6 = (
    r"(?i)(?:"
    rf"(?:{_H}:){{7}}{_H}"
    rf"|(?:{_H}:){{1,7}}:"
    rf"|(?:{_H}:){{1,6}}:{_H}"
    rf"|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}"
    rf"|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}"
    rf"|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}"
    rf"|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|{_H}:(?::{_H}){{1,6}}"
    rf"|:(?::{_H}){{1,7}}"
    rf"|fe80:(?::[0-9a-f]{{0,4}}){{0,4}}%[0-9a-z]+"
    rf"|::(?:ffff(?::0{{1,4}})?:)?{_IPV4}"
    rf"|(?:{_H}:){{1,4}}:{_IPV4}"
    r")"
)
_SECRET_NAMES = (
    r"password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|credentials?|signature"
)

RULES: tuple[Rule, ...] = (
    Rule(
        "private_key",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
        r"-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
        _placeholder("private_key"),
    ),
    # A key cut short (a truncated log line) still loses its whole body.
    Rule(
        "private_key_partial",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,.\\-]*",
        _placeholder("private_key"),
    ),
    Rule(
        "slack_webhook",
        r"(?i)https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+",
        _placeholder("slack_webhook"),
    ),
    Rule("url_credentials", r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/?#]+@", _keep_scheme),
    Rule(
        "secret_assignment",
        rf"(?i)(\b[a-z0-9_.-]*(?:{_SECRET_NAMES})[a-z0-9_-]*[\"']?\s*[:=]\s*[\"']?)"
        r"([^\s\"'&,;\[\]]+)",
        _assignment,
    ),
    Rule("jwt", r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*", _placeholder("jwt")),
    Rule("bearer", r"(?i)\b(bearer)([\s:=]+)([A-Za-z0-9._~+/=-]+)", _bearer),
    Rule("basic_auth", r"(?i)\b(basic)(\s+)([A-Za-z0-9+/]{6,}={0,2})", _basic),
    Rule(
        "aws_key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA|A3T[A-Z0-9])"
        r"[A-Z0-9]{16}\b",
        _placeholder("aws_key"),
    ),
    Rule(
        "stripe_key",
        r"\b(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{16,})",
        _placeholder("stripe_key"),
    ),
    Rule(
        "github_token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        _placeholder("github_token"),
    ),
    Rule("slack_token", r"\bxox[abposrce]-[A-Za-z0-9-]{8,}", _placeholder("slack_token")),
    Rule(
        "email",
        r"[\p{L}\p{N}._+'-]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?"
        r"(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*\.\p{L}{2,}",
        _placeholder("email"),
    ),
    Rule(
        "iban",
        rf"(?i)\b(?:{_IBAN_COUNTRIES})\d{{2}}(?:[ -]?[a-z0-9]){{11}}",
        _scan_ibans,
        scanner=True,
    ),
    # A run after "+" is an international phone number, not a card.
    Rule("card", r"(^|[^+\d])(\d(?:[ -]?\d){12,})", _card),
    Rule("ssn", r"\b(\d{3})-(\d{2})-(\d{4})\b", _ssn),
    Rule("ipv6", _IPV6, _ipv6, longest=True),
    Rule("ipv4", rf"\b{_IPV4}\b", _ipv4, longest=True),
    Rule("phone_intl", r"(^|[^\w+])(\+\d[\d ().-]{5,24}\d)", _phone_intl),
    Rule(
        "phone_nanp",
        r"(^|[^\w])((?:1[ .-])?\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]\d{4})\b",
        _phone_nanp,
    ),
)


def _compile(pattern: str, *, longest: bool = False) -> Any:
    opts = re2.Options()
    opts.longest_match = longest
    opts.max_mem = 64 << 20
    return re2.compile(pattern, opts)


_COMPILED: tuple[tuple[Rule, Any], ...] = tuple(
    (rule, _compile(rule.pattern, longest=rule.longest)) for rule in RULES
)


def _rule_set() -> Any:
    """An RE2 set of every rule: one linear pass says which rules can match at all.
    Most strings match none and stop there (far cheaper than one search per rule)."""
    opts = re2.Options()
    opts.max_mem = 64 << 20
    rule_set = re2.Set.SearchSet(opts)
    for rule in RULES:
        rule_set.Add(rule.pattern)
    rule_set.Compile()
    return rule_set


_SET = _rule_set()
#: Plain `re` is fine here: one fixed-width token, nothing to backtrack over.
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


#: Above this length the set prefilter is not trusted: RE2::Set reports "no match"
#: when its DFA runs out of memory (the Python wrapper hides the error), so long
#: texts ask each rule's own RE2, which falls back to the NFA instead of failing.
_SET_MAX_CHARS = 64 * 1024


def _rule_hits(text: str) -> list[int] | None:
    if len(text) <= _SET_MAX_CHARS:
        return _SET.Match(text)  # type: ignore[no-any-return]
    hits = [i for i, (_rule, pattern) in enumerate(_COMPILED) if pattern.search(text)]
    return hits or None


def _scrub_plain(text: str) -> str:
    hits = _rule_hits(text)
    for _ in range(_MAX_ROUNDS):
        if not hits:
            return text
        out = text
        for index in sorted(hits):
            rule, pattern = _COMPILED[index]
            out = rule.replace(out) if rule.scanner else pattern.sub(rule.replace, out)  # type: ignore[operator]
        if out == text:
            return out
        text = out
        hits = _rule_hits(text)
    return text


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})(?:\\u([0-9a-fA-F]{4}))?")


def _unicode_escape(m: re.Match[str]) -> str:
    high = int(m.group(1), 16)
    low = int(m.group(2), 16) if m.group(2) else None
    if 0xD800 <= high < 0xDC00 and low is not None and 0xDC00 <= low < 0xE000:
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    first = "\ufffd" if 0xD800 <= high < 0xE000 else chr(high)
    if low is None:
        return first
    return first + ("\ufffd" if 0xD800 <= low < 0xE000 else chr(low))


def _needs_decoding(text: str) -> bool:
    return ("%" in text and _PERCENT.search(text) is not None) or (
        "\\u" in text and _JSON_ESCAPE.search(text) is not None
    )


def _decode(text: str) -> str:
    """Undo percent-encoding and JSON `\\uXXXX` escapes (raw request text keeps them:
    `jane\\u0040example.com` is an e-mail), repeatedly, for double encoding."""
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = text
        if "%" in decoded and _PERCENT.search(decoded):
            decoded = unquote(decoded, errors="replace")
        if "\\u" in decoded:
            decoded = _JSON_ESCAPE.sub(_unicode_escape, decoded)
        if decoded == text:
            break
        text = decoded
    return text


# Stdlib `re` on purpose: the pattern is fixed-length (no backtracking blow-up) and,
# unlike re2, takes strings with lone surrogates, which hostile input carries.
_UUID = re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


#: Short strings repeat (event names, enum values, browser names, error messages):
#: their scrub result is cached. `scrub_text` is a pure function of its argument,
#: so a cached answer is byte-identical; length and entry bounds cap the memory
#: (at most about 8192 * 256 characters, twice).
_CACHE_MAX_CHARS = 256
_CACHE_ENTRIES = 8192


def scrub_text(text: str) -> str:
    """Replace every kind of PII inside `text` with a typed placeholder (see
    `_scrub_text`); short strings are answered from a bounded LRU cache."""
    if type(text) is str and len(text) <= _CACHE_MAX_CHARS:
        return _scrub_text_cached(text)
    return _scrub_text(text)


def _scrub_text(text: str) -> str:
    """Replace every kind of PII inside `text` with a typed placeholder.

    UUIDs are identifiers (event_id, session_id), never PII, yet a random one
    passes a Luhn or mod-97 check now and then: they are kept whole and only the
    text around them is scrubbed, so deduplication by id survives scrubbing."""
    if not text:
        return text
    if not text.isascii():
        text = _without_lone_surrogates(text)
    if "-" in text and _UUID.search(text):
        parts: list[str] = []
        pos = 0
        for m in _UUID.finditer(text):
            parts.append(_scrub_segment(text[pos : m.start()]))
            parts.append(m.group(0))
            pos = m.end()
        parts.append(_scrub_segment(text[pos:]))
        return "".join(parts)
    return _scrub_segment(text)


@functools.lru_cache(maxsize=_CACHE_ENTRIES)
def _scrub_text_cached(text: str) -> str:
    return _scrub_text(text)


def _without_lone_surrogates(text: str) -> str:
    """Lone surrogates (from hostile JSON escapes) cannot be UTF-8 encoded for re2:
    they become U+FFFD, which also keeps them out of files and logs."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _scrub_segment(text: str) -> str:
    if not text:
        return text
    if _needs_decoding(text):
        decoded = _decode(text)
        if decoded != text:
            clean = _scrub_plain(decoded)
            if clean != decoded:
                return clean
    return _scrub_plain(text)


@functools.lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    """Key fragments match case-insensitively, ignoring `_`, `-`, `.` and spaces."""
    norm = "".join(ch for ch in key.lower() if ch.isalnum())
    if norm in SENSITIVE_EXACT_KEYS:
        return True
    return any(fragment in norm for fragment in SENSITIVE_KEY_FRAGMENTS)


@functools.lru_cache(maxsize=4096)
def _scrub_key(key: str) -> str:
    return scrub_text(key)


def _scrub_int(value: int) -> Any:
    digits = str(abs(value))
    if 13 <= len(digits) <= 19 and is_card_number(digits):
        return PLACEHOLDERS["card"]
    return value


def scrub_int(value: int) -> Any:
    """An integer value as `scrub_event` stores it: a Luhn-valid card number of
    13 to 19 digits becomes the card placeholder."""
    return _scrub_int(value)


def _scrub_value(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return _scrub_int(value)
    if depth >= MAX_DEPTH:
        return FILTERED
    if isinstance(value, Mapping):
        return _scrub_mapping(value, depth + 1)
    if isinstance(value, list | tuple):
        return [_scrub_value(v, depth + 1) for v in value]
    return scrub_text(str(value))


def _scrub_mapping(obj: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for raw_key, value in obj.items():
        key_text = raw_key if isinstance(raw_key, str) else str(raw_key)
        key = _scrub_key(key_text)
        if is_sensitive_key(key_text) or is_sensitive_key(key):
            clean = value if value is None or isinstance(value, bool) else FILTERED
        else:
            clean = _scrub_value(value, depth)
        if key in out:  # two keys scrubbed to the same placeholder: keep both values
            n = 2
            while f"{key}#{n}" in out:
                n += 1
            key = f"{key}#{n}"
        out[key] = clean
    return out


class _Dirty(Exception):
    """Raised by the fast path: this event needs the full scrubber."""


_SMALL_INT = 10**12  # below 13 digits no int can be a card number

#: `scrub_text` answers of strings up to `_CACHE_MAX_CHARS` that went through
#: `scrub_texts` (a clean string maps to itself). Bounded: emptied when full rather
#: than grown, so it costs at most about 16384 * 256 characters, twice.
_VERDICTS: dict[str, str] = {}
_VERDICTS_MAX = 16384
#: Below this many strings a blob with a hit is settled string by string; above,
#: it is halved (one set match per half) until the parts are this small.
_SPLIT_BELOW = 6
_SEPARATOR = "\x00"


def scrub_texts(texts: Sequence[str]) -> list[str]:
    """`[scrub_text(t) for t in texts]`, for a whole batch at once.

    Strings seen before are answered from a bounded verdict cache. The others are
    joined with NUL and checked with one RE2 set match: clean batches (the common
    case) cost that single call. NUL is neither a word character nor one that any
    rule needs inside a finding, and every rule that looks at the character before a
    finding (`(^|[^+\\d])`, `\\b`) accepts NUL as it accepts the start of a string,
    so a string with a finding of its own makes the blob hit too; a finding that
    spans NUL (a private key's body) only costs a closer look. When the blob hits,
    it is halved until the strings that hit are found, and those go through
    `scrub_text`. Strings the set cannot judge alone go through `scrub_text` as
    well: non-ASCII ones (lone surrogates are replaced first), ones holding a UUID
    (kept whole while the text around it is scrubbed on its own, so a `^` rule can
    match there: `<uuid>+14155550132`), and percent- or `\\u`-encoded ones."""
    out = list(texts)
    verdicts = _VERDICTS
    fresh: list[str] = []
    where: list[int] = []
    for i, text in enumerate(texts):
        known = verdicts.get(text)
        if known is None:
            fresh.append(text)
            where.append(i)
        else:
            out[i] = known
    if not fresh:
        return out
    suspects = _suspects(fresh)
    if len(verdicts) + len(fresh) > _VERDICTS_MAX:
        verdicts.clear()  # bounded: start over rather than grow
    for k, text in enumerate(fresh):
        clean = scrub_text(text) if k in suspects else text
        out[where[k]] = clean
        if len(text) <= _CACHE_MAX_CHARS:
            verdicts[text] = clean
    return out


def _suspects(texts: list[str]) -> set[int]:
    """Indexes of the strings that `scrub_text` might change; every other one it
    returns unchanged (see `scrub_texts`)."""
    blob = _SEPARATOR.join(texts)
    suspects: set[int] = set()
    if not blob.isascii():
        suspects.update(i for i, t in enumerate(texts) if not t.isascii())
        if len(suspects) == len(texts):
            return suspects
        rest = [i for i in range(len(texts)) if i not in suspects]
        blob = _SEPARATOR.join(texts[i] for i in rest)
    else:
        rest = list(range(len(texts)))
    if "-" in blob and _UUID.search(blob):
        suspects.update(i for i in rest if "-" in texts[i] and _UUID.search(texts[i]))
    if _needs_decoding(blob):
        suspects.update(i for i in rest if _needs_decoding(texts[i]))
    if _rule_hits(blob):
        _locate(texts, rest, suspects)
    return suspects


def _locate(texts: list[str], indexes: list[int], suspects: set[int]) -> None:
    """Add to `suspects` the strings of `indexes` with a rule hit of their own
    (their joined blob is known to hit)."""
    if len(indexes) < _SPLIT_BELOW:
        suspects.update(i for i in indexes if _rule_hits(texts[i]))
        return
    mid = len(indexes) // 2
    for part in (indexes[:mid], indexes[mid:]):
        if _rule_hits(_SEPARATOR.join(texts[i] for i in part)):
            _locate(texts, part, suspects)


def _fast_copy(value: Any, strings: list[str], depth: int) -> Any:
    """Copy `value` collecting its strings; give up on anything the scrubber would change
    for a reason other than a string rule (sensitive key, card-like int, depth)."""
    kind = type(value)
    if kind is dict and depth < MAX_DEPTH:
        out: dict[str, Any] = {}
        append = strings.append
        for key, item in value.items():
            if type(key) is not str or is_sensitive_key(key):
                raise _Dirty
            append(key)
            item_kind = type(item)
            if item_kind is str:
                append(item)
                out[key] = item
            elif (
                item is None
                or item_kind is float
                or item_kind is bool
                or (item_kind is int and -_SMALL_INT < item < _SMALL_INT)
            ):
                out[key] = item
            else:
                out[key] = _fast_copy(item, strings, depth + 1)
        return out
    if isinstance(value, str):
        strings.append(value)
        return value
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        if _scrub_int(value) is not value:
            raise _Dirty
        return value
    if depth >= MAX_DEPTH:
        raise _Dirty
    if isinstance(value, Mapping):
        return _fast_copy(dict(value), strings, depth)
    if isinstance(value, list | tuple):
        return [_fast_copy(v, strings, depth + 1) for v in value]
    raise _Dirty


def scrub_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A scrubbed copy: sensitive keys filtered, PII in keys and string values replaced
    (event names included), through nested objects and arrays.

    Fast path: most events are clean. Their keys and string values go through
    `scrub_texts` together (known strings from its cache, the rest in one RE2 set
    match); when none of them changes and no key is sensitive, the copy is the answer.
    Otherwise the whole event goes through the reference path.
    """
    strings: list[str] = []
    try:
        copy = _fast_copy(event, strings, 0)
    except _Dirty:
        return _scrub_mapping(event, 0)
    for before, after in zip(strings, scrub_texts(strings), strict=True):
        if after is not before and after != before:
            return _scrub_mapping(event, 0)
    return copy  # type: ignore[no-any-return]

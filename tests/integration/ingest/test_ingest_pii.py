"""PII sent through the real server (ingest and OTLP, in values, nested objects,
arrays, keys and event names) reaches neither the event store, nor the
dead-letter store, nor the server's own log. Every sample is fabricated."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.integration.ingest.ingest_server import running

#: (kind, text sent, fragment that must never be found on disk or in the log)
SAMPLES = [
    ("email", "write to jane.roe@example.org today", "jane.roe@example.org"),
    ("email_encoded", "q=jane.roe%40example.org", "jane.roe%40example.org"),
    ("phone", "call +44 20 7946 0958 now", "7946 0958"),
    ("card_visa", "paid with 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("card_mc2", "card 2223003122003222 ok", "2223003122003222"),
    ("card_amex", "amex 378282246310005", "378282246310005"),
    ("ipv4", "from 203.0.113.77 port 5", "203.0.113.77"),
    ("ipv6", "peer 2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334"),
    (
        "jwt",
        "t=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("bearer", "Authorization: Bearer abcdef0123456789abcdefXYZ", "abcdef0123456789abcdefXYZ"),
    ("aws", "key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
    ("stripe", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("github", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
    (
        "slack",
        "xoxb-123456789012-123456789012-AbCdEfGhIjKlMnOpQrStUvWx",
        "AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    ("url_credentials", "https://admin:s3cr3tpw@db.example.com/x", "s3cr3tpw"),
    ("iban", "IBAN GB82WEST12345698765432", "GB82WEST12345698765432"),
    ("ssn", "ssn 123-45-6789", "123-45-6789"),
    (
        "pem",
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
        "-----END RSA PRIVATE KEY-----",
        "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
    ),
]
SENSITIVE_KEYS = {
    "password": "pw-value-77aa",
    "api_key": "apikey-value-88bb",
    "Authorization": "authz-value-99cc",
    "session_token": "sesstok-value-11dd",
    "cardNumber": "cardnum-value-22ee",
}


def _events(marker: str) -> list[object]:
    events: list[object] = []
    for kind, text, _ in SAMPLES:
        events.append({"event": "session_error", "marker": marker, "message": text, "kind": kind})
        events.append({"event": "session_start", "marker": marker, "nested": {"a": {"b": text}}})
        events.append({"event": "session_start", "marker": marker, "list": ["x", text]})
        if "\n" not in text:
            events.append({"event": "session_start", "marker": marker, text[:100]: 1})
            events.append({"event": f"evt {text}"[:120], "marker": marker})
        events.append({"event": "session_start", "marker": marker, "session_id": text})
        # Rejected entries carry PII too: they go to the dead-letter store.
        events.append({"event": "hydra_preset_eval_success", "duration_ms": text})
        events.append(text)
        events.append({"event": "session_start", "deep": {"a": {"b": {"c": {"d": text}}}}})
    events.append({"event": "session_start", "marker": marker, **SENSITIVE_KEYS})
    events.append({"event": "session_start", "marker": marker, "x": SENSITIVE_KEYS})
    return events


def _otlp(marker: str) -> dict:
    records = []
    for _, text, _ in SAMPLES:
        records.append(
            {
                "body": {"stringValue": text},
                "attributes": [
                    {"key": "event.name", "value": {"stringValue": "session_error"}},
                    {"key": "marker", "value": {"stringValue": marker}},
                    {"key": "detail", "value": {"stringValue": text}},
                ],
            }
        )
        records.append({"body": {"stringValue": text}})  # unknown event name: flagged
    return {"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]}


def test_no_pii_reaches_the_store_the_dead_letters_or_the_log(tmp_path: Path) -> None:
    settings = {
        "requests_per_minute": 100000,
        "events_per_minute": 10000000,
        "unknown_events": "flag",
        "max_batch_events": 50,
    }
    marker = uuid.uuid4().hex
    with running(tmp_path, settings) as srv, srv.client() as c:
        events = _events(marker)
        for i in range(0, len(events), 50):
            r = c.post("/api/telemetry/ingest", json={"events": events[i : i + 50]})
            assert r.status_code == 200, r.text
            assert all(fragment not in json.dumps(r.json()) for _, _, fragment in SAMPLES), (
                "PII echoed in a rejection reason"
            )
        r = c.post("/v1/logs", json=_otlp(marker))
        assert r.status_code == 200, r.text
        stored = srv.event_lines()
        dead = srv.dead_letter_lines()
        assert sum(marker in line for line in stored) >= 5 * len(SAMPLES)
        assert len(dead) >= 3 * len(SAMPLES)
    everything = {
        "events": "\n".join(stored),
        "deadletter": "\n".join(dead),
        "log": srv.log_text(),
    }
    leaks = [
        f"{kind} in {where}"
        for kind, _, fragment in SAMPLES
        for where, text in everything.items()
        if fragment in text or fragment in text.replace("\\n", "\n")
    ]
    leaks += [
        f"value of {key} in {where}"
        for key, value in SENSITIVE_KEYS.items()
        for where, text in everything.items()
        if value in text
    ]
    assert not leaks, leaks

"""Live multiwindow, multi-burn-rate alerts over the dashboard's aggregates.

For teams without Prometheus: the server evaluates the `alerting:` policy of the
configuration (the same `slogate.core.alerts.AlertPolicy` that `slogate alerts
backtest` replays) every `dashboard.alert_eval_seconds`, and posts each alert's
firing and its resolution to the configured webhooks (generic JSON or
Slack-compatible), with retries.

Semantics follow `slogate.core.alerts.replay`: one alert per SLO and severity;
it fires while, for any window of that severity, both the long and the short
window's error rate exceed `factor x allowed` and the long window holds at least
`min_events` events. Budgets and bad/total counts come from `slogate.core.budget`.
Windows cover the 5-minute buckets that start in `[now - L, now)`, so the
current, partial bucket counts (fresh, at the price of a noisier short window).

Which alerts are firing (and since when) is kept in `DIR/.slogate/alerts.json`
when the server has a data folder, written atomically on every transition and
read back at start: a restart neither pages again for an alert the receivers
already have, nor forgets to send its resolution. The same file keeps the recent
transitions the dashboard lists, with the outcome of each webhook delivery (never
the webhook's URL, which may carry a secret).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from slogate.config.dashboard import WebhookModel
from slogate.core.alerts import AlertPolicy, BurnWindow
from slogate.core.budget import BudgetKind, allowed_bad_fraction, bad_and_total, budget_kind
from slogate.core.slo import SLO
from slogate.fileio import atomic_write
from slogate.web.aggregates import SLOAggregates
from slogate.web.ports import Clock

log = logging.getLogger("slogate.web.alerting")


#: Version of the alert state file; another version is ignored (start clean).
STATE_VERSION = 1


def alert_state_path(data_dir: Path) -> Path:
    """Where a server with this data folder keeps its alert states (a hidden
    folder: input discovery skips it, so a snapshot of DIR never reads it)."""
    return data_dir / ".slogate" / "alerts.json"


def has_budget(slo: SLO) -> bool:
    return budget_kind(slo) is BudgetKind.BUDGET


@dataclass(slots=True)
class AlertState:
    slo_id: str
    slo_name: str
    pillar: str
    severity: str
    firing: bool = False
    since: datetime | None = None
    windows: list[str] = field(default_factory=list)  # windows holding at the last evaluation
    burn_long: float | None = None  # of the window with the highest short burn
    burn_short: float | None = None
    factor: float | None = None
    events_long: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.slo_id, self.severity)

    @property
    def alert(self) -> str:
        return self.severity


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A transition: `firing` when the condition starts to hold, `resolved` when it stops."""

    status: str
    slo_id: str
    slo_name: str
    pillar: str
    severity: str
    windows: tuple[str, ...]
    factor: float | None
    burn_long: float | None
    burn_short: float | None
    started_at: datetime
    at: datetime
    deliveries: list[dict[str, Any]] = field(default_factory=list, compare=False)

    @property
    def alert(self) -> str:
        return self.severity

    def as_json(self, dashboard_url: str | None = None) -> dict[str, Any]:
        return {
            "version": 1,
            "source": "slogate",
            "status": self.status,
            "alert": f"{self.slo_id}:{self.severity}",
            "severity": self.severity,
            "slo": self.slo_id,
            "slo_name": self.slo_name,
            "pillar": self.pillar,
            "windows": list(self.windows),
            "factor": self.factor,
            "burn_rate": {"long": self.burn_long, "short": self.burn_short},
            "started_at": _iso(self.started_at),
            "at": _iso(self.at),
            "resolved_at": _iso(self.at) if self.status == "resolved" else None,
            "dashboard_url": dashboard_url,
        }

    def as_slack(self, dashboard_url: str | None = None) -> dict[str, Any]:
        icon = ":rotating_light:" if self.status == "firing" else ":white_check_mark:"
        word = "FIRING" if self.status == "firing" else "RESOLVED"
        burn = "n/a" if self.burn_long is None else f"{self.burn_long:.1f}x"
        windows = ", ".join(self.windows) or "-"
        factor = "" if self.factor is None else f" (threshold {self.factor:g}x)"
        text = (
            f"{icon} [{word}] {_slack_escape(self.slo_name)} ({_slack_escape(self.pillar)}): "
            f"{self.severity} burn-rate alert, windows {windows}, burn rate {burn}{factor}"
        )
        if dashboard_url:
            text += f" <{dashboard_url}|dashboard>"
        return {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }


def _host(url: str) -> str:
    return httpx.URL(url).host or "?"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat().replace("+00:00", "Z")


#: What a delivery outcome keeps on disk: not its URL (a Slack URL is a secret).
_DELIVERY_KEYS = ("ok", "attempts", "status", "error")


def _event_row(e: AlertEvent) -> dict[str, Any]:
    return {
        "status": e.status,
        "slo_id": e.slo_id,
        "slo_name": e.slo_name,
        "pillar": e.pillar,
        "severity": e.severity,
        "windows": list(e.windows),
        "factor": e.factor,
        "burn_long": e.burn_long,
        "burn_short": e.burn_short,
        "started_at": _iso(e.started_at),
        "at": _iso(e.at),
        "deliveries": [{k: d[k] for k in _DELIVERY_KEYS if k in d} for d in e.deliveries],
    }


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return float(value)


def _event_from_row(row: object) -> AlertEvent | None:
    """The transition a saved row describes, or None when the row is damaged."""
    if not isinstance(row, dict):
        return None
    try:
        deliveries = row.get("deliveries", [])
        if not isinstance(deliveries, list) or row["status"] not in ("firing", "resolved"):
            return None
        return AlertEvent(
            status=str(row["status"]),
            slo_id=str(row["slo_id"]),
            slo_name=str(row["slo_name"]),
            pillar=str(row["pillar"]),
            severity=str(row["severity"]),
            windows=tuple(str(w) for w in row.get("windows", [])),
            factor=_number(row.get("factor")),
            burn_long=_number(row.get("burn_long")),
            burn_short=_number(row.get("burn_short")),
            started_at=datetime.fromisoformat(str(row["started_at"])),
            at=datetime.fromisoformat(str(row["at"])),
            deliveries=[dict(d) for d in deliveries if isinstance(d, dict)],
        )
    except (KeyError, TypeError, ValueError):
        return None


class BurnRateAlerter:
    """Holds alert states; `evaluate(now)` returns transitions; `deliver` posts them."""

    def __init__(
        self,
        aggregates: SLOAggregates,
        slos: Sequence[SLO],
        policy: AlertPolicy,
        *,
        webhooks: Sequence[WebhookModel] = (),
        clock: Clock,
        public_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        history: int = 200,
        state_path: Path | None = None,
    ) -> None:
        self.aggregates = aggregates
        self.policy = policy
        self.webhooks = list(webhooks)
        self.clock = clock
        self.public_url = public_url
        self._transport = transport
        self._slos = {s.id: s for s in slos if has_budget(s)}
        self._states: dict[tuple[str, str], AlertState] = {}
        for slo in self._slos.values():
            for severity in policy.severities():
                state = AlertState(slo.id, slo.name, slo.pillar, severity)
                self._states[state.key] = state
        self.history: deque[AlertEvent] = deque(maxlen=history)
        self.last_evaluated: datetime | None = None
        self.state_path = state_path

    def restore(self) -> int:
        """Mark the alerts the state file says were firing as firing again (same
        `since`); returns how many. A missing, unreadable or foreign file means a
        clean start, never a failed one; states of SLOs or severities no longer
        configured are dropped."""
        if self.state_path is None:
            return 0
        try:
            doc = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return 0
        except (OSError, ValueError) as exc:
            log.warning("alert state %s unreadable (%s): starting clean", self.state_path, exc)
            return 0
        if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
            log.warning("alert state %s has another format: starting clean", self.state_path)
            return 0
        restored = dropped = 0
        for row in doc.get("firing", []):
            try:
                key = (str(row["slo_id"]), str(row["severity"]))
                since = datetime.fromisoformat(str(row["since"]))
                windows = [str(w) for w in row.get("windows", [])]
            except (KeyError, TypeError, ValueError):
                dropped += 1
                continue
            state = self._states.get(key)
            if state is None:
                dropped += 1
                continue
            state.firing, state.since, state.windows = True, since, windows
            restored += 1
        recent = doc.get("recent", [])
        for row in recent if isinstance(recent, list) else []:
            event = _event_from_row(row)
            if event is None or (event.slo_id, event.severity) not in self._states:
                dropped += 1
                continue
            self.history.append(event)
        if dropped:
            log.info("alert state: %d entries for alerts no longer configured dropped", dropped)
        return restored

    def save(self) -> None:
        """Write the firing alerts and the recent transitions atomically (after each
        transition, and again once its webhooks have answered)."""
        if self.state_path is None:
            return
        firing = [
            {"slo_id": s.slo_id, "severity": s.severity, "since": _iso(s.since),
             "windows": list(s.windows)}
            for s in self._states.values()
            if s.firing
        ]  # fmt: skip
        recent = [_event_row(e) for e in self.history]
        doc = {"version": STATE_VERSION, "firing": firing, "recent": recent}
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.state_path, json.dumps(doc, indent=2) + "\n")
        except OSError as exc:  # alerting goes on; only the restart memory is lost
            log.warning("alert state %s not written: %s", self.state_path, exc)

    def _rate(self, slo: SLO, window_start: datetime, now: datetime) -> tuple[float | None, int]:
        result = self.aggregates.result(slo.id, window_start, now, now=now)
        bad, total = bad_and_total(slo, result)
        return (None, 0) if total == 0 else (bad / total, total)

    def evaluate(self, now: datetime | None = None) -> list[AlertEvent]:
        now = now or self.clock()
        transitions: list[AlertEvent] = []
        for state in self._states.values():
            slo = self._slos[state.slo_id]
            allowed = allowed_bad_fraction(slo) or 0.0
            windows: list[BurnWindow] = [
                w for w in self.policy.windows if w.severity == state.severity
            ]
            fired: list[str] = []
            best: tuple[float, float | None, float, int] | None = None
            for w in windows:
                long_rate, long_events = self._rate(slo, now - w.long, now)
                short_rate, _ = self._rate(slo, now - w.short, now)
                if long_rate is None or short_rate is None:
                    continue
                burn_long, burn_short = long_rate / allowed, short_rate / allowed
                if best is None or burn_short > best[0]:
                    best = (burn_short, burn_long, w.factor, long_events)
                threshold = w.factor * allowed
                if (
                    long_events >= self.policy.min_events
                    and long_rate > threshold
                    and short_rate > threshold
                ):
                    fired.append(w.name)
            state.windows = fired
            if best is not None:
                state.burn_short, state.burn_long, state.factor, state.events_long = best
            else:
                state.burn_short = state.burn_long = state.factor = None
                state.events_long = 0
            if fired and not state.firing:
                state.firing, state.since = True, now
                transitions.append(self._event("firing", state, now))
            elif not fired and state.firing:
                transitions.append(self._event("resolved", state, now))
                state.firing, state.since = False, None
        self.history.extend(transitions)
        self.last_evaluated = now
        if transitions:
            self.save()
        return transitions

    def _event(self, status: str, state: AlertState, now: datetime) -> AlertEvent:
        return AlertEvent(
            status=status,
            slo_id=state.slo_id,
            slo_name=state.slo_name,
            pillar=state.pillar,
            severity=state.severity,
            windows=tuple(state.windows),
            factor=state.factor,
            burn_long=state.burn_long,
            burn_short=state.burn_short,
            started_at=state.since or now,
            at=now,
        )

    def active(self) -> list[AlertState]:
        return sorted(
            (s for s in self._states.values() if s.firing),
            key=lambda s: (s.severity != "page", s.slo_id),
        )

    def recent(self, pillar: str | None = None) -> list[AlertEvent]:
        events = [e for e in self.history if pillar is None or e.pillar == pillar]
        return list(reversed(events))

    def state_rows(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self._states.values()]

    async def deliver(self, events: Sequence[AlertEvent]) -> None:
        if not events or not self.webhooks:
            return
        async with httpx.AsyncClient(transport=self._transport) as client:
            for event in events:
                for hook in self.webhooks:
                    outcome = await post_with_retries(client, hook, event, self.public_url)
                    event.deliveries.append(outcome)

    async def run_once(self) -> list[AlertEvent]:
        events = await asyncio.to_thread(self.evaluate, self.clock())
        await self.deliver(events)
        if events and self.webhooks:
            await asyncio.to_thread(self.save)  # with the deliveries' outcomes
        return events


async def post_with_retries(
    client: httpx.AsyncClient, hook: WebhookModel, event: AlertEvent, dashboard_url: str | None
) -> dict[str, Any]:
    """POST once, then retry on network errors, 429 and 5xx with doubling delays
    (honouring a short Retry-After). Returns what happened, for the overview."""
    body = event.as_slack(dashboard_url) if hook.format == "slack" else event.as_json(dashboard_url)
    delay = hook.backoff_seconds
    attempts = 0
    last = "not sent"
    for attempt in range(hook.retries + 1):
        attempts = attempt + 1
        try:
            response = await client.post(hook.url, json=body, timeout=hook.timeout_seconds)
        except httpx.HTTPError as exc:
            last = f"network error: {type(exc).__name__}"
        else:
            if response.status_code < 400:
                return {
                    "url": hook.url,
                    "ok": True,
                    "attempts": attempts,
                    "status": response.status_code,
                }
            last = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                break
            retry_after = response.headers.get("retry-after", "")
            if retry_after.isdigit():
                delay = max(delay, min(float(retry_after), 60.0))
        if attempt < hook.retries:
            await asyncio.sleep(delay)
            delay *= 2
    # The URL may carry a secret (Slack): log its host only.
    log.warning("webhook to %s failed after %d attempts: %s", _host(hook.url), attempts, last)
    return {"url": hook.url, "ok": False, "attempts": attempts, "error": last}

"""`dashboard:` section of slogate.yaml (owned by the live dashboard).

Tokens are usually written as `${SLOGATE_DASHBOARD_TOKEN}` so that secrets stay
out of the file; the loader substitutes them at load time. The burn-rate policy
and the budget period are not repeated here: live alerts use the `alerting:` and
`budget:` sections, exactly as `slogate alerts backtest` does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from slogate.config.base import StrictModel


class WebhookModel(StrictModel):
    """Where burn-rate alerts are posted when they fire and when they resolve."""

    url: str = Field(
        description="http(s) URL that receives a POST per firing and resolution (a Slack "
        "webhook URL is a secret: write it as ${ENV})."
    )
    format: Literal["json", "slack"] = Field(
        "json", description="json: slogate's generic body; slack: an incoming-webhook body."
    )
    timeout_seconds: float = Field(5.0, gt=0, description="Per attempt.")
    retries: int = Field(
        3, ge=0, le=10, description="Extra attempts on network errors, 429 and 5xx answers."
    )
    backoff_seconds: float = Field(
        1.0, ge=0, description="First retry delay; doubles on each further attempt."
    )

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("a webhook URL starts with http:// or https://")
        return value


class DashboardSettings(StrictModel):
    token: SecretStr | None = Field(
        None, description="Bearer token for every dashboard page and JSON endpoint; none = open."
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token for the kill-switch button; none = the ingest admin_token "
        "(none there either = button disabled).",
    )
    refresh_seconds: float = Field(
        10.0, ge=1, description="How often pages refresh their live parts (no full reload)."
    )
    series_hours: int = Field(
        24, ge=1, le=24 * 31, description="Span of the 5-minute charts on pillar pages."
    )
    alert_eval_seconds: float = Field(
        30.0,
        ge=1,
        description="How often the server evaluates the `alerting:` burn-rate policy live.",
    )
    metrics_refresh_seconds: float = Field(
        30.0,
        ge=1,
        description="How often the live SLO gauges on /metrics (SLI, budget remaining, "
        "burn rate) are recomputed from the server's aggregates.",
    )
    daily_snapshots: bool = Field(
        True,
        description="Write each finished UTC day's snapshot to EVIDENCE/snapshots/ (the "
        "runbook's daily task), so a validation window accrues by itself.",
    )
    daily_snapshot_lookback_days: int = Field(
        7, ge=1, le=90, description="How far back missing daily snapshots are filled in."
    )
    webhooks: list[WebhookModel] = Field(default_factory=list)
    public_url: str | None = Field(
        None, description="Dashboard URL included in webhook bodies so alerts link back."
    )


class DashboardSection(StrictModel):
    """Mixin contributing the top-level `dashboard` key."""

    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)

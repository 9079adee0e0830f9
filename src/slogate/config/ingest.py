"""`ingest:` section of slogate.yaml (owned by the ingest service).

Every guard of `slogate serve` is a key here, with the seed team's defaults
(DOMAIN.md section 6): 64 KB bodies, 50 events per batch, 30 requests per minute
per user+IP. Secrets are meant to come from the environment through `${ENV}`
substitution, never written in the file.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from slogate.config.base import ConfigIssue, StrictModel

Policy = Literal["reject", "flag"]


class IngestSettings(StrictModel):
    client_relay: bool = Field(
        True,
        description="Whether client events reach the store through the ingest relay. "
        "When false, SLOs fed only by client events are instrumented_not_computable.",
    )
    # --- sizes -------------------------------------------------------------------
    max_body_bytes: int = Field(
        64 * 1024, ge=256, description="Body cap, counted on the bytes actually read (413)."
    )
    max_batch_events: int = Field(50, ge=1, le=10_000, description="Events per request (400).")
    max_depth: int = Field(
        4, ge=1, le=64, description="Nesting depth of one event (the event object is depth 1)."
    )
    max_fields: int = Field(
        64, ge=1, description="Keys and array items in one event, nested ones included."
    )
    max_string_length: int = Field(4096, ge=16, description="Characters in one string value.")
    max_key_length: int = Field(128, ge=8, description="Characters in one key.")
    session_id_max_length: int = Field(128, ge=1, description="Longer session ids are cut.")
    otlp_max_body_bytes: int = Field(1024 * 1024, ge=256, description="Body cap of /v1/logs.")
    otlp_max_records: int = Field(512, ge=1, description="Log records per /v1/logs request.")
    # --- rate limits (moving windows, `limits` library) ------------------------------
    requests_per_minute: int = Field(30, ge=1, description="Requests per user+IP (429).")
    events_per_minute: int = Field(
        1500, ge=1, description="Events per user+IP per minute, charged by batch size (429)."
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db shared by every instance for rate limits and the "
        "kill switch; in-process memory when unset.",
    )
    redis_prefix: str = Field("slogate", description="Prefix of every Redis key slogate uses.")
    # --- who may send -----------------------------------------------------------------
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to send (scheme://host[:port]); '*' allows any. "
        "Same-origin pages and requests without an Origin header are always allowed.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="IPs or CIDRs whose X-Forwarded-For is believed; others are ignored.",
    )
    token_secret: SecretStr | None = Field(
        None,
        description="HMAC secret of ingest JWTs (use ${ENV}); without it tokens are not verified "
        "and ingest is anonymous.",
    )
    token_algorithms: list[str] = Field(default_factory=lambda: ["HS256"])
    token_audience: str | None = None
    token_issuer: str | None = None
    token_user_claim: str = "sub"
    token_room_claim: str = "room"
    token_leeway_seconds: int = Field(30, ge=0)
    require_token: bool = Field(False, description="Refuse anonymous ingest (401).")
    # --- kill switch and admin -------------------------------------------------------------
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token of POST /api/admin/kill-switch; the endpoint is off without.",
    )
    kill_switch_env: str = Field(
        "SLOGATE_INGEST_KILL_SWITCH",
        description="Environment variable read at request time; 1/true/yes/on answers 503.",
    )
    kill_switch_poll_seconds: float = Field(
        0.25, gt=0, le=1.0, description="How stale the shared (Redis) kill switch may be."
    )
    retry_after_seconds: int = Field(5, ge=1, description="Retry-After of 503 answers.")
    # --- schema -------------------------------------------------------------------------------
    unknown_events: Policy = Field(
        "reject", description="Events not in the catalog (or server-only): reject or flag."
    )
    wrong_types: Policy = Field(
        "reject", description="Fields whose type differs from the catalog: reject or flag."
    )
    schema_version: int = Field(1, ge=1, description="`v` stamped on relayed events.")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or CIDR: {item!r}") from exc
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for item in value:
            if item != "*" and ("://" not in item or item.endswith("/")):
                raise ValueError(f"an origin is scheme://host[:port] without a path: {item!r}")
        return value


class IngestSection(StrictModel):
    """Mixin contributing the top-level `ingest` key."""

    ingest: IngestSettings = Field(default_factory=IngestSettings)

    def reference_issues_ingest(self) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        settings = self.ingest
        if settings.require_token and settings.token_secret is None:
            issues.append(
                ConfigIssue(
                    ("ingest", "require_token"),
                    "require_token needs token_secret (set it from the environment: "
                    "token_secret: ${SLOGATE_INGEST_TOKEN_SECRET})",
                )
            )
        if settings.token_secret is not None and len(settings.token_secret.get_secret_value()) < 16:
            issues.append(
                ConfigIssue(
                    ("ingest", "token_secret"), "token_secret is shorter than 16 characters"
                )
            )
        if settings.admin_token is not None and len(settings.admin_token.get_secret_value()) < 16:
            issues.append(
                ConfigIssue(("ingest", "admin_token"), "admin_token is shorter than 16 characters")
            )
        if settings.events_per_minute < settings.max_batch_events:
            issues.append(
                ConfigIssue(
                    ("ingest", "events_per_minute"),
                    "events_per_minute is below max_batch_events: a full batch could never pass",
                )
            )
        return issues

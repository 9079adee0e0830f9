"""Measurability is computed from the catalog and the relay setting."""

from __future__ import annotations

from slogate.config import load_config
from slogate.core.catalog import Catalog, EventSpec, Origin
from slogate.core.slo import (
    SLO,
    Measurability,
    Op,
    RatioSLI,
    Selector,
    Target,
    Unit,
    classification_counts,
    classify,
)


def test_example_gives_seed_counts(example_config_path) -> None:
    cfg = load_config(example_config_path).config
    statuses = [classify(s, cfg.catalog(), client_relay=True).status for s in cfg.core_slos()]
    assert classification_counts(statuses) == {
        "measurable_now": 12,
        "instrumented_not_computable": 0,
        "instrumented_needs_soak": 2,
        "blocked": 1,
    }
    by_id = dict(zip([s.id for s in cfg.core_slos()], statuses, strict=True))
    assert by_id["auth_token_refresh_success"] is Measurability.BLOCKED
    assert by_id["hydra_memory_growth"] is Measurability.INSTRUMENTED_NEEDS_SOAK
    assert by_id["queue_duplicate_lost_commands"] is Measurability.INSTRUMENTED_NEEDS_SOAK


def test_relay_disabled_makes_client_only_slos_not_computable(example_config_path) -> None:
    cfg = load_config(example_config_path).config
    catalog = cfg.catalog()
    slos = cfg.core_slos()
    on = {s.id: classify(s, catalog, client_relay=True).status for s in slos}
    off = {s.id: classify(s, catalog, client_relay=False).status for s in slos}
    # The seed's six that the relay made measurable (DOMAIN.md section 4) ...
    seed_six = {
        "hydra_preset_load_success",
        "hydra_first_frame_p95",
        "queue_reconnect_p95",
        "streaming_video_init_success",
        "streaming_video_init_firefox",
        "streaming_first_frame_p95",
    }
    assert all(off[i] is Measurability.INSTRUMENTED_NOT_COMPUTABLE for i in seed_six)
    # ... while SLOs with a server event in every role stay measurable.
    for sid in (
        "queue_command_apply_success",
        "auth_login_success",
        "streaming_proxy_413_rate",
        "auth_permission_incidents",
        "socket_connection_lifecycle",
    ):
        assert off[sid] is on[sid] is Measurability.MEASURABLE_NOW
    assert off["auth_token_refresh_success"] is Measurability.BLOCKED


def _slo(events_good: tuple[str, ...], events_bad: tuple[str, ...], soak: bool = False) -> SLO:
    return SLO(
        id="s",
        pillar="p",
        name="n",
        sli=RatioSLI(good=Selector(events_good), bad=Selector(events_bad)),
        target=Target(Op.GE, 0.9, Unit.RATIO),
        soak=soak,
    )


def test_blocked_wins_over_soak() -> None:
    catalog = Catalog({"a": EventSpec("a", "f", Origin.SERVER)})
    result = classify(_slo(("a",), ("missing",), soak=True), catalog, client_relay=True)
    assert result.status is Measurability.BLOCKED
    assert "missing" in result.reason


def test_role_with_a_server_event_stays_computable() -> None:
    catalog = Catalog(
        {
            "c": EventSpec("c", "f", Origin.CLIENT),
            "s": EventSpec("s", "f", Origin.SERVER),
            "b": EventSpec("b", "f", Origin.BOTH),
        }
    )
    assert classify(_slo(("c", "s"), ("b",)), catalog, client_relay=False).status is (
        Measurability.MEASURABLE_NOW
    )
    assert classify(_slo(("c",), ("s",)), catalog, client_relay=False).status is (
        Measurability.INSTRUMENTED_NOT_COMPUTABLE
    )
    assert classify(_slo(("c",), ("s",), soak=True), catalog, client_relay=True).status is (
        Measurability.INSTRUMENTED_NEEDS_SOAK
    )

"""The `dashboard:` section: defaults, validation, and the app reading it once the
lead adds `DashboardSection` to `SlogateConfig`'s bases."""

from __future__ import annotations

import httpx
import pytest
import yaml
from pydantic import ValidationError

from slogate.config.dashboard import DashboardSection, DashboardSettings
from slogate.config.load import LoadedConfig
from slogate.config.models import SlogateConfig
from slogate.web import create_dashboard_app
from tests.integration.web.helpers import EXAMPLE_CONFIG, NOW, live_server


class _WithDashboard(SlogateConfig, DashboardSection):
    """What `SlogateConfig` becomes with the mixin in its bases."""


def test_web_config_defaults_and_validation() -> None:
    d = DashboardSettings()
    assert d.token is None and d.refresh_seconds == 10 and d.webhooks == []
    ok = DashboardSection.model_validate(
        {
            "dashboard": {
                "token": "t0k",
                "webhooks": [{"url": "https://hooks.example/x", "format": "slack"}],
            }
        }  # fmt: skip
    )
    assert ok.dashboard.token is not None and ok.dashboard.token.get_secret_value() == "t0k"
    assert "t0k" not in repr(ok)  # tokens are secrets
    for bad in (
        {"refresh_seconds": 0},
        {"webhooks": [{"url": "ftp://x"}]},
        {"webhooks": [{"url": "https://x", "format": "teams"}]},
        {"colour": "red"},
    ):
        with pytest.raises(ValidationError):
            DashboardSection.model_validate({"dashboard": bad})


def test_web_config_section_drives_the_app(tmp_path) -> None:
    doc = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    doc["dashboard"] = {"token": "from-config-token", "refresh_seconds": 3}
    config = _WithDashboard.model_validate(doc)
    loaded = LoadedConfig(config=config, path="x.yaml", sha256="0" * 64)
    app = create_dashboard_app(
        config=loaded, evidence_dir=tmp_path, clock=lambda: NOW, run_alerts=False
    )
    with live_server(app) as url, httpx.Client(base_url=url) as c:
        assert c.get("/api/dashboard/overview").status_code == 401
        r = c.get("/", headers={"Authorization": "Bearer from-config-token"})
        assert r.status_code == 200
        assert 'data-refresh-ms="3000"' in r.text

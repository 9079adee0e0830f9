"""Exporters: Prometheus rules and Grafana dashboards from the SLO configuration."""

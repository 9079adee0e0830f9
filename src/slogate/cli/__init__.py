"""The one command-line entry point; see `app.py`."""

from slogate.cli.app import app, main

__all__ = ["app", "main"]

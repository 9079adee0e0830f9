"""The ingest service: an ASGI app that takes client and OTLP events, guards
itself against abuse, and acknowledges only what the store has fsynced."""

from slogate.ingest.app import create_app

__all__ = ["create_app"]

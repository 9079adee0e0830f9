"""Use cases wiring config + sources + engine + core, one module per use case.

The CLI and the web app both call these; neither holds domain logic.
"""

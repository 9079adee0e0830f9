"""Pure domain: stdlib only, no IO, no engine, pydantic or template imports.

`tests/test_architecture.py` enforces the rule.
"""

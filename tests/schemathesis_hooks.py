"""Schemathesis hooks for the API fuzz run (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``):
the SPARQL Protocol's direct POST bodies are plain UTF-8 text."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("application/sparql-query", "application/sparql-update")
def sparql_text(_: Any, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")

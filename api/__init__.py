"""The FastAPI application: /sparql, /search, resource pages, settings, errors."""

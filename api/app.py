"""The FastAPI application factory. Nothing is loaded at import time."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from api.errors import install_error_handlers
from api.hygiene import OPENAPI_431, RequestChecks, SecurityHeaders, openapi_400
from api.limits import BodyLimit
from api.resources import E413, E422, build_resource_router
from api.search import SearchParams, SearchService
from api.settings import Settings
from api.state import ServingState
from embeddings.encoder import Encoder
from kg.engine import QueryEngine

log = logging.getLogger("healthkg.api")


def default_engine_factory(settings: Settings) -> Callable[[Path], QueryEngine]:
    """The query engine for the configured store backend."""
    if settings.store == "sparql":
        from kg.remote_engine import RemoteEngine

        return lambda _path: RemoteEngine.from_settings(settings)
    from api.sparql import oxigraph_engine

    return lambda path: oxigraph_engine(settings, path)


def create_app(settings: Settings | None = None, *, encoder: Encoder | None = None,
               engine_factory: Callable[[Path], QueryEngine] | None = None, warm: bool = False) -> FastAPI:
    """Build the app around one Settings object; the generation loads at start-up."""
    settings = settings or Settings()
    encoder = encoder or settings.encoder()
    state = ServingState(settings, encoder, engine_factory or default_engine_factory(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.startup()
        if warm:
            threading.Thread(target=encoder.encode_query, args=("warm up",), daemon=True).start()
        yield
        state.close()

    app = FastAPI(title="healthkg", version="0.1.0", lifespan=lifespan,
                  description="Knowledge graph and semantic search over health articles, with provenance.")
    app.state.hk = state
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestChecks, max_header_bytes=settings.max_header_bytes)
    _mount_sparql(app, settings, state)
    _routes(app, state)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, the other middlewares' too
    return app


def _mount_sparql(app: FastAPI, settings: Settings, state: ServingState) -> None:
    from api.sparql import add_cors, build_sparql_router

    app.include_router(build_sparql_router(settings, state.query_engine, state.store_modified))
    add_cors(app, settings)


SEARCH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: openapi_400(("empty_q", "bad_request", "q must not be empty", {"field": "q"}),
                     ("long_q", "bad_request", "q is longer than 1000 characters", {"field": "q", "length": 1200})),
    422: {**E422, "description": "A field out of range or of the wrong type (k: 1..100, offset: 0..10000, mode)"},
    431: OPENAPI_431,
    503: {"description": "No generation is loaded yet (run `make index`)"}}


def _routes(app: FastAPI, state: ServingState) -> None:
    search = SearchService(state)

    @app.get("/health", tags=["service"], summary="Loaded generation, counts, model")
    def health() -> dict[str, Any]:
        state.refresh()
        gen = state.generation
        refused = state.problems()  # the generation `current` points at failed verification or loading
        body: dict[str, Any] = {"status": "degraded" if refused else "ok" if gen else "empty",
                                "model": state.encoder.model_id, "store": state.settings.store, "errors": refused}
        if gen:
            body.update(generation=gen.name, counts=gen.manifest.get("counts", {}),
                        index={"kind": gen.index.meta.kind, "count": gen.index.meta.count,
                               "dimension": gen.index.meta.dimension, **gen.index.meta.params},
                        graph_reads="live" if gen.view is None else "view",
                        errors=refused + gen.manifest.get("errors", []))
        return body

    # The body is plain JSON types already: rendered straight, without FastAPI's re-encoding walk
    # over every nested dict (about a third of an in-process request's time, measured in bench/).
    @app.get("/search", tags=["search"], summary="Semantic search with graph-backed hits", response_class=JSONResponse,
             responses=SEARCH_ERRORS)
    def search_get(params: Annotated[SearchParams, Query()]) -> JSONResponse:
        return JSONResponse(search.search(params))

    @app.post("/search", tags=["search"], summary="Semantic search (JSON body)", response_class=JSONResponse,
              responses={**SEARCH_ERRORS, 413: E413})
    def search_post(params: SearchParams) -> JSONResponse:
        return JSONResponse(search.search(params))

    app.include_router(build_resource_router(state))


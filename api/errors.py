"""One place turns exceptions into HTTP errors, with one JSON shape: {code, message, detail}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.errors import HealthKGError

log = logging.getLogger("healthkg.api")


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """The one error shape every endpoint answers with."""
    return {"code": code, "message": message, "detail": detail}


def error_response(status: int, code: str, message: str, detail: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, detail), status_code=status, headers=headers)


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 413: "too_large",
                 415: "unsupported_media_type", 422: "validation_error", 503: "service_unavailable"}


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors, HTTP errors and crashes to the one shape."""

    @app.exception_handler(HealthKGError)
    async def _domain(_: Request, exc: HealthKGError) -> JSONResponse:
        if exc.status >= 500 and exc.status != 503:
            log.exception("internal error", exc_info=exc)
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return error_response(exc.status, exc.code, exc.message, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p not in ("query", "body"))
        return error_response(422, "validation_error", f"{where}: {first['msg']}".strip(": "), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), None,
                              dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "internal server error", None)

"""HTTP hygiene, before any route runs: security headers, a bound on request headers, and
query strings that say one thing (each scalar parameter once, UTF-8 only).

The SPARQL protocol routes (``/sparql``, ``/rdf-graph-store``) parse their own parameters
(some repeat by the standard: ``default-graph-uri``) and already refuse non-UTF-8, so the
query-string check leaves them alone; every other route takes scalar parameters only.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from api.errors import error_body

Scope = dict[str, Any]
Message = dict[str, Any]

# Pages are the app's own (YASGUI, Swagger UI, resource pages): nothing may frame them, and
# they load no plugins. Scripts are not restricted here: /docs loads Swagger UI from its CDN.
CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
HTML_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"same-origin")]
OWN_QUERY_STRINGS = ("/sparql", "/rdf-graph-store")  # these parse (and check) their own parameters


class SecurityHeaders:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` on every response; a CSP with
    ``frame-ancestors``, ``X-Frame-Options`` and ``Referrer-Policy`` on HTML ones."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff")]
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.lower().startswith(b"text/html"):
                    extra += HTML_HEADERS
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def query_string_problem(raw: bytes) -> tuple[str, dict[str, Any]] | None:
    """Why a query string is refused (a message and its detail), or None: a parameter given
    more than once, or a name or value that is not UTF-8 once percent-decoded."""
    seen: dict[str, int] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        name_raw, _, value_raw = part.partition(b"=")
        try:
            name = unquote_to_bytes(name_raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return "a query parameter name is not UTF-8", {"parameter": name_raw.decode("latin-1")}
        try:
            unquote_to_bytes(value_raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError as exc:
            return (f"query parameter {name!r} is not UTF-8: byte 0x{exc.object[exc.start]:02x} at {exc.start}",
                    {"parameter": name})
        seen[name] = seen.get(name, 0) + 1
    repeated = [n for n, count in seen.items() if count > 1]
    if repeated:
        name = repeated[0]
        return (f"query parameter {name!r} is given {seen[name]} times; it takes one value",
                {"parameter": name, "count": seen[name]})
    return None


class RequestChecks:
    """ASGI middleware: request headers over ``max_header_bytes`` (names and values) are a 431;
    outside the SPARQL routes, a refused query string (:func:`query_string_problem`) is a 400."""

    def __init__(self, app: Any, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(k) + len(v) for k, v in scope["headers"])
        if size > self.max_header_bytes:
            await _answer(send, 431, error_body("headers_too_large", f"request headers larger than "
                                                f"{self.max_header_bytes} bytes",
                                                {"max_bytes": self.max_header_bytes, "bytes": size}))
            return
        path = scope.get("path", "")
        if not any(path == p or path.startswith(p + "/") for p in OWN_QUERY_STRINGS):
            problem = query_string_problem(scope.get("query_string", b""))
            if problem is not None:
                await _answer(send, 400, error_body("bad_request", *problem))
                return
        await self.app(scope, receive, send)


async def _answer(send: Any, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def openapi_400(*examples: tuple[str, str, str, Any]) -> dict[str, Any]:
    """The OpenAPI entry of a route's 400: the query-string refusals every route shares, plus
    the route's own ``(name, code, message, detail)`` examples."""
    cases = [*examples,
             ("repeated_parameter", "bad_request", "query parameter 'k' is given 2 times; it takes one value",
              {"parameter": "k", "count": 2}),
             ("not_utf8", "bad_request", "query parameter 'q' is not UTF-8: byte 0xff at 0", {"parameter": "q"})]
    return {"description": "Bad request: " + "; ".join(m for _, _, m, _ in cases),
            "content": {"application/json": {"examples": {
                name: {"summary": message, "value": error_body(code, message, detail)}
                for name, code, message, detail in cases}}}}


OPENAPI_431 = {"description": "Request headers larger than HEALTHKG_MAX_HEADER_BYTES",
               "content": {"application/json": {"example": error_body(
                   "headers_too_large", "request headers larger than 16384 bytes",
                   {"max_bytes": 16384, "bytes": 20000})}}}

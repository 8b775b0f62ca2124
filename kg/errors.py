"""Domain errors. Each carries the HTTP status it maps to; ``api.errors`` renders them."""

from __future__ import annotations

from typing import Any


class HealthKGError(Exception):
    """Base of every error the product raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(HealthKGError):
    status = 400
    code = "bad_request"


class QuerySyntaxError(BadRequest):
    """A SPARQL query or update the parser rejects; the message is the parser's."""

    code = "query_syntax_error"


class Forbidden(HealthKGError):
    status = 403
    code = "forbidden"


class Unauthorized(HealthKGError):
    status = 401
    code = "unauthorized"


class NotFound(HealthKGError):
    status = 404
    code = "not_found"


class MethodNotAllowed(HealthKGError):
    status = 405
    code = "method_not_allowed"


class NotAcceptable(HealthKGError):
    status = 406
    code = "not_acceptable"


class UnsupportedMediaType(HealthKGError):
    status = 415
    code = "unsupported_media_type"


class Unprocessable(HealthKGError):
    status = 422
    code = "validation_error"


class ServiceUnavailable(HealthKGError):
    status = 503
    code = "service_unavailable"


class QueryTimeout(ServiceUnavailable):
    code = "query_timeout"


class StoreUnavailable(ServiceUnavailable):
    """The graph store (embedded or remote) cannot be reached right now."""

    code = "store_unavailable"


class ArticleError(HealthKGError):
    """An article that cannot be read or parsed; names the file and the reason."""

    code = "article_error"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}", {"file": path, "reason": reason})
        self.path = path
        self.reason = reason


class IndexMismatch(HealthKGError):
    """A saved index whose metadata does not match what is asked of it."""

    code = "index_mismatch"

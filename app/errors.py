"""Domain errors and the one handler that renders them as problem+json (RFC 9457)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

# FastAPI is imported where a response is built: the services raise these errors in commands
# that serve no API, which should not pay for importing it.
if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://pantau.id/problems/"
PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """Base of every error a service may raise; `type` is stable for clients to branch on."""

    status: int = 500
    type: str = "internal"
    title: str = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(AppError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    type = "conflict"
    title = "Conflict"


class InvalidInput(AppError):
    status = 422
    type = "invalid-input"
    title = "Invalid input"


class InvalidQuery(InvalidInput):
    type = "invalid-query"
    title = "Invalid query"


class Unauthorized(AppError):
    status = 401
    type = "unauthorized"
    title = "Missing or invalid API key"


class Forbidden(AppError):
    status = 403
    type = "forbidden"
    title = "Not allowed for this key's role"


class RateLimited(AppError):
    status = 429
    type = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, headers: dict[str, str]) -> None:
        super().__init__(detail)
        self.headers = headers


class NotAcceptable(AppError):
    status = 406
    type = "not-acceptable"
    title = "Not acceptable"


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str,
    instance: str | None = None,
    *,
    extra_headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    from fastapi.responses import JSONResponse

    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    headers.update(extra_headers or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = exc.headers if isinstance(exc, RateLimited) else None
        return problem(
            exc.status,
            exc.type,
            exc.title,
            exc.detail,
            request.url.path,
            extra_headers=headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem(
            422,
            "invalid-input",
            "Invalid input",
            "request parameters failed validation",
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        return problem(
            exc.status_code,
            type_,
            str(exc.detail),
            str(exc.detail),
            request.url.path,
            extra_headers=_allow_all(request, exc),
        )


def _allow_all(request: Request, exc: StarletteHTTPException) -> dict[str, str]:
    """The exception's headers; for 405, an `Allow` listing every method the path has.

    Starlette fills `Allow` from the first route whose path matched, but one path can be
    served by routes in several routers (GET in one, DELETE in another); the OpenAPI
    document knows them all. A literal path beats a template (`/sources/unhealthy` is not
    `/sources/{source_id}`).
    """
    headers = dict(exc.headers or {})
    if exc.status_code != 405:
        return headers
    patterns = getattr(request.app.state, "allow_patterns", None)
    if patterns is None:
        patterns = []
        for template, operations in request.app.openapi().get("paths", {}).items():
            regex = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))
            methods = {m.upper() for m in operations if m.upper() in _METHODS}
            patterns.append((template.count("{"), regex, methods))
        patterns.sort(key=lambda p: p[0])
        request.app.state.allow_patterns = patterns
    path = request.url.path
    for specificity, regex, methods in patterns:
        if regex.fullmatch(path):
            allowed = set(methods)
            allowed |= {
                m for s, r, ms in patterns if s == specificity and r.fullmatch(path) for m in ms
            }
            headers["Allow"] = ", ".join(sorted(allowed))
            break
    return headers


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})

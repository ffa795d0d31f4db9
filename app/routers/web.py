"""The crisis room: HTML pages at `/`, signed in with an API key turned into a session cookie.

The pages are server-rendered frames; their scripts (app/web/static) read the same JSON API
with the cookie (routers/deps.py accepts it, and asks state-changing requests for the
session's CSRF token in a header, which a cross-site form cannot send).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.config import Settings
from app.errors import Unauthorized
from app.routers.deps import SESSION_COOKIE, KeyInfo, session_key
from app.routers.params import PathId
from app.services import web_sessions
from app.web import LANGUAGES, STATIC, render

LANG_COOKIE = "pantau_lang"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)
PUBLIC = {"/login", "/logout", "/lang"}  # every other page needs a session


class Assets(StaticFiles):
    """The page's scripts and styles, revalidated by ETag on every load (no stale script
    after an upgrade)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


assets = Assets(directory=STATIC)
ASSETS_URL = "/ui/static"


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else "id"


def _page(request: Request, template: str, *, status: int = 200, **context: object) -> Response:
    body = render(
        template,
        lang=language(request),
        assets=ASSETS_URL,
        request_path=request.url.path,
        **context,
    )
    return HTMLResponse(
        body,
        status_code=status,
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Vary": "Cookie"},
    )


async def _viewer(request: Request) -> KeyInfo | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return await session_key(request, token)
    except Unauthorized:
        return None


def _local(target: str | None) -> str:
    """Only a path on this site may be a redirect target (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _same_origin(request: Request) -> bool:
    """Refuse a form posted from another site (login CSRF): browsers say where it came from in
    Sec-Fetch-Site, and in Origin (which is "null" under our no-referrer policy)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


PAGES = {
    "/": ("board", "board"),
    "/watchlists": ("watchlists", "watchlists"),
    "/entities": ("entities", "entities"),
    "/sources": ("sources", "sources"),
    "/alerts": ("alerts", "alerts"),
    "/keys": ("keys", "api_keys"),
    "/charts": ("charts", "charts"),
    "/responses": ("responses", "responses"),
    "/reports": ("reports", "report"),
}


def _register(path: str, page: str, title_key: str) -> None:
    async def view(request: Request) -> Response:
        key = await _viewer(request)
        if key is None:
            return RedirectResponse(f"/login?next={path}", status_code=303)
        return _page(request, "page.html", page=page, title_key=title_key, key=key)

    view.__name__ = f"page_{page}"
    router.add_api_route(path, view, methods=["GET"], response_class=HTMLResponse)


for _path, (_page_name, _title) in PAGES.items():
    _register(_path, _page_name, _title)


@router.get("/issues/{issue_id}", response_class=HTMLResponse)
async def issue_page(request: Request, issue_id: PathId) -> Response:
    key = await _viewer(request)
    if key is None:
        return RedirectResponse(f"/login?next=/issues/{issue_id}", status_code=303)
    return _page(request, "page.html", page="issue", title_key="issue", key=key, item=issue_id)


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    return _page(request, "login.html", next=_local(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    target = _local((form.get("next") or ["/"])[0])
    secret = (form.get("key") or [""])[0]
    if not _same_origin(request):
        return _page(request, "login.html", status=403, next=target, error="bad_key")
    settings: Settings = request.app.state.settings
    database = request.app.state.database
    try:
        async with database.writer.begin() as session:
            _key, token, _csrf = await web_sessions.sign_in(
                session, secret=secret, lifetime=timedelta(hours=settings.web_session_hours)
            )
    except Unauthorized:
        return _page(request, "login.html", status=401, next=target, error="bad_key")
    response = RedirectResponse(target, status_code=303)
    secure = settings.web_cookie_secure
    if secure is None:
        secure = settings.environment == "production" or request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.web_session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    key = await _viewer(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = request.cookies.get(SESSION_COOKIE, "")
    if key is not None and key.csrf and (form.get("csrf") or [""])[0] == key.csrf:
        async with request.app.state.database.writer.begin() as session:
            await web_sessions.sign_out(session, token=token)
        request.app.state.key_cache.forget(key.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang")
async def switch_language(
    to: Annotated[str, Query(pattern="^(id|en)$")],
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(LANG_COOKIE, to, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


__all__ = ["ASSETS_URL", "CSP", "assets", "router"]

"""Conditional GETs of list endpoints answered before routing: 304s, and 200s from a body cache
keyed by ETag.

The `collection_version` dependency already answers 304 without a query, but only after
FastAPI has routed the request and resolved its dependencies, which costs more than the
answer itself; and a poller that does not send `If-None-Match` (many dashboards) re-runs the
query although the collection has not changed. An ETag names one representation of one URL, so
a 200 body stored under (URL, ETag) is exactly what the handler would produce again while the
fingerprint stays the same: it is as correct as the 304 that the same ETag would earn.

The gate makes the routed path's checks in its order (the key from the key cache, its role,
Accept, the fingerprint, then the rate limit) and steps aside whenever one of them needs the
full path: an uncached key, a refusal, a changed collection, or a body not yet cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.types import Scope

from app.models import Role
from app.routers.conventions import validate
from app.routers.deps import acceptable, cached_key
from app.routers.params import declared_query_params, unknown_params

Headers = list[tuple[bytes, bytes]]
MAX_BODY_BYTES = 1 << 20  # bigger pages are served by the handler every time


Answer = tuple[int, Headers, bytes]  # status, headers, body


@dataclass(frozen=True, slots=True)
class _Conditional:
    route: Any  # the route as served (FastAPI's route context); names it in metrics
    entity: str
    salt: Callable[[Request], str] | None
    role: Role | None
    offered: tuple[set[str], ...]
    params: frozenset[str]


class ConditionalGate:
    def __init__(self, app: FastAPI, *, cache_bytes: int) -> None:
        self.app = app
        self.cache_bytes = cache_bytes
        self._routes: dict[str, _Conditional] | None = None
        self._bodies: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        self._size = 0

    def _build(self) -> dict[str, _Conditional]:
        routes: dict[str, _Conditional] = {}
        # As served: included routers' prefixes and dependencies applied (FastAPI keeps
        # included routers nested instead of copying their routes).
        for route in routing.iter_route_contexts(self.app.routes):
            if not isinstance(route.original_route, APIRoute):
                continue
            path = route.path
            if path is None or "{" in path or "GET" not in (route.methods or ()):
                continue  # only fixed paths
            calls = [d.call for d in _walk(route.dependant)]
            conditional = [m for c in calls if (m := getattr(c, "conditional", None))]
            if len(conditional) != 1:
                continue
            roles = [r for c in calls if (r := getattr(c, "required_role", None)) is not None]
            offered = tuple(o for c in calls if (o := getattr(c, "offered", None)) is not None)
            entity, salt = conditional[0]
            role = max(roles, key=lambda r: r.rank) if roles else None
            params = declared_query_params(route.dependant)
            routes[path] = _Conditional(route, entity, salt, role, offered, params)
        return routes

    def handles(self, scope: Scope) -> bool:
        """Whether the request is a GET of a conditional list endpoint."""
        if self._routes is None:
            self._routes = self._build()
        return scope["method"] == "GET" and scope["path"] in self._routes

    async def answer(self, scope: Scope) -> Answer | None:
        """A 304, or a cached 200, when the request may be answered here; else None."""
        if not self.handles(scope):
            return None
        assert self._routes is not None
        target = self._routes[scope["path"]]
        request = Request(scope)
        if unknown_params(request.query_params.keys(), target.params):
            return None  # the full path answers 422 naming them
        headers = request.headers
        key = cached_key(request, headers.get("authorization"))
        if key is None or target.role is None or Role(key.role).rank < target.role.rank:
            return None
        if not all(acceptable(headers.get("accept"), offered) for offered in target.offered):
            return None
        _, validators, not_modified = await validate(request, target.entity, target.salt)
        if not_modified:
            raw = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in validators.items()
            ]
            found: Answer | None = (304, raw, b"")
        else:
            found = self._bodies.get(_cache_key(scope, validators["ETag"]))
            if found is None:
                return None
            self._bodies.move_to_end(_cache_key(scope, validators["ETag"]))
        state = scope.setdefault("state", {})
        state["api_key_id"] = key.id
        await request.app.state.key_usage.touch(request.app.state.database, key.id)
        limiter = request.app.state.rate_limiter
        if limiter.enabled:  # charged only here, so a request passed on is charged once
            verdict = limiter.take(key.id)
            state["rate_limit_headers"] = verdict.headers()
            if not verdict.allowed:
                return None  # the full path refuses it with its problem document
        scope["route"] = target.route  # metrics and the access log name the route
        return found

    def store(self, scope: Scope, status: int, headers: Headers, body: bytes) -> None:
        """Keep a 200 that carries an ETag (a page held back for sync carries none)."""
        if status != 200 or len(body) > MAX_BODY_BYTES or self.cache_bytes <= 0:
            return
        etag = next((v for k, v in headers if k.lower() == b"etag"), None)
        if etag is None:
            return
        key = _cache_key(scope, etag.decode("latin-1"))
        old = self._bodies.pop(key, None)
        if old is not None:
            self._size -= len(old[2])
        self._bodies[key] = (200, headers, body)
        self._size += len(body)
        while self._size > self.cache_bytes and self._bodies:
            _, evicted = self._bodies.popitem(last=False)
            self._size -= len(evicted[2])


def _cache_key(scope: Scope, etag: str) -> tuple[Any, ...]:
    """The URL as the handler sees it (the body holds `next` links) and the ETag."""
    host = next((v for k, v in scope["headers"] if k == b"host"), b"")
    return (
        scope.get("scheme"),
        host,
        scope.get("root_path", ""),
        scope["path"],
        scope.get("query_string", b""),
        etag,
    )


def _walk(dependant: Dependant) -> list[Dependant]:
    out = [dependant]
    for sub in dependant.dependencies:
        out.extend(_walk(sub))
    return out

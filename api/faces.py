"""The API's faces: one record per dialect it speaks, so a path is answered and its errors are rendered
in the client's own format.

A face is a package under ``api/`` (``api/novu``, ``api/qala``, …) exposing one ``FACE`` record; the
app includes the faces listed in ``api/app.py`` in order, and the first face whose patterns match a
path owns it (the native Novu face owns everything else). Adding a dialect is one package plus one
line in that list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from api.errors import ApiError

# (request, status, message, field errors, the domain error if any) -> the dialect's error response
ErrorRenderer = Callable[[Request, int, str, dict[str, str], ApiError | None], JSONResponse]


@dataclass(frozen=True)
class Face:
    """One dialect: the paths it owns, its routers and how it renders an error.

    Attributes:
        name: Short name (``qala``), also the value logs and metrics use.
        owns: Path patterns of shared/event-apis.md §0.1's ownership table; empty for the default face.
        routers: Included into the app in this order.
        render_error: Renders every error of a path this face owns.
        rate_limited: Counted by the per-credential limit of the event APIs (event-apis.md §0.7).
    """

    name: str
    owns: tuple[re.Pattern[str], ...]
    routers: tuple[APIRouter, ...]
    render_error: ErrorRenderer
    rate_limited: bool = True

    def owns_path(self, path: str) -> bool:
        return any(pattern.search(path) for pattern in self.owns)


class FaceTable:
    """Finds the face that owns a path; the face without patterns is the default."""

    def __init__(self, faces: Sequence[Face]) -> None:
        self.faces = tuple(faces)
        defaults = [face for face in self.faces if not face.owns]
        if len(defaults) != 1:
            raise ValueError("exactly one face must own the paths no other face claims")
        self._default = defaults[0]
        self._claiming = [face for face in self.faces if face.owns]

    def for_path(self, path: str) -> Face:
        for face in self._claiming:
            if face.owns_path(path):
                return face
        return self._default


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class FaceRouter(APIRouter):
    """All routers of one face, included into the app as one.

    Starlette tries routes one by one, and FastAPI pays a few dict operations per try: with ~250
    routes every request spent a good share of its CPU finding its route (profiled on the stream
    publish and trigger paths). A face's paths start with a few literal prefixes, so one
    ``str.startswith`` refuses every path the face cannot own before any pattern is tried. The routes
    and /openapi.json stay exactly as when each router was included on its own.
    """

    def __init__(self, face: Face) -> None:
        super().__init__()
        for router in face.routers:
            self.include_router(router)
        self._prefixes: tuple[str, ...] | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self._prefixes is None:
            self._prefixes = literal_prefixes(self.routes)
        if not get_route_path(scope).startswith(self._prefixes):
            return Match.NONE, {}
        return super().matches(scope)


def literal_prefixes(routes: Sequence[BaseRoute]) -> tuple[str, ...]:
    """The text before the first parameter of every route's path (nested routers included)."""
    found: set[str] = set()
    for route in routes:
        nested = getattr(route, "original_router", None)
        if isinstance(nested, APIRouter):
            prefix = getattr(getattr(route, "include_context", None), "prefix", "")
            found.update(prefix + p for p in literal_prefixes(nested.routes))
        else:
            found.add(str(getattr(route, "path", "")).split("{", 1)[0])
    # Shortest first, and longer ones that a shorter one already covers dropped: fewer tests per request.
    kept: list[str] = []
    for prefix in sorted(found, key=len):
        if not prefix.startswith(tuple(kept)):
            kept.append(prefix)
    return tuple(kept)

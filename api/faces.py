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

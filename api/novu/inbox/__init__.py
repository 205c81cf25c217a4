"""Novu's Inbox contract (``@novu/js``, ``<Inbox />``): the session, ``/v1/inbox/*`` routes and the live socket."""

from __future__ import annotations

from fastapi import APIRouter

from api.novu.inbox import demo, notifications, plain_socket, preferences, session

ROUTERS: tuple[APIRouter, ...] = (
    session.router, notifications.router, preferences.router, plain_socket.router, demo.router,
)

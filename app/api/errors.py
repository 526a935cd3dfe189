"""Every error a client sees is JSON ``{"error": {"code", "message", "details"}}`` with the
right status; nothing else ever leaves the server, least of all a traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.engine.document import MAX_DEPTH, json_flaws
from app.services.errors import Refused, ReplayImpossible, TooManyQueued
from storage.errors import NotFound, UnstorableText

log = logging.getLogger("genaisys.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def not_found(kind: str, ident: object) -> ApiError:
    return ApiError(404, "not_found", f"no {kind} with id {ident!r}")


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid", 429: "too_many_requests"}
BODY_MAX_DEPTH = MAX_DEPTH + 8
"""A request body wraps a document in a few levels of its own (``{"document": ...}``); within
this bound the validator, not the edge, names the place inside the document."""


REFUSED_STATUS: dict[type[Refused], int] = {TooManyQueued: 429, ReplayImpossible: 409}
"""The HTTP status of each domain refusal (``app.services.errors``); 422 for the rest."""


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        status = next((s for kind, s in REFUSED_STATUS.items() if isinstance(exc, kind)), 422)
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=status)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(error_body("not_found", str(exc)), status_code=404)

    @app.exception_handler(UnstorableText)
    async def _unstorable(request: Request, exc: UnstorableText) -> JSONResponse:
        return JSONResponse(error_body("unstorable_text", str(exc), {"field": exc.field}), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        first = details[0] if details else {"field": "", "message": "invalid request"}
        where = f"{first['field']}: " if first["field"] else ""
        return JSONResponse(error_body("invalid_request", f"{where}{first['message']}", details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(error_body(code, message), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "the server hit an unexpected error; it is logged"), status_code=500)


class BodySizeLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before any route reads them,
    whether or not they announce their length. The body is read here (it is small by
    definition) and handed on unchanged — unless it is JSON that is not strict, which is
    refused with 422 (see ``strict_json``); a strict one is handed to the route read."""

    def __init__(self, app: ASGIApp, limit: int, streamed: tuple[str, ...] = ()) -> None:
        self.app, self.limit, self.streamed = app, limit, streamed
        """``streamed``: path prefixes whose routes stream the body with limits of their own."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS")
                or scope["path"].startswith(self.streamed)):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _too_large(send, self.limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False
        refusal = None
        if body and _is_json(scope):  # a big body is checked off the event loop (0.4 s for 6 MiB)
            refusal, parsed = (strict_json(body) if len(body) < 256 * 1024
                               else await anyio.to_thread.run_sync(strict_json, body))
            if refusal is not None:
                await send_json(send, 422, refusal)
                return
            if parsed is not _UNREAD:
                scope[PARSED_BODY] = parsed  # read once: the route takes it (``ParsedBodyRoute``)

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _is_json(scope: Scope) -> bool:
    """Whether a route would read the body as JSON: no content type, ``application/json``
    or ``application/*+json``, as FastAPI decides."""
    content_type = dict(scope.get("headers") or []).get(b"content-type")
    if content_type is None:
        return True
    kind = content_type.split(b";", 1)[0].strip().lower()
    return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))


PARSED_BODY = "genaisys.parsed_body"
"""Where ``BodySizeLimit`` leaves a strict JSON body it read, for the route to take as it is."""

_UNREAD = object()


def strict_json(body: bytes) -> tuple[dict[str, Any] | None, Any]:
    """The 422 error for a JSON body that holds NaN or Infinity, a lone surrogate in a text or
    a key, or nesting past ``BODY_MAX_DEPTH`` (None for a strict body, or one that is not JSON
    at all: the route answers that itself); and the body's value when orjson read it, else
    ``_UNREAD``. Python's ``json`` reads every one of these flaws, but what holds them cannot
    be written back as JSON, so refusing them here, for every route, keeps them out of the
    database and out of every response.

    orjson refuses all three kinds of flaw but depth, and reads a body about three times as
    fast as ``json``: a body it reads that is not nested too deeply is strict, with no walk
    over its texts and numbers; one it refuses is read again by ``json`` for the report."""
    try:
        value = orjson.loads(body)
        if not _nested_deeper(value, BODY_MAX_DEPTH):
            return None, value
    except orjson.JSONDecodeError:
        pass
    try:
        value = json.loads(body)
    except RecursionError:
        message = "the body is nested too deeply to read; flatten it"
        return error_body("invalid_json", message, {"problems": [{"code": "too_deep", "path": "$", "message": message}]}), _UNREAD
    except ValueError:
        return None, _UNREAD
    flaws = json_flaws(value, max_depth=BODY_MAX_DEPTH)
    if not flaws:
        return None, _UNREAD
    problems = [{"code": f.code, "path": f.path, "message": f.message} for f in flaws]
    return error_body("invalid_json", f"the body is not strict JSON: {flaws[0].message}", {"problems": problems}), _UNREAD


def _nested_deeper(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON: exact dicts and lists) nests containers more than
    ``limit`` levels deep (level by level, so no recursion)."""
    level, depth = ([value] if type(value) is dict or type(value) is list else []), 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for item in level:
            below.extend([c for c in (item.values() if type(item) is dict else item) if type(c) is dict or type(c) is list])
        level, depth = below, depth + 1
    return False


async def send_json(send: Send, status: int, payload: dict[str, Any],
                    headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """The one raw-ASGI JSON answer, for middleware that answers before any route."""
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    await send_json(send, 413, error_body("too_large", f"the request body is over the limit of {limit} bytes"))


async def refuse(scope: Scope, send: Send, status: int, code: str, message: str,
                 headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """Answer from an ASGI middleware, before any route: the usual JSON error for HTTP; for
    a websocket, a close before accepting it (the client sees HTTP 403)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4000 + status, "reason": code})
        return
    await send_json(send, status, error_body(code, message), headers)

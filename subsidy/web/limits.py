"""What every response carries and what no request may exceed, as one ASGI middleware around the app.

* **Security headers** on every response: a Content-Security-Policy that allows nothing but this site's own files
  (no inline script, no framing: ``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer`` and ``X-Frame-Options: DENY`` for older browsers.
* **The byte limit, while the body arrives**: a request whose Content-Length is over the limit of its path is
  answered 413 before a byte of its body is read; without a Content-Length (a chunked upload) the bytes are counted
  as they arrive and the request is refused the moment the count passes the limit — nothing beyond the limit
  reaches memory or disk (python-multipart spools what it is given to a temporary file).
"""
from __future__ import annotations

from typing import Awaitable, Callable

from starlette.exceptions import HTTPException

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
     b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class TooLarge(HTTPException):
    """The request's body passed its limit (answered 413 by the app's handler)."""

    def __init__(self, limit: int):
        super().__init__(status_code=413)
        self.limit = limit


def content_length(scope: Scope) -> int | None:
    """The Content-Length header as a number: None when absent or not plain ASCII digits ("²" is not a length)."""
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            return int(value) if value.isdigit() else None  # bytes.isdigit is ASCII only
    return None


class Limits:
    """``limit(path)`` → the largest body a request to ``path`` may send; ``refuse(scope, limit)`` → the 413 page
    (status, headers, body) sent when the Content-Length says too much before anything is read."""

    def __init__(self, app, *, limit: Callable[[str], int],
                 refuse: Callable[[Scope, int], tuple[int, list[tuple[bytes, bytes]], bytes]]):
        self.app = app
        self.limit = limit
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *SECURITY_HEADERS]}
            await send(message)

        limit = self.limit(scope["path"])
        declared = content_length(scope)
        if declared is not None and declared > limit:
            status, headers, body = self.refuse(scope, limit)
            await send_with_headers({"type": "http.response.start", "status": status, "headers": headers})
            await send_with_headers({"type": "http.response.body", "body": body})
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(limit)
            return message

        await self.app(scope, counted, send_with_headers)

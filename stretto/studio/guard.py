"""The studio's gate, one ASGI middleware in front of every request:

* **host**: on loopback (no token), the ``Host`` header must name the loopback address the
  studio listens on, so a web page elsewhere cannot reach it through DNS rebinding;
* **token**: with ``--host`` the studio prints a token, and every request must carry it (the
  ``X-Stretto-Token`` header, the ``stretto_token`` cookie the page gets when opened with
  ``?token=``, or ``?token=`` itself), compared in constant time;
* **writes**: a POST must send JSON (``Content-Type: application/json``), which a form on
  another site cannot, and an ``Origin`` header, when sent, must be the studio's own;
* **size**: a request body larger than ``max_body`` bytes is refused (413) before it is read
  whole.

Each refusal is one line of JSON: ``{"error": "..."}``."""

from __future__ import annotations

import hmac
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKEN_HEADER, TOKEN_COOKIE = "x-stretto-token", "stretto_token"


def _host_name(host: str) -> str:
    """``127.0.0.1:8765`` -> ``127.0.0.1``; ``[::1]:8765`` -> ``::1``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """The ASGI middleware (see the module's docstring)."""

    def __init__(self, app, *, token: str | None, allowed_hosts: tuple[str, ...] | None,
                 max_body: int) -> None:
        self.app, self.token, self.max_body = app, token, max_body
        self.allowed_hosts = allowed_hosts

    def _token_of(self, scope, headers: dict[str, str]) -> str:
        if TOKEN_HEADER in headers:
            return headers[TOKEN_HEADER]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0]
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header carries no token
            return ""
        return cookie[TOKEN_COOKIE].value if TOKEN_COOKIE in cookie else ""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.allowed_hosts is not None and _host_name(host) not in self.allowed_hosts:
            await _refuse(send, 403, f"host {host!r} is not this studio's address: open "
                          "http://127.0.0.1:PORT/ (or start it with --host)")
            return
        if self.token is not None and not hmac.compare_digest(
                self._token_of(scope, headers).encode(), self.token.encode()):
            await _refuse(send, 401, "this studio needs its token: open the URL it printed "
                          "(with ?token=...) or send the X-Stretto-Token header")
            return
        if scope["method"] not in ("GET", "HEAD", "POST"):
            await _refuse(send, 405, f"{scope['method']} is not used here: GET or POST")
            return
        if scope["method"] == "POST":
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            length = headers.get("content-length")
            if kind != "application/json" and length not in (None, "0"):
                await _refuse(send, 415, "send the request body as JSON "
                              "(Content-Type: application/json)")
                return
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc != host:
                await _refuse(send, 403, f"a request from {origin} is not the studio's own")
                return
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await _refuse(send, 413, f"the request body is larger than {self.max_body} "
                              "bytes")
                return
            receive = self._bounded(receive, send)
        await self.app(scope, receive, send)

    def _bounded(self, receive, send):
        """``receive`` that stops a body (sent without a length) past ``max_body``."""
        seen = 0
        limit = self.max_body

        async def bounded():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        return bounded


class BodyTooLarge(Exception):
    """A request body without a length ran past the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")


__all__ = ["BodyTooLarge", "Guard", "LOOPBACK", "TOKEN_COOKIE", "TOKEN_HEADER"]

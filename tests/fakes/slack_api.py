"""A fake Slack Web API on 127.0.0.1 (aiohttp, in the test's event loop) for the real slack_sdk client.

It answers auth.test, chat.postMessage, chat.update, chat.postEphemeral, conversations.history,
users.info and slash-command ``response_url`` posts, and serves Socket Mode (apps.connections.open and a
WebSocket that pushes envelopes to the bot and records its acks). Every call is recorded in ``calls``
and every message-like call in the ``sent`` queue; posted messages (with their metadata) make up each
channel's ``history``. The next calls of a method for a channel can be told to fail (429 with
Retry-After, ``{"ok": false, "error": "channel_not_found"}``, …) or to succeed and then drop the
connection before answering (``drop_after_accept``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BOT_USER = "UBOT"
MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Failure:
    """A programmed answer: HTTP status, JSON body and headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def error(code: str, status: int = 200) -> Failure:
    """Slack's usual failure: HTTP 200 with ``ok: false``."""
    return Failure(status, {"ok": False, "error": code})


def rate_limited(seconds: int) -> Failure:
    """HTTP 429 with Retry-After, as chat.postMessage answers when a channel gets too much."""
    return Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(seconds)})


class FakeSlack:
    """The fake server. ``api_url`` goes to AsyncWebClient's ``base_url``; ``response_url()`` into payloads."""

    def __init__(
        self,
        token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        now: Callable[[], float] = lambda: 1_700_000_000.0,
    ) -> None:
        self.token = token
        self.now = now
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.drops: dict[tuple[str, str], int] = {}
        self.app_token = app_token
        self.socket_acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._socket: web.WebSocketResponse | None = None
        self._socket_open = asyncio.Event()
        self.calls: list[Call] = []
        self.sent: asyncio.Queue[Call] = asyncio.Queue()
        self.failures: dict[tuple[str, str], list[Failure]] = {}
        self.workspace_admins: set[str] = set()
        self._ts = itertools.count(1)
        self._responses = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        """The Web API base URL for slack_sdk."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        """A fresh response_url for one slash command."""
        return f"http://127.0.0.1:{self.port}/response/{next(self._responses)}"

    async def start(self) -> FakeSlack:
        """Serve on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response)
        app.router.add_get("/socket", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner:
            await self._runner.cleanup()

    def fail_next(self, method: str, channel: str, *answers: Failure) -> None:
        """Make the next calls of ``method`` for ``channel`` answer with these failures, in order."""
        self.failures.setdefault((method, channel), []).extend(answers)

    def drop_after_accept(self, method: str, channel: str, times: int = 1) -> None:
        """The next calls of ``method`` for ``channel`` take effect, then the connection closes unanswered."""
        self.drops[(method, channel)] = self.drops.get((method, channel), 0) + times

    def someone_posts(self, channel: str, text: str, user: str = "U1") -> None:
        """A person writes in the channel (it shows in its history)."""
        self.history.setdefault(channel, []).append(
            {"type": "message", "user": user, "text": text, "ts": self._next_ts()}
        )

    def visible(self, channel: str) -> list[dict[str, Any]]:
        """The messages people see in a channel, oldest first."""
        return list(self.history.get(channel, []))

    async def next_sent(self, timeout: float = 5.0) -> Call:
        """The next message-like call (post, update, ephemeral, response_url), failed or not."""
        return await asyncio.wait_for(self.sent.get(), timeout)

    def posted_to(self, channel: str) -> list[Call]:
        """Successful chat.postMessage calls to a channel, in order."""
        return [c for c in self.calls if c.method == "chat.postMessage" and c.params.get("channel") == channel]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update({key: value for key, value in (await request.post()).items() if isinstance(value, str)})
        for key in ("blocks", "metadata"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        token = self.app_token if method == "apps.connections.open" else self.token
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answers = self.failures.get((method, str(params.get("channel"))))
        if answers:
            failure = answers.pop(0)
            call.params["_failed"] = failure.body.get("error")
            await self._record(call)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        result: dict[str, Any] = handler(params)
        await self._record(call)
        key = (method, str(params.get("channel")))
        if self.drops.get(key):
            self.drops[key] -= 1
            call.params["_dropped"] = True
            assert request.transport is not None
            request.transport.close()
        return web.json_response({"ok": True, **result})

    async def push(self, kind: str, payload: dict[str, Any], envelope_id: str, timeout: float = 5.0) -> None:
        """Send a Socket Mode envelope (``slash_commands``, ``events_api``) to the connected bot."""
        await asyncio.wait_for(self._socket_open.wait(), timeout)
        assert self._socket is not None
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": False}
        await self._socket.send_json(envelope)

    async def next_ack(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message the bot sent back over the WebSocket (an ack naming an envelope_id)."""
        return await asyncio.wait_for(self.socket_acks.get(), timeout)

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        self._socket_open.set()
        async for message in socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                await self.socket_acks.put(json.loads(message.data))
        self._socket_open.clear()
        return socket

    def _m_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    async def _record(self, call: Call) -> None:
        if call.method in MESSAGE_METHODS:
            await self.sent.put(call)

    async def _response(self, request: web.Request) -> web.Response:
        call = Call("response_url", dict(await request.json()))
        self.calls.append(call)
        await self._record(call)
        return web.Response(text="ok")

    def _next_ts(self) -> str:
        return f"{int(self.now())}.{next(self._ts):06d}"

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://observers.slack.example/",
            "team": "Observers",
            "user": "electionwatch",
            "team_id": "T1",
            "user_id": BOT_USER,
            "bot_id": "BBOT",
        }

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        message = {"type": "message", "bot_id": "BBOT", "text": params.get("text"), "ts": ts}
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        self.history.setdefault(params["channel"], []).append(message)
        return {"channel": params["channel"], "ts": ts, "message": {"text": params.get("text"), "ts": ts}}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.history.get(params["channel"], []):
            if message["ts"] == params["ts"]:
                message["text"] = params.get("text")
        return {"channel": params["channel"], "ts": params["ts"], "text": params.get("text")}

    def _m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, after ``oldest`` (exclusive), ``limit`` a page; metadata only if asked for."""
        oldest = float(params.get("oldest") or 0)
        newest_first = [m for m in reversed(self.history.get(params["channel"], [])) if float(m["ts"]) > oldest]
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = newest_first[start : start + limit]
        if str(params.get("include_all_metadata")).lower() not in {"1", "true"}:
            page = [{key: value for key, value in m.items() if key != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params["user"])
        return {"user": {"id": user, "is_admin": user in self.workspace_admins, "is_owner": False}}

"""A fake Telegram Bot API on 127.0.0.1 (aiohttp, in the test's event loop) for the real python-telegram-bot.

It answers getMe, getUpdates (long polling from a queue of simulated user messages), sendMessage,
editMessageText, setMyCommands, getChatMember, deleteWebhook; records every call; and can be told to
fail the next calls to a chat (429 with retry_after, 403, migration, entity parse errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000
BOT_USERNAME = "ElectionWatchBot"


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def _error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


BLOCKED = _error(403, "Forbidden: bot was blocked by the user")
KICKED = _error(403, "Forbidden: bot was kicked from the group chat")
BAD_ENTITIES = _error(400, 'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 3')


def migrated(new_chat_id: int) -> dict[str, Any]:
    """The answer for a group that became a supergroup."""
    return _error(400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=new_chat_id)


def retry_after(seconds: int) -> dict[str, Any]:
    """A flood-control answer."""
    return _error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


class FakeTelegram:
    """The fake server. ``base_url`` goes to PTB's ``base_url``."""

    def __init__(self, token: str = "123456:TEST") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.sent: asyncio.Queue[Call] = asyncio.Queue()
        self.failures: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.admins: dict[str, set[int]] = {}
        self.commands: list[dict[str, str]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """PTB's base_url for this server."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeTelegram:
        """Serve on a free loopback port."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner:
            await self._runner.cleanup()

    def fail_next(self, method: str, chat_id: int | str, *answers: dict[str, Any]) -> None:
        """Make the next calls of ``method`` for ``chat_id`` answer with these errors, in order."""
        self.failures.setdefault((method, str(chat_id)), []).extend(answers)

    def user_says(
        self,
        text: str,
        *,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        thread_id: int | None = None,
        title: str | None = None,
    ) -> None:
        """Queue an update as if a user typed ``text`` in a chat."""
        command = text.split(" ", 1)[0]
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Ann"
        else:
            chat["title"] = title or "Observers"
            if thread_id is not None:
                chat["is_forum"] = True
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "text": text,
        }
        if command.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        self._updates.append({"update_id": next(self._update_ids), "message": message})
        self._new_update.set()

    async def next_sent(self, timeout: float = 5.0) -> Call:
        """The next sendMessage or editMessageText call."""
        return await asyncio.wait_for(self.sent.get(), timeout)

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """Every successful sendMessage to a chat, in order."""
        return [
            c
            for c in self.calls
            if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(chat_id) and c.params.get("_ok")
        ]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else ""
            try:
                params[key] = json.loads(text)
            except ValueError:
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(_error(401, "Unauthorized"), status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        failure_queue = self.failures.get((method, str(params.get("chat_id"))))
        if failure_queue:
            answer = failure_queue.pop(0)
            if method in ("sendMessage", "editMessageText"):
                await self.sent.put(call)
            return web.json_response(answer, status=answer["error_code"])
        result = await getattr(self, f"_m_{method}", self._m_default)(params)
        if method in ("sendMessage", "editMessageText"):
            params["_ok"] = True
            await self.sent.put(call)
        return web.json_response({"ok": True, "result": result})

    async def _m_default(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "ElectionWatch",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands = list(params.get("commands") or [])
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        # An offset confirms every earlier update, as the real Bot API does: they are never sent again.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), 0.5)
        pending = [u for u in self._updates if u["update_id"] >= offset]
        if not pending and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
            pending = [u for u in self._updates if u["update_id"] >= offset]
        return pending

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "x"},
            "text": params.get("text", ""),
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
        return message

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        return {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": params.get("text", ""),
        }

    async def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = str(params["chat_id"]), int(params["user_id"])
        status = "administrator" if user_id in self.admins.get(chat_id, set()) else "member"
        user = {"id": user_id, "is_bot": False, "first_name": "Ann"}
        if status == "administrator":
            return {
                "status": status,
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        return {"status": status, "user": user}

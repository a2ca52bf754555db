"""Telegram adapter (python-telegram-bot 22.x): updates → Command → dispatch → HTML; Summary → message.

Only translation lives here: commands are handled by ``handlers.dispatch`` and deliveries are
driven by the outbox worker through ``TelegramSender``.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta

import httpx
from telegram import BotCommand, LinkPreviewOptions, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.errors import BadFormat, ChatGone, ChatMoved, RetryLater, SendFailed
from bot.models import ChatRef, Summary
from bot.pipeline.deliver import RateLimits
from handlers import COMMANDS, dispatch
from handlers.types import Command, Reply, Services

log = logging.getLogger(__name__)

PLATFORM = "telegram"
MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _safe_href(link: str) -> str | None:
    return link if link.lower().startswith(("https://", "http://")) else None


def render_summary_html(summary: Summary, limit: int = MAX_TEXT) -> str:
    """A story as Telegram HTML; every feed-supplied string is escaped, and the result fits ``limit``."""
    href = _safe_href(summary.link)
    title = f'<a href="{_attr(href)}">{_e(summary.title)}</a>' if href else _e(summary.title)
    labels = " · ".join((*summary.countries, *summary.bodies))
    parts = [f"<b>{title}</b>"]
    if summary.lead:
        parts.append(_e(summary.lead))
    if labels:
        parts.append(_e(labels))
    parts.append(f"<i>{_e(summary.source)}, {summary.published:%d %b %Y}</i>")
    if summary.also:
        parts.append(_e("also: " + ", ".join(summary.also)))
    text = "\n".join(parts)
    while len(text) > limit and summary.also:
        summary = Summary(**{**summary.__dict__, "also": summary.also[:-1]})
        text = render_summary_html(summary, limit)
    if len(text) > limit:
        return render_summary_html(Summary(**{**summary.__dict__, "lead": "", "title": summary.title[:300]}), limit)
    return text


def render_summary_plain(summary: Summary) -> str:
    """The same story without any markup, for when HTML was refused."""
    parts = [summary.title, summary.link, summary.lead, " · ".join((*summary.countries, *summary.bodies))]
    parts.append(f"{summary.source}, {summary.published:%d %b %Y}")
    if summary.also:
        parts.append("also: " + ", ".join(summary.also))
    return "\n".join(part for part in parts if part)[:MAX_TEXT]


def render_reply_html(reply: Reply) -> list[str]:
    """A command's answer as one or more HTML messages, each within Telegram's limit."""
    messages: list[str] = []
    if reply.text:
        text = _e(reply.text)
        while text:
            cut = len(text) if len(text) <= MAX_TEXT else text.rfind("\n", 0, MAX_TEXT)
            cut = cut if cut > 0 else MAX_TEXT
            chunk = text[:cut]
            # never split inside an entity such as &amp;
            amp = chunk.rfind("&")
            if amp > chunk.rfind(";") and amp > 0:
                cut, chunk = amp, chunk[:amp]
            messages.append(chunk)
            text = text[cut:].lstrip("\n")
    story_blocks = [render_summary_html(summary, 1200) for summary in reply.stories]
    batch = ""
    for block in story_blocks:
        if batch and len(batch) + 2 + len(block) > MAX_TEXT:
            messages.append(batch)
            batch = ""
        batch = f"{batch}\n\n{block}" if batch else block
    if batch:
        messages.append(batch)
    return messages


def to_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Command | None:
    """Translate a Telegram update into a neutral Command (None when it is not a command)."""
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or message.text is None or user is None or chat is None:
        return None
    head, _, args = message.text.partition(" ")
    name = head.lstrip("/").split("@")[0].lower()
    thread = str(message.message_thread_id) if message.is_topic_message and message.message_thread_id else None
    is_group = chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)

    async def is_chat_admin() -> bool:
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError:
            return False
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    return Command(
        name=name,
        args=args.strip(),
        chat=ChatRef(PLATFORM, str(chat.id), thread),
        user_id=str(user.id),
        is_group=is_group,
        chat_title=chat.title or chat.username or chat.first_name,
        is_chat_admin=is_chat_admin,
    )


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def translate_error(error: TelegramError) -> Exception:
    """Telegram errors → the neutral delivery errors. BadRequest is checked before NetworkError (its parent)."""
    text = str(error)
    if isinstance(error, RetryAfter):
        return RetryLater(_retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return ChatMoved(str(error.new_chat_id))
    if isinstance(error, Forbidden):
        return ChatGone(f"Telegram: {text}")
    if isinstance(error, BadRequest):
        lowered = text.lower()
        if "chat not found" in lowered or "thread not found" in lowered or "chat_write_forbidden" in lowered:
            return ChatGone(f"Telegram: {text}")
        return BadFormat(f"Telegram: {text}")
    if isinstance(error, TimedOut):
        # Only a timeout before the connection existed proves the message was not sent.
        before_sending = isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
        return SendFailed(f"Telegram timed out: {text}", maybe_sent=not before_sending)
    if isinstance(error, NetworkError):
        return SendFailed(f"Telegram network error: {text}")
    return SendFailed(f"Telegram: {text}")


class TelegramSender:
    """Sends and edits story messages through the Bot API."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self.bot = application.bot

    async def send(self, chat: ChatRef, summary: Summary, *, plain: bool, delivery_id: int) -> str:
        """Post a story; return its message id (a message cannot carry ``delivery_id``)."""
        try:
            message: Message = await self.bot.send_message(
                chat_id=int(chat.chat_id),
                text=render_summary_plain(summary) if plain else render_summary_html(summary),
                parse_mode=None if plain else ParseMode.HTML,
                message_thread_id=int(chat.thread_id) if chat.thread_id else None,
                link_preview_options=_NO_PREVIEW,
            )
        except TelegramError as error:
            raise translate_error(error) from error
        return str(message.message_id)

    async def reconcile(self, chat: ChatRef, summary: Summary, *, delivery_id: int, since: datetime) -> str | None:
        """Bots cannot read a chat's history, so an in-doubt send is never known to have arrived: resend."""
        return None

    async def edit(self, chat: ChatRef, message_id: str, summary: Summary, *, plain: bool) -> None:
        """Replace a story message (to list later sources)."""
        try:
            await self.bot.edit_message_text(
                chat_id=int(chat.chat_id),
                message_id=int(message_id),
                text=render_summary_plain(summary) if plain else render_summary_html(summary),
                parse_mode=None if plain else ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
            )
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return
            raise translate_error(error) from error
        except TelegramError as error:
            raise translate_error(error) from error


def build_application(token: str, services: Services, base_url: str | None = None) -> Application:  # type: ignore[type-arg]
    """The PTB application with one handler for every registered command."""
    builder = Application.builder().token(token)
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_url.rstrip("/") + "/file")
    application = builder.build()

    async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = to_command(update, context)
        message = update.effective_message
        if command is None or message is None:
            return
        for reply in await dispatch(command, services):
            for text in render_reply_html(reply):
                await message.reply_html(
                    text,
                    link_preview_options=_NO_PREVIEW,
                    do_quote=False,
                    message_thread_id=message.message_thread_id if message.is_topic_message else None,
                )

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram handler failed: %s", context.error, exc_info=context.error)

    application.add_handler(CommandHandler(list(COMMANDS), on_command))
    # Unknown commands get a pointer to /help in private chats; in groups they may be for another bot.
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, on_command))
    application.add_error_handler(on_error)
    return application


def bot_commands() -> list[BotCommand]:
    """The command menu registered with setMyCommands."""
    return [BotCommand(spec.name, spec.summary[:256]) for spec in COMMANDS.values()]


class TelegramPlatform:
    """Starts and stops long polling; exposes the sender for the outbox."""

    name = PLATFORM

    def __init__(
        self,
        token: str,
        services: Services,
        base_url: str | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.application = build_application(token, services, base_url)
        self.sender = TelegramSender(self.application)
        self.rate_limits = rate_limits or RateLimits()

    async def start(self) -> None:
        """Check the token (getMe), register the command list, start long polling."""
        await self.application.initialize()
        await self.application.bot.set_my_commands(bot_commands())
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)

    async def tell(self, user_id: str, text: str) -> None:
        """A private notice; the admin must have started a chat with the bot for Telegram to deliver it."""
        await self.application.bot.send_message(chat_id=int(user_id), text=text[:MAX_TEXT])

    async def stop(self) -> None:
        """Stop polling and release the HTTP client."""
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        # After a failed start (e.g. a refused token) the application was never initialised, but the
        # bot's HTTP clients were: close them too (a no-op when already closed).
        await self.application.bot.shutdown()

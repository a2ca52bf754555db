"""The platform-neutral command interface: a Command comes in, Replies go out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.clock import Clock
from bot.dbthread import DbThread
from bot.models import ChatRef, CheckedFeed, Summary
from handlers.ratelimit import CommandRateLimit
from storage import Store


async def _not_admin() -> bool:
    return False


@dataclass(frozen=True)
class Command:
    """A chat command, whichever platform it was typed on.

    ``is_chat_admin`` is supplied by the adapter and only awaited when a group's settings change,
    because asking the platform costs a request.
    """

    name: str
    args: str
    chat: ChatRef
    user_id: str
    is_group: bool = False
    chat_title: str | None = None
    is_chat_admin: Callable[[], Awaitable[bool]] = field(default=_not_admin, compare=False)

    @property
    def user_key(self) -> str:
        """``platform:user_id``, the form used in ELECTIONWATCH_ADMINS."""
        return f"{self.chat.platform}:{self.user_id}"


@dataclass(frozen=True)
class Reply:
    """An answer: plain text (adapters escape and format it), optionally with stories to render.

    ``private`` marks answers that concern only the caller (errors, help): Slack shows them ephemeral.
    """

    text: str = ""
    stories: tuple[Summary, ...] = ()
    private: bool = False


class KnowledgeLike(Protocol):
    """What commands need from the tagging knowledge."""

    def resolve_country(self, term: str) -> str | None:
        """A country name, demonym or code in any supported language → ISO code."""
        ...

    def resolve_body(self, term: str) -> str | None:
        """A body's name, acronym or alias → body id."""
        ...

    def country_label(self, code: str) -> str:
        """``KZ`` → ``🇰🇿 Kazakhstan``."""
        ...

    def body_label(self, body_id: str) -> str:
        """``osce-odihr`` → ``OSCE/ODIHR``."""
        ...

    def vocabulary(self) -> list[str]:
        """Every known name, for "did you mean" suggestions."""
        ...

    @property
    def body_parents(self) -> Mapping[str, str | None]:
        """Body id → parent id, so that following ``osce`` includes ``osce-odihr``."""
        ...


@dataclass
class Services:
    """What commands may use; built by the composition root."""

    store: Store
    db: DbThread
    clock: Clock
    knowledge: KnowledgeLike
    body_parents: Mapping[str, str | None]
    admins: frozenset[str]
    summary: Callable[[int], Summary | None]
    check_feed: Callable[[str], Awaitable[CheckedFeed]]
    feeds_changed: Callable[[], Awaitable[None]]
    max_subscriptions_per_chat: int = 50
    max_feeds_from_chat: int = 200
    command_limit: CommandRateLimit = field(default_factory=CommandRateLimit)

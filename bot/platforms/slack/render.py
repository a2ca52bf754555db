"""Block Kit rendering: stories and command replies as escaped mrkdwn, within Slack's limits.

Escaping follows https://docs.slack.dev/messaging/formatting-message-text/#escaping: ``&``, ``<`` and
``>`` become entities in every feed-supplied string, so feed text can never form ``<!channel>``,
``<@U…>`` or a ``<url|label>`` link of its own; our links are built only from http(s) URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.models import Summary
from handlers import COMMANDS
from handlers.types import Reply

SLASH_COMMAND = "/electionwatch"
SECTION_LIMIT = 3000  # characters of text in one section block
TEXT_LIMIT = 40_000  # Slack truncates a message's text beyond this
MAX_BLOCKS = 50

_MASS_MENTION = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_COMMAND_REF = re.compile(r"(?<![\w/])/(" + "|".join(sorted(COMMANDS, key=len, reverse=True)) + r")\b")


def escape(text: str) -> str:
    """Feed or user text as literal mrkdwn: entities for ``& < >``, and no bare ``@here``-style mentions."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Slack does not parse bare @here without link_names, but a word joiner keeps it inert everywhere.
    return _MASS_MENTION.sub("@\u2060", text)


def clip(escaped: str, limit: int) -> str:
    """Cut escaped text to ``limit`` characters, never inside an entity such as ``&amp;``."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(0, limit - 1)]
    amp = cut.rfind("&")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    return cut + "…"


MAX_LINK = 2000  # a longer URL is left out of the headline (the fallback text still carries it)
MAX_HEADLINE = 600


def safe_link(url: str, label: str) -> str:
    """``<url|label>`` for http(s) URLs only; ``label`` must already be escaped."""
    if not url.lower().startswith(("https://", "http://")) or len(url) > MAX_LINK:
        return label
    href = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{href}|{label}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn words into links or mentions on its own.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def story_blocks(summary: Summary) -> list[dict[str, Any]]:
    """A story as a section (linked headline and lead) and a context line (tags, source, date, also)."""
    # Bounded headline and link leave room for the lead, so the section is never cut inside the link.
    headline = f"*{safe_link(summary.link, clip(escape(summary.title), MAX_HEADLINE))}*"
    text = headline
    if summary.lead:
        text += "\n" + clip(escape(summary.lead), SECTION_LIMIT - len(headline) - 1)
    context = []
    labels = " · ".join((*summary.countries, *summary.bodies))
    if labels:
        context.append(_mrkdwn(clip(escape(labels), SECTION_LIMIT)))
    context.append(_mrkdwn(clip(f"{escape(summary.source)}, {summary.published:%d %b %Y}", SECTION_LIMIT)))
    if summary.also:
        context.append(_mrkdwn(clip(escape("also: " + ", ".join(summary.also)), SECTION_LIMIT)))
    return [
        {"type": "section", "text": _mrkdwn(clip(text, SECTION_LIMIT))},
        {"type": "context", "elements": context},
    ]


def render_plain(summary: Summary) -> str:
    """The story as escaped text without blocks: the notification fallback, and what is sent if blocks are refused."""
    labels = " · ".join((*summary.countries, *summary.bodies))
    parts = [summary.title, summary.link, summary.lead, labels, f"{summary.source}, {summary.published:%d %b %Y}"]
    if summary.also:
        parts.append("also: " + ", ".join(summary.also))
    return clip(escape("\n".join(part for part in parts if part)), TEXT_LIMIT)


def render_blocks(summary: Summary) -> tuple[list[dict[str, Any]], str]:
    """A story as Block Kit blocks plus the plain-text fallback Slack shows in notifications."""
    return story_blocks(summary), render_plain(summary)


@dataclass(frozen=True)
class SlackMessage:
    """One message to post: mrkdwn fallback text and its blocks."""

    text: str
    blocks: list[dict[str, Any]]


def slack_text(text: str) -> str:
    """A handler's plain text for Slack: escaped, with ``/subscribe`` written as ``/electionwatch subscribe``."""
    return _COMMAND_REF.sub(SLASH_COMMAND + r" \1", escape(text))


def _sections(text: str) -> list[dict[str, Any]]:
    sections = []
    while text:
        cut = len(text) if len(text) <= SECTION_LIMIT else text.rfind("\n", 0, SECTION_LIMIT)
        cut = cut if cut > 0 else SECTION_LIMIT
        chunk = clip(text[:cut], SECTION_LIMIT) if cut == SECTION_LIMIT else text[:cut]
        sections.append({"type": "section", "text": _mrkdwn(chunk)})
        text = text[cut:].lstrip("\n")
    return sections


def render_reply(reply: Reply) -> list[SlackMessage]:
    """A command's answer as messages of at most 50 blocks: its text, then one section and context per story."""
    text = slack_text(reply.text)
    blocks = _sections(text)
    for summary in reply.stories:
        blocks.extend(story_blocks(summary))
    fallback = "\n".join([text, *(escape(summary.title) for summary in reply.stories)]).strip()
    return [
        SlackMessage(clip(fallback, TEXT_LIMIT) or "…", blocks[start : start + MAX_BLOCKS])
        for start in range(0, max(len(blocks), 1), MAX_BLOCKS)
    ]

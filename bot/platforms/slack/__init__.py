"""Slack adapter (slack-bolt, async): a second adapter over the same handlers, outbox and stories.

Only translation lives here, as in the Telegram twin (bot/platforms/telegram.py):

- ``commands``: ``/electionwatch SUBCOMMAND`` and mentions → ``Command`` → ``handlers.dispatch`` → replies;
- ``render``: stories and replies → Block Kit, every feed-supplied string escaped;
- ``sender``: ``SlackSender`` for the outbox worker, Slack errors → bot/errors.py's DeliveryError tree;
- ``platform``: ``SlackPlatform``, the HTTP events endpoint (or Socket Mode) started and stopped with the bot.
"""

from bot.platforms.slack.commands import PLATFORM, SeenEvents, build_slack_app, to_command
from bot.platforms.slack.platform import EVENTS_PATH, RATE_LIMITS, SlackPlatform, events_endpoint
from bot.platforms.slack.render import SLASH_COMMAND, escape, render_blocks, render_plain, render_reply
from bot.platforms.slack.sender import SlackSender, translate_error

__all__ = [
    "EVENTS_PATH",
    "PLATFORM",
    "RATE_LIMITS",
    "SLASH_COMMAND",
    "SeenEvents",
    "SlackPlatform",
    "SlackSender",
    "build_slack_app",
    "escape",
    "events_endpoint",
    "render_blocks",
    "render_plain",
    "render_reply",
    "to_command",
    "translate_error",
]

"""Configuration: environment settings (pydantic-settings) and the feeds.yaml file (pydantic).

This module is the only reader of ``os.environ``; everything else receives a ``Settings`` object.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.models import FeedConfig

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL_SECONDS = 30


def parse_duration(value: object) -> int:
    """Turn ``30s``, ``10m``, ``1h``, ``2d`` or an integer of seconds into seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m, 1h or a number of seconds")
    if isinstance(value, int):
        seconds = value
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration; use 30s, 10m, 1h or a number of seconds")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"must be at least {MIN_INTERVAL_SECONDS} seconds")
    return seconds


def format_duration(seconds: int) -> str:
    """Write seconds back in the shortest feeds.yaml form (``600`` → ``10m``)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[int, BeforeValidator(parse_duration)]


class FeedEntry(BaseModel):
    """One feed in feeds.yaml."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    name: str | None = Field(default=None, max_length=200)
    lang: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
    interval: Duration | None = None
    enabled: bool = True


class FeedsFile(BaseModel):
    """The whole feeds.yaml file."""

    model_config = ConfigDict(extra="forbid")

    poll_interval: Duration = 600
    feeds: list[FeedEntry] = Field(default_factory=list)

    def feed_configs(self) -> list[FeedConfig]:
        """The feeds with the default interval applied."""
        return [
            FeedConfig(
                url=entry.url.strip(),
                name=entry.name,
                lang=entry.lang.split("-")[0].split("_")[0].lower() if entry.lang else None,
                interval_seconds=entry.interval or self.poll_interval,
                enabled=entry.enabled,
            )
            for entry in self.feeds
        ]


def _describe_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """Say where an error is: ``feeds[3] (https://…).interval``."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
            if isinstance(node, list) and 0 <= key < len(node):
                node = node[key]
                if isinstance(node, dict) and isinstance(node.get("url"), str):
                    parts[-1] += f" ({node['url']})"
            continue
        parts.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "file"


def parse_feeds_yaml(text: str, source: str = "feeds.yaml") -> FeedsFile:
    """Validate feeds.yaml text; raise ConfigError with one clear line per problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with 'poll_interval' and 'feeds'")
    try:
        parsed = FeedsFile.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{source}: {_describe_location(data, err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from None
    seen: set[str] = set()
    for index, entry in enumerate(parsed.feeds):
        if entry.url in seen:
            raise ConfigError(f"{source}: feeds[{index}] ({entry.url}).url: listed twice")
        seen.add(entry.url)
    return parsed


def load_feeds(path: Path) -> FeedsFile:
    """Read and validate a feeds.yaml file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_feeds_yaml(text, str(path))


def dump_feeds_yaml(poll_interval: int, feeds: list[FeedConfig]) -> str:
    """Write feeds in feeds.yaml format (used by ``feeds export``)."""
    entries: list[dict[str, object]] = []
    for feed in feeds:
        entry: dict[str, object] = {"url": feed.url}
        if feed.name:
            entry["name"] = feed.name
        if feed.lang:
            entry["lang"] = feed.lang
        if feed.interval_seconds and feed.interval_seconds != poll_interval:
            entry["interval"] = format_duration(feed.interval_seconds)
        if not feed.enabled:
            entry["enabled"] = False
        entries.append(entry)
    document = {"poll_interval": format_duration(poll_interval), "feeds": entries}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


class Settings(BaseSettings):
    """Settings from the environment. Each field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ELECTIONWATCH_", extra="ignore", populate_by_name=True)

    db: Path = Field(default=Path("electionwatch.db"), description="SQLite database file")
    config: Path = Field(default=Path("feeds.yaml"), description="feeds.yaml to load at start")
    admins: str = Field(default="", description="bot admins: telegram:ID,slack:ID,...")
    allow_private_feeds: bool = Field(
        default=False, description="let chat admins add feeds on loopback/private addresses"
    )
    max_body_bytes: int = Field(default=10 * 1024 * 1024, description="largest feed body downloaded")
    fetch_concurrency: int = Field(default=16, description="feeds fetched at once")
    prepare_workers: int = Field(
        default=0,
        ge=0,
        description="processes that parse and tag feeds (0: one per core but one; 1: a thread, no processes)",
    )
    fetch_timeout: float = Field(default=30.0, description="overall seconds allowed for one fetch")
    retention_days: int = Field(
        default=365, ge=0, description="stories untouched this many days are pruned, keeping their keys (0: never)"
    )
    user_agent: str = Field(
        default="ElectionWatch/0.1 (+https://github.com/electionwatch/electionwatch; feed reader)",
        description="User-Agent sent to feed servers",
    )
    telegram_bot_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "ELECTIONWATCH_TELEGRAM_BOT_TOKEN"),
        description="turns Telegram on",
    )
    telegram_api_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_API_BASE_URL", "ELECTIONWATCH_TELEGRAM_API_BASE_URL"),
        description="Bot API base URL, e.g. http://127.0.0.1:8081/bot",
    )
    telegram_per_chat_interval: float = Field(default=1.0, description="seconds between two messages to one chat")
    telegram_group_per_minute: int = Field(default=20, description="messages per minute to one group")
    telegram_global_per_second: int = Field(default=30, description="messages per second overall")
    slack_bot_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "ELECTIONWATCH_SLACK_BOT_TOKEN"),
        description="turns Slack on",
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "ELECTIONWATCH_SLACK_SIGNING_SECRET"),
        description="verifies Slack requests",
    )
    slack_app_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "ELECTIONWATCH_SLACK_APP_TOKEN"),
        description="Socket Mode instead of HTTP",
    )
    slack_port: int = Field(
        default=3000,
        validation_alias=AliasChoices("SLACK_PORT", "ELECTIONWATCH_SLACK_PORT"),
        description="port of the Slack HTTP endpoint",
    )
    slack_api_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_API_URL", "ELECTIONWATCH_SLACK_API_URL"),
        description="Slack Web API base URL",
    )

from pathlib import Path

import pytest

from bot import app
from bot.errors import ConfigError
from bot.models import FeedConfig
from bot.settings import Settings, dump_feeds_yaml, load_feeds, parse_duration, parse_feeds_yaml


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("10m", 600), ("1h", 3600), ("2d", 172800), ("90", 90), (120, 120)]
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5x", "", "-1m", "10", True])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked in the file-level tests
        parse_duration(text)


def test_feeds_file_applies_default_interval_and_overrides() -> None:
    parsed = parse_feeds_yaml(
        "poll_interval: 10m\nfeeds:\n  - url: https://a.example/rss\n    lang: ru-RU\n"
        "  - url: https://b.example/rss\n    name: B\n    interval: 1h\n    enabled: false\n"
    )
    assert parsed.feed_configs() == [
        FeedConfig("https://a.example/rss", None, "ru", 600, True),
        FeedConfig("https://b.example/rss", "B", None, 3600, False),
    ]


def test_bad_field_is_named_with_its_feed() -> None:
    with pytest.raises(ConfigError) as error:
        parse_feeds_yaml("feeds:\n  - url: https://a.example/rss\n  - url: https://b.example/rss\n    interval: soon\n")
    assert error.value.message == (
        "feeds.yaml: feeds[1] (https://b.example/rss).interval: "
        "'soon' is not a duration; use 30s, 10m, 1h or a number of seconds"
    )


def test_unknown_key_and_missing_url_are_reported() -> None:
    with pytest.raises(ConfigError) as error:
        parse_feeds_yaml("feeds:\n  - url: https://a.example/rss\n    colour: red\n  - name: no url\n")
    lines = error.value.message.splitlines()
    assert lines[0].startswith("feeds.yaml: feeds[0] (https://a.example/rss).colour: Extra inputs")
    assert lines[1].startswith("feeds.yaml: feeds[1].url: Field required")


def test_invalid_yaml_and_duplicates() -> None:
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        parse_feeds_yaml("feeds:\n  - url: [unclosed\n")
    with pytest.raises(ConfigError, match="listed twice"):
        parse_feeds_yaml("feeds:\n  - url: https://a.example/\n  - url: https://a.example/\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse_feeds_yaml("- just a list\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_feeds(tmp_path / "nope.yaml")


def test_export_round_trips() -> None:
    feeds = [
        FeedConfig("https://a.example/rss", "A", "en", 600),
        FeedConfig("https://b.example/", None, None, 1800, False),
    ]
    text = dump_feeds_yaml(600, feeds)
    assert parse_feeds_yaml(text).feed_configs() == feeds


def test_shipped_feeds_yaml_is_valid() -> None:
    parsed = load_feeds(Path(__file__).parent.parent / "feeds.yaml")
    assert len(parsed.feeds) >= 10


def test_environment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELECTIONWATCH_DB", "/tmp/x.db")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("SLACK_PORT", "4000")
    settings = Settings()
    assert settings.db == Path("/tmp/x.db")
    assert settings.telegram_bot_token == "123:abc"
    assert settings.slack_port == 4000


@pytest.mark.parametrize(
    ("setting", "cores", "processes"), [(0, 2, 1), (0, 8, 7), (0, 1, 0), (0, None, 0), (1, 8, 0), (3, 2, 3)]
)
def test_prepare_workers_leave_the_main_process_a_core(
    monkeypatch: pytest.MonkeyPatch, setting: int, cores: int | None, processes: int
) -> None:
    monkeypatch.setattr(app.os, "cpu_count", lambda: cores)
    assert app.prepare_workers(Settings(prepare_workers=setting)) == processes

import json
import sqlite3
from pathlib import Path

import pytest

from bot import app
from bot.cli import main
from tests.conftest import KeywordTagger
from tests.fakes.feed_server import FeedServer, rss

DATA = Path(__file__).parent / "data" / "feeds"


@pytest.fixture(autouse=True)
def _keyword_tagger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(app, "load_tagger", KeywordTagger)
    # the stand-in tagger lives in this process only: prepare in a thread, not in worker processes
    monkeypatch.setenv("ELECTIONWATCH_PREPARE_WORKERS", "1")
    # away from the project's own feeds.yaml, which commands load by default
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config(tmp_path: Path, feed_server: FeedServer) -> Path:
    feed_server.add("/rss20.xml", body=(DATA / "rss20.xml").read_bytes())
    feed_server.add("/atom.xml", body=(DATA / "atom.xml").read_bytes())
    feed_server.add("/down.xml", status=500)
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "poll_interval: 10m\nfeeds:\n"
        f"  - url: {feed_server.url('/rss20.xml')}\n    name: Steppe Courier\n"
        f"  - url: {feed_server.url('/atom.xml')}\n    name: Observatoire\n    interval: 1h\n"
        f"  - url: {feed_server.url('/down.xml')}\n    name: Down\n",
        encoding="utf-8",
    )
    return path


def test_poll_once_then_export(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "ew.db")
    assert main(["poll", "--once", "--config", str(config), "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Steppe Courier: 2 new, 0 duplicates",
        "Observatoire: 1 new, 0 duplicates",
        "Down: error: HTTP 500",
        "polled 3 feeds: 3 new items, 1 failed",
    ]
    assert main(["poll", "--once", "--config", str(config), "--db", db]) == 0
    assert "Steppe Courier: not modified" in capsys.readouterr().out
    assert main(["export", "--db", db, "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert {
            "link",
            "feed",
            "title",
            "published",
            "lang",
            "relevant",
            "countries",
            "bodies",
            "story",
        } <= set(row)
    by_feed = {row["feed"]: row for row in rows}
    assert by_feed["Steppe Courier"]["lang"] == "en"
    assert by_feed["Observatoire"]["lang"] == "fr"


def test_default_db_from_environment(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ELECTIONWATCH_DB", str(tmp_path / "env.db"))
    assert main(["poll", "--once", "--config", str(config)]) == 0
    assert (tmp_path / "env.db").exists()


def test_bad_config_gives_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: https://a.example/rss\n    interval: often\n", encoding="utf-8")
    assert main(["poll", "--once", "--config", str(bad), "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert "feeds[0] (https://a.example/rss).interval" in err
    assert "Traceback" not in err


def test_poll_needs_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["poll"]) == 2
    assert "--once" in capsys.readouterr().err


def test_feeds_list_add_remove_export(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(tmp_path / "ew.db")]
    assert main(["poll", "--once", "--config", str(config), *db]) == 0
    capsys.readouterr()
    assert main(["feeds", "add", "https://new.example/rss", "--name", "New", "--interval", "30m", *db]) == 0
    assert "added feed 4: New" in capsys.readouterr().out
    assert main(["feeds", "add", "https://new.example/rss", *db]) == 2
    assert "already in the feed list" in capsys.readouterr().err
    assert main(["feeds", "add", "ftp://nope", *db]) == 2
    capsys.readouterr()
    assert main(["feeds", "list", *db]) == 0
    listing = capsys.readouterr().out
    assert "Steppe Courier" in listing
    assert "HTTP 500" in listing
    assert "never" in listing
    assert main(["feeds", "export", *db]) == 0
    exported = capsys.readouterr().out
    assert "name: New" in exported
    assert "interval: 30m" in exported
    assert main(["feeds", "remove", "4", *db]) == 0
    assert "removed feed 4" in capsys.readouterr().out
    assert main(["feeds", "remove", "https://nowhere.example/", *db]) == 2
    assert "no feed" in capsys.readouterr().err


def test_disabled_feed_says_so_in_list(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/down.xml", status=500)
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {feed_server.url('/down.xml')}\n", encoding="utf-8")
    db = ["--db", str(tmp_path / "ew.db")]
    for _ in range(20):
        main(["poll", "--once", "--config", str(config), *db])
    capsys.readouterr()
    main(["feeds", "list", *db])
    listing = capsys.readouterr().out
    assert "disabled" in listing
    assert "20 failures" in listing


def test_row_22_misdecoded_feed_is_flagged_in_list(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    item = {"title": "Выборы в Казахстане", "link": "https://kz.example/1", "guid": "1", "description": "ЦИК"}
    # UTF-8 bytes under a KOI8-R declaration: the server's encoding label is wrong
    body = rss([item]).replace(b'encoding="utf-8"', b'encoding="koi8-r"', 1)
    feed_server.add("/koi.xml", body=body)
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {feed_server.url('/koi.xml')}\n", encoding="utf-8")
    db = ["--db", str(tmp_path / "ew.db")]
    assert main(["poll", "--once", "--config", str(config), *db]) == 0
    assert "1 new" in capsys.readouterr().out
    main(["feeds", "list", *db])
    assert "mis-decoded" in capsys.readouterr().out


def test_explain_and_retag(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(tmp_path / "ew.db")]
    main(["poll", "--once", "--config", str(config), *db])
    capsys.readouterr()
    assert main(["explain", "https://steppe-courier.example/news/observers-arrive?id=7", *db]) == 0
    out = capsys.readouterr().out
    assert "relevant: yes" in out
    assert "countries: KZ" in out
    assert main(["retag", *db]) == 0
    assert "retagged 3 items: 0 changed" in capsys.readouterr().out
    assert main(["explain", "https://unknown.example/", *db]) == 2


def test_prune_keeps_keys_so_old_items_stay_old(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "ew.db")
    assert main(["poll", "--once", "--config", str(config), "--db", db]) == 0
    assert main(["prune", "--db", db, "--older-than", "30"]) == 0
    assert "pruned 0 stories" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:  # a year passes; the feeds forget their validators
        conn.execute("UPDATE stories SET updated_at = '2025-01-01T00:00:00+00:00'")
        conn.execute("UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL")
    assert main(["prune", "--db", db, "--older-than", "30"]) == 0
    assert capsys.readouterr().out == (
        "pruned 3 stories (3 items) not updated for 30 days; 6 keys kept so they are never taken for new\n"
    )
    assert main(["poll", "--once", "--config", str(config), "--db", db]) == 0
    assert "Steppe Courier: 0 new, 2 duplicates" in capsys.readouterr().out
    monkeypatch.setenv("ELECTIONWATCH_RETENTION_DAYS", "0")
    assert main(["prune", "--db", db]) == 0
    assert "nothing pruned" in capsys.readouterr().out

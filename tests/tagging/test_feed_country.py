"""The country of a one-country feed, given to its items about national election bodies that name none."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Evidence, FeedConfig, Tags
from bot.pipeline.feed_country import RULE, feed_country, in_feed_context
from bot.pipeline.normalise import LangidDetector
from bot.pipeline.prepare import prepare_feed
from bot.pipeline.tag import Tagger
from storage import open_store
from tests.fakes.feed_server import FeedServer, rss

NOW = datetime(2026, 10, 27, 12, tzinfo=UTC)


def tags(countries: tuple[str, ...], bodies: tuple[str, ...] = (), relevant: bool = True) -> Tags:
    evidence = tuple(Evidence(f"body:{body}", "CNE", "body-alias") for body in bodies)
    return Tags(relevant, countries, bodies, evidence)


def test_an_item_about_a_national_body_takes_the_country_every_other_item_names() -> None:
    tagged = [tags(("PT",))] * 3 + [tags((), ("election-commission",))]
    assert feed_country(tagged) == "PT"
    *_, last = in_feed_context(tagged)
    assert last.countries == ("PT",)
    assert last.evidence[-1] == Evidence("country:PT", "CNE", RULE)


def test_no_country_is_given_without_a_clearly_dominant_one_or_a_national_body() -> None:
    mixed = [tags(("PE",))] * 6 + [tags(("CO",)), tags((), ("citizen-observers",))]
    assert feed_country(mixed) is None
    assert in_feed_context(mixed)[-1].countries == ()
    too_few = [tags(("PT",)), tags(("PT",)), tags((), ("election-commission",))]
    assert in_feed_context(too_few)[-1].countries == ()
    international_only = [tags(("PT",))] * 3 + [tags((), ("osce-odihr",))]
    assert in_feed_context(international_only)[-1].countries == ()
    # Irrelevant items and items naming several countries do not make a feed one country's.
    noise = [tags(("PT",), relevant=False)] * 5 + [tags(("PT", "ES"))] * 4
    assert feed_country(noise) is None


def entry(number: int, title: str, text: str) -> dict[str, str]:
    link = f"https://noticias.example/{number}"
    return {"title": title, "link": link, "guid": link, "description": text}


NATIONAL_OUTLET = [
    entry(1, "Brasil: TSE abre o cadastro de eleitores no exterior", "O Tribunal Superior Eleitoral do Brasil..."),
    entry(2, "Eleições no Brasil: abstenção chega a 21% no primeiro turno", "Segundo o TSE, a apuração..."),
    entry(3, "Missão da OEA chega ao Brasil para o segundo turno", "A missão de observação eleitoral da OEA..."),
    entry(4, "CNE recebe 300 queixas sobre a propaganda eleitoral", "A comissão analisa as queixas da campanha."),
]


def test_a_national_outlets_unnamed_commission_is_its_countrys(tagger: Tagger, tmp_path: Path) -> None:
    store = open_store(tmp_path / "feed.db")
    record = store.feeds.add(FeedConfig(url="https://noticias.example/rss", interval_seconds=600), NOW, "config")
    prepared = prepare_feed(rss(NATIONAL_OUTLET, lang="pt"), {}, record, NOW, tagger.tag, LangidDetector())
    by_title = {p.item.title[:12]: p.item.tags for p in prepared.items}
    assert [by_title[title].countries for title in list(by_title)[:3]] == [("BR",)] * 3
    complaints = by_title["CNE recebe 3"]
    assert complaints.relevant
    assert complaints.countries == ("BR",)
    assert any(e.rule == RULE for e in complaints.evidence)
    # The dedupe fingerprint is built from the same tags.
    assert prepared.items[-1].fingerprint.countries == frozenset({"BR"})


def test_retagging_keeps_the_feeds_country(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real tagger, prepared in this process.
    monkeypatch.setenv("ELECTIONWATCH_PREPARE_WORKERS", "1")
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {feed_server.add('/br.xml', body=rss(NATIONAL_OUTLET, lang='pt'))}\n")
    db = ["--db", str(tmp_path / "ew.db")]
    assert main(["poll", "--once", "--config", str(config), *db]) == 0
    capsys.readouterr()
    assert main(["retag", *db]) == 0
    assert "retagged 4 items: 0 changed" in capsys.readouterr().out
    assert main(["explain", "https://noticias.example/4", *db]) == 0
    out = capsys.readouterr().out
    assert "countries: BR" in out
    assert RULE in out

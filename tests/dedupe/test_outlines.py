"""What dedupe keeps in memory: outlines that rule candidate stories out before any fingerprint is decoded,
and compact fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import FeedConfig
from bot.pipeline.dedupe import Candidate, Outline, choose_stories, fingerprint, minhash, stories_worth_comparing
from bot.pipeline.dedupe.decide import NEAR_COPY_SIMILARITY
from bot.pipeline.poll import _DecodedFingerprints, record_fingerprint
from storage import Store
from tests.dedupe.test_decide import item

NOW = datetime(2028, 6, 12, 12, tzinfo=UTC)


def test_stories_with_an_item_of_other_relevance_or_only_other_countries_are_closed() -> None:
    new = fingerprint(item("Mongolia: observers deployed", "ODIHR deployed observers in Mongolia."))
    mongolia, kazakhstan, unknown = frozenset({"MN"}), frozenset({"KZ"}), frozenset[str]()

    def outline(relevant: bool, countries: frozenset[str]) -> Outline:
        return Outline(relevant, countries, "en", new.kinds)

    outlines = {
        1: [(11, outline(True, mongolia)), (12, outline(True, unknown))],
        2: [(21, outline(True, mongolia)), (22, outline(False, mongolia))],
        3: [(31, outline(True, kazakhstan | mongolia))],
        4: [(41, outline(True, mongolia)), (42, outline(True, kazakhstan))],
        5: [(51, outline(True, unknown))],
    }
    assert new.kinds
    assert stories_worth_comparing(new, outlines, lambda item_ids: {}) == [1, 3, 5]


def test_only_stories_that_could_give_enough_evidence_are_worth_decoding() -> None:
    text = "ODIHR deployed 24 long-term observers in Mongolia ahead of the parliamentary elections."
    new = fingerprint(item("Mongolia: observers deployed", text))
    copy = fingerprint(item("Mongolia: ODIHR observers deployed", text, countries=("MN",)))
    other_text = fingerprint(item("Mongolia: weather", "Heavy snow closed roads around Ulaanbaatar on Monday."))
    mongolia = frozenset({"MN"})
    no_kind = frozenset[str]()
    outlines = {
        # A report of the same kind of event in the same country: a possible rewrite or translation.
        1: [(11, Outline(True, mongolia, "ru", new.kinds))],
        # No common kind, other language: nothing could reach the merge score.
        2: [(21, Outline(True, mongolia, "ru", no_kind))],
        # No common kind, same language, a near copy's signature.
        3: [(31, Outline(True, mongolia, "en", no_kind))],
        # No common kind, same language, a different text.
        4: [(41, Outline(True, mongolia, "en", no_kind))],
    }
    asked: list[list[int]] = []

    def signatures(item_ids: list[int]) -> dict[int, minhash.Signature]:
        asked.append(sorted(item_ids))
        return {31: copy.signature, 41: other_text.signature}

    assert new.kinds
    assert minhash.similarity(new.signature, copy.signature) >= NEAR_COPY_SIMILARITY
    assert stories_worth_comparing(new, outlines, signatures) == [1, 3]
    # Signatures are read once, for the same-language items of stories no outline already keeps.
    assert asked == [[31, 41]]


def test_outlines_come_from_stored_fingerprints_even_when_only_the_fingerprint_is_still_decoded(store: Store) -> None:
    feed = store.feeds.add(FeedConfig("https://feed.example/rss", interval_seconds=600), NOW, "test")
    stored = {}
    for number, (countries, relevant) in enumerate([(("MN",), True), (("KZ",), False), ((), True)]):
        news = item(f"Story {number}", f"Text {number}", countries=countries, relevant=relevant)
        story_id = store.items.new_story(NOW)
        item_id = store.items.insert(feed.id, news, story_id, NOW)
        kept = fingerprint(news)
        record_fingerprint(store, story_id, item_id, kept)
        stored[item_id] = Outline(relevant, frozenset(countries), kept.lang, kept.kinds)

    # Nothing kept: every outline is read from the stored features.
    fresh = _DecodedFingerprints(size=10, outlines=10)
    assert fresh.outlines(store, list(stored)) == stored
    # Outlines kept for two items only, fingerprints for all three: the dropped outline is rebuilt.
    small = _DecodedFingerprints(size=10, outlines=2)
    assert small.outlines(store, list(stored)) == stored
    assert small.outlines(store, list(stored)[:1]) == {next(iter(stored)): next(iter(stored.values()))}


def test_an_item_links_two_stories_only_when_no_items_of_theirs_lie_too_far_apart() -> None:
    text = "ODIHR opened an election observation mission in Mongolia with 12 experts and 24 observers."
    new = fingerprint(item("ODIHR opens mission in Mongolia", text))
    earlier = fingerprint(item("ODIHR opens mission in Mongolia", text, hours=-3.5 * 24))
    later_copies = [fingerprint(item("ODIHR opens mission in Mongolia", text, hours=hours)) for hours in (1, 86)]
    close_copy = fingerprint(item("ODIHR opens mission in Mongolia", text, hours=48))
    # Each story alone may take the new item; together they would span more than a week.
    assert choose_stories(new, [Candidate(1, 1, earlier)]) == [1]
    assert choose_stories(new, [Candidate(2, 2 + n, fp) for n, fp in enumerate(later_copies)]) == [2]
    linked = [Candidate(1, 1, earlier), *(Candidate(2, 2 + n, fp) for n, fp in enumerate(later_copies))]
    assert len(choose_stories(new, linked)) == 1
    assert sorted(choose_stories(new, [Candidate(1, 1, earlier), Candidate(2, 2, close_copy)])) == [1, 2]


def test_kept_fingerprints_share_equal_sets_and_words_and_compare_equal() -> None:
    first = fingerprint(item("Mongolia: observers deployed", "ODIHR deployed 12 observers in Mongolia."))
    second = fingerprint(item("Mongolia: count begins", "ODIHR observers follow the count in Mongolia."))
    kept_first, kept_second = first.compact(), second.compact()
    assert kept_first == first
    assert kept_first.signature == first.signature
    assert kept_first.countries is kept_second.countries
    assert kept_first.bodies is kept_second.bodies
    shared_word = next(iter(kept_first.stems & kept_second.stems))
    assert next(s for s in kept_first.stems if s == shared_word) is next(
        s for s in kept_second.stems if s == shared_word
    )
    decoded = type(first).from_json(first.to_json(), first.signature_bytes())
    assert decoded == first
    assert decoded.countries is kept_first.countries

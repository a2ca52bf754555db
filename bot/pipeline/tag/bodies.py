"""Body tags: which election-observation or election-administration bodies an item names."""

from __future__ import annotations

from collections.abc import Mapping

from bot.knowledge import SharedName
from bot.models import Evidence
from bot.pipeline.tag.context import ItemContext
from bot.pipeline.tag.gazetteer import Match

SHARED = "shared"


def body_matches(ctx: ItemContext) -> list[Match]:
    """Entity matches that name a body (international or national with a body tag), except where the
    body does not act: a chief observer who is "a member of the European Parliament", "elections to
    the European Parliament" or "the European Parliament elections" do not make the Parliament an
    actor of the item."""
    return [m for m in ctx.entities if m.entry.kind == "body" and m.entry.value and not _not_acting(ctx, m)]


def _not_acting(ctx: ItemContext, m: Match) -> bool:
    # "member of | the | European Parliament": the cue ends one or two tokens before the name;
    # "European Parliament elections": the cue starts with it. A headline's last word is no cue
    # for the body that opens the lead ("... recall of deputies fails" / "The CEC said ...").
    return ctx.term_at_any("not_acting", (m.first, m.first - 1, m.first - 2), sentence=m.sentence)


def find_bodies(
    ctx: ItemContext,
    parents: Mapping[str, str | None],
    shared: Mapping[str, SharedName],
    observing: Mapping[str, str],
) -> tuple[tuple[str, ...], list[Evidence]]:
    """The most specific bodies named in the item, with one Evidence each.

    A shared name ("Parliamentary Assembly") is given to the choice whose family is otherwise
    named; a body is dropped when a more specific one of its family is present, because the
    parent is implied (osce-odihr implies osce). A body named in a sentence about observing, in a
    relevant item, means its observation mission when it has one (``observing``: EU → EU EOM).
    """
    first: dict[str, Match] = {}
    rules: dict[str, str] = {}
    for m in body_matches(ctx):
        first.setdefault(m.entry.value, m)
        rules.setdefault(m.entry.value, "body-alias" if not m.entry.extra else "national-body")
    for m in ctx.entities:
        if m.entry.kind != SHARED:
            continue
        present = set(first) | {_ancestor for b in first for _ancestor in _ancestors(b, parents)}
        name = shared.get(m.entry.value)
        for choice in name.choices if name else ():
            if parents.get(choice) in present or choice in present:
                first.setdefault(choice, m)
                rules.setdefault(choice, "shared-name-in-family")
                break
    for body, child in observing.items():
        named = first.get(body)
        if named is not None and child not in first and ctx.sentence_has(named.sentence, "observe"):
            first[child] = named
            rules[child] = "body-observing-election"
    implied = {a for b in first for a in _ancestors(b, parents)}
    chosen = tuple(sorted(b for b in first if b not in implied))
    evidence = [Evidence(f"body:{b}", first[b].span, rules[b]) for b in chosen]
    return chosen, evidence


def _ancestors(body: str, parents: Mapping[str, str | None]) -> list[str]:
    out: list[str] = []
    current = parents.get(body)
    while current and current not in out:
        out.append(current)
        current = parents.get(current)
    return out

"""Events and noise: table-driven clustering on real titles, determinism, bursts, the formula."""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from monitor import cluster
from monitor.types import Entity, Item, Member, Signal, TopicHit

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def make(item_id: str, title: str, day: str, *, summary: str = "", source: str = "news",
         url: str | None = None, topics: tuple[str, ...] = ("open_weight_restrictions",),
         authority: str = "news", role: str = "news", extra: dict | None = None,
         entities: tuple[Entity, ...] = (), weight: float = 1.0,
         fetched: str | None = None) -> Member:
    kind = "federal_register" if extra and "document_number" in extra else "feed"
    item = Item(id=item_id, source_id=source, guid=item_id,
                url=url if url is not None else f"https://{source}.example/{item_id}",
                title=title, summary=summary, published=f"{day}T12:00:00+00:00" if day else None,
                kind=kind, extra=extra or {})
    own = list(entities)
    if extra and "document_number" in extra:
        own.append(Entity("fr_doc", extra["document_number"], extra["document_number"]))
    signal = Signal(item_id=item_id, debate="d", version="v", relevance=0.9, relevant=True,
                    topics=tuple(TopicHit(t, ("cue",)) for t in topics), stance="neutral",
                    stance_cues=(), authority=authority, authority_reason="",
                    entities=tuple(own))
    at = datetime.fromisoformat(fetched or "2026-11-27T00:00:00+00:00")
    return cluster.member_of(item, signal, weight=weight, role=role, fetched_at=at, now=NOW)


def fr(item_id: str, number: str, title: str, day: str, doc_type: str = "Notice",
       **kw) -> Member:
    extra = {"document_number": number, "type": doc_type, "publication_date": day}
    extra.update(kw.pop("extra", {}))
    return make(item_id, title, day, source="fr", url=f"https://www.federalregister.gov/d/"
                f"{number}", authority=kw.pop("authority", "official"), role="agency",
                extra=extra, **kw)


def groups(plan) -> set[frozenset[str]]:
    by_event: dict[str, set[str]] = {}
    for a in plan.assignments:
        by_event.setdefault(a.event_id, set()).add(a.item_id)
    return {frozenset(v) for v in by_event.values()}


# Real titles; dates from the public record (reference timeline).
RFC = fr("fr:2024-03763", "2024-03763", "Dual Use Foundation Artificial Intelligence Models "
         "With Widely Available Model Weights", "2024-02-26",
         summary="request for comment on dual-use foundation models with widely available "
                 "model weights", extra={"action": "Notice; request for comment."})
RFC_PRESS = make("ntia:rfc", "NTIA Solicits Comments on Open-Weight AI Models", "2024-02-21",
                 summary="NTIA is seeking comment on the potential risks, benefits and "
                         "policy approaches to dual-use foundation models with widely "
                         "available model weights.", source="ntia", role="agency",
                 authority="official")
SPECTRUM = fr("fr:2023-25649", "2023-25649", "Development of a National Spectrum Strategy",
              "2024-02-26", topics=("open_weight_restrictions",))
NPRM = fr("fr:2024-20529", "2024-20529", "Establishment of Reporting Requirements for the "
          "Development of Advanced Artificial Intelligence Models and Computing Clusters",
          "2024-09-11", doc_type="Proposed Rule", topics=("reporting_requirements",),
          authority="proposed", entities=(Entity("docket", "BIS-2024-0047", "BIS-2024-0047"),))
NPRM_NEWS = make("n:nprm", "U.S. Department of Commerce Proposes Reporting Requirements for "
                 "AI, Cloud Providers", "2024-09-10", topics=("reporting_requirements",))
DOCKET_NEWS = make("n:docket", "Comments pour in on AI reporting rule", "2024-10-01",
                   topics=("reporting_requirements",),
                   entities=(Entity("docket", "BIS-2024-0047", "BIS-2024-0047", 30, 43),))
ENTITY_PRESS = make("bis:entity", "Commerce Adds Entities to the Entity List for Supporting "
                    "Russia's Military", "2024-09-12", source="bis", role="agency",
                    authority="official", topics=("reporting_requirements",))

CASES = {
    "press release joins its FR notice": ([RFC, RFC_PRESS], [{RFC.item_id, RFC_PRESS.item_id}]),
    "two NTIA notices on the same day stay apart": (
        [RFC, SPECTRUM], [{RFC.item_id}, {SPECTRUM.item_id}]),
    "news of a proposed rule joins it": ([NPRM, NPRM_NEWS], [{NPRM.item_id, NPRM_NEWS.item_id}]),
    "a news item citing the docket joins its event": (
        [NPRM, DOCKET_NEWS], [{NPRM.item_id, DOCKET_NEWS.item_id}]),
    "a BIS press release about another rule stays apart": (
        [NPRM, ENTITY_PRESS], [{NPRM.item_id}, {ENTITY_PRESS.item_id}]),
    "public inspection and publication are one document": (
        [fr("pi:2025-00636", "2025-00636", "Framework for Artificial Intelligence Diffusion",
            "2025-01-15", doc_type="Rule", extra={"filed_at": "2025-01-10T08:45:00-05:00"}),
         fr("fr:2025-00636", "2025-00636", "Framework for Artificial Intelligence Diffusion",
            "2025-01-15", doc_type="Rule")],
        [{"pi:2025-00636", "fr:2025-00636"}]),
    "the same story syndicated with tracking links is one": (
        [make("a:1", "White House says no need to restrict open-source AI", "2024-07-30",
              summary="The administration said it would not restrict open models for now.",
              url="https://thejournal.example/wh"),
         make("b:1", "White House says no need to restrict open-source AI", "2024-07-30",
              summary="The administration said it would not restrict open models for now.",
              url="https://campustech.example/wh")],
        [{"a:1", "b:1"}]),
    "the rule and its rescission months later stay apart": (
        [fr("fr:2025-00636", "2025-00636", "Framework for Artificial Intelligence Diffusion",
            "2025-01-15", doc_type="Rule", topics=("weight_export_controls",)),
         make("c:1", "Department of Commerce Announces Rescission of Biden-Era Artificial "
              "Intelligence Diffusion Rule", "2025-05-13", topics=("weight_export_controls",),
              role="agency", authority="official")],
        [{"fr:2025-00636"}, {"c:1"}]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_clustering(case):
    members, expected = CASES[case]
    plan = cluster.plan(members, [], "d")
    assert groups(plan) == {frozenset(g) for g in expected}
    assert len(plan.new_events) == len(expected)


def test_any_order_gives_the_same_events():
    members = [RFC, RFC_PRESS, SPECTRUM, NPRM, NPRM_NEWS, DOCKET_NEWS, ENTITY_PRESS]
    expected = groups(cluster.plan(members, [], "d"))
    for order in itertools.islice(itertools.permutations(members), 0, 5040, 97):
        assert groups(cluster.plan(list(order), [], "d")) == expected


def test_late_items_attach_and_merges_are_recorded():
    first = cluster.plan([NPRM], [], "d")
    (event_id, _), = first.new_events
    stored = [replace(NPRM, event_id=event_id)]
    late = cluster.plan([DOCKET_NEWS], stored, "d")
    assert late.new_events == ()
    assert late.assignments[0].event_id == event_id
    assert "BIS-2024-0047" in late.assignments[0].via
    # Two stored events joined by a new item that is the same document as both
    other = cluster.plan([NPRM_NEWS], [], "d")
    (other_id, _), = other.new_events
    context = [replace(NPRM, event_id=event_id), replace(NPRM_NEWS, event_id=other_id)]
    bridge = make("n:bridge", "Commerce Proposes Reporting Requirements for AI models",
                  "2024-09-11", topics=("reporting_requirements",),
                  entities=(Entity("docket", "BIS-2024-0047", "BIS-2024-0047", 0, 5),))
    merged = cluster.plan([bridge], context, "d")
    if len({event_id, other_id}) == 2 and merged.merges:
        (src, dst, _), = merged.merges
        assert {src, dst} == {event_id, other_id} and dst == min(event_id, other_id)


def test_burst_of_wire_copies_is_one_event_in_bounded_time():
    copies = [make(f"w:{i}", "Lawmakers weigh ban on open-weight AI models",
                   "2025-02-03", summary="A wire story about restricting open weights.",
                   source=f"outlet{i % 300}", url=f"https://outlet{i}.example/story?utm_x={i}")
              for i in range(5000)]
    started = time.monotonic()
    plan = cluster.plan(copies, [], "d")
    assert time.monotonic() - started < 300  # a guard against quadratic work, not a benchmark
    assert len(plan.new_events) == 1
    roles = [a.role for a in plan.assignments]
    assert roles.count("member") == 1 and roles.count("echo") == 4999
    rows = [(m, a.role) for m, a in zip(sorted(copies, key=lambda m: m.item_id),
                                        plan.assignments, strict=True)]
    p = cluster.profile("e", rows, NOW)
    assert p.items == 1 and p.echo == 4999


def test_undated_and_future_items():
    undated = make("u:1", "Restrict open weights?", "", fetched="2026-11-20T10:00:00+00:00")
    assert undated.published == datetime(2026, 11, 20, 10, tzinfo=UTC)
    future = make("f:1", "Restrict open weights?", "2031-01-01")
    assert future.published == NOW


def test_noise_formula_by_hand():
    """Two items from two outlets, 0 and 3 days old, weights 1.0 and 0.5:
    attention now = 1.0 × 0.5^(0/3) + 0.5 × 0.5^(3/3) = 1.25 (the older item was
    published first); peak = at the second item: 0.5 × 0.5^(3/3) + 1.0 = 1.25;
    raw = 1.25 × (1 + log2(2)) = 2.5. Among peers with raw 1, 2, 3, 4 the
    percentile is 2/4 = 0.5; with 4 peers (fewer than 20) noise blends
    4/20 × 0.5 with 16/20 × (1 − e^(−2.5/4)): 0.1 + 0.8 × 0.46474 = 0.47179 → 47.2."""
    older = make("a", "Open weights", "2026-11-24", source="one", weight=0.5)
    newer = make("b", "Open weights", "2026-11-27", source="two", weight=1.0)
    p = cluster.profile("e", [(older, "member"), (newer, "member")], NOW)
    assert p.attention == pytest.approx(1.25, abs=1e-3)
    assert p.peak_attention == pytest.approx(1.25, abs=1e-3)
    assert p.outlets == 2 and p.raw == pytest.approx(2.5, abs=1e-3)
    noise, pct = cluster.noise_from(2.5, [1.0, 2.0, 3.0, 4.0])
    assert pct == 0.5
    assert noise == pytest.approx(100 * (0.2 * 0.5 + 0.8 * (1 - math.exp(-2.5 / 4))), abs=0.1)
    assert noise == 47.2


def test_noise_is_a_percentile_with_enough_peers():
    peers = [float(i) for i in range(40)]
    assert cluster.noise_from(30.0, peers)[0] == pytest.approx(100 * 30.5 / 40, abs=0.1)
    assert cluster.noise_from(1000.0, peers)[0] == 100.0
    assert cluster.noise_from(0.0, [])[0] == 0.0


def test_event_takes_title_and_date_from_the_official_document():
    eo = fr("fr:2023-24283", "2023-24283", "Safe, Secure, and Trustworthy Development and Use "
            "of Artificial Intelligence", "2023-11-01", doc_type="Presidential Document",
            authority="final", topics=("reporting_requirements",),
            extra={"signing_date": "2023-10-30", "subtype": "Executive Order",
                   "executive_order_number": 14110})
    news = make("n:eo", "Biden issues executive order on improving AI safety", "2023-10-31",
                topics=("reporting_requirements",))
    plan = cluster.plan([eo, news], [], "d")
    assert len(plan.new_events) == 1
    p = cluster.profile("e", [(eo, "member"), (news, "member")], NOW)
    assert p.title.startswith("Safe, Secure") and p.date.isoformat() == "2023-10-30"
    assert p.kind == "executive_order" and p.authority == "final"


@pytest.mark.parametrize(("shares", "level"), [
    ([0.1] * 10 + [0.1], "normal"),
    ([0.1, 0.2] * 5 + [0.25], "elevated"),
    ([0.1, 0.2] * 5 + [0.3], "loud"),
    ([0.1, 0.2] * 5 + [0.9], "surge"),
    ([0.1, 0.2] * 5 + [0.0], "quiet"),
])
def test_noise_levels(shares, level):
    start = datetime(2026, 1, 1)
    days = [((start + timedelta(days=i)).date(), round(s * 100), 100)
            for i, s in enumerate(shares)]
    assert cluster.noise_levels(days)[-1].level == level


def test_noise_levels_need_history():
    assert [d.level for d in cluster.noise_levels([(date(2026, 1, 1), 5, 10)])] == ["normal"]


def test_clustering_scales_through_the_index():
    rng = random.Random(7)
    words = [f"w{i}" for i in range(3000)]
    members = [make(f"x:{i}", " ".join(rng.sample(words, 8)),
                    (datetime(2025, 1, 1) + timedelta(days=i // 40)).date().isoformat())
               for i in range(4000)]
    started = time.monotonic()
    plan = cluster.plan(members, [], "d")
    assert time.monotonic() - started < 300  # a guard against quadratic work, not a benchmark
    assert len(plan.assignments) == 4000


def test_likeness_does_not_chain_stories_into_a_months_long_event():
    """The same headline every five days for three months: similarity joins neighbours, but
    never into one event spanning more than 30 days."""
    start = datetime(2025, 1, 1)
    members = [make(f"r:{i}", "Lawmakers weigh ban on open-weight AI models",
                    (start + timedelta(days=5 * i)).date().isoformat(),
                    summary=f"Weekly roundup number {i} on restricting open weights.",
                    url=f"https://outlet.example/{i}") for i in range(19)]
    plan = cluster.plan(members, [], "d")
    days = {m.item_id: m.published for m in members}
    assert len(plan.new_events) >= 3
    for group in groups(plan):
        span = max(days[i] for i in group) - min(days[i] for i in group)
        assert span <= timedelta(days=30)


def test_a_crowded_fortnight_still_joins_each_story():
    """300 items in one week all say "open-weight"; among them, stories of three copies each
    (a shared rare headline). The crowded words offer each item only their nearest users
    (MAX_SHARING), so every story still comes together and no two stories merge."""
    rng = random.Random(3)
    members = []
    for story in range(100):  # each story its own four made-up words
        headline = " ".join("".join(rng.choices("bcdfghjklmnpqrstvwxz", k=7)) for _ in range(4))
        for copy in range(3):
            day = (datetime(2025, 3, 3) + timedelta(days=story % 7)).date().isoformat()
            members.append(make(f"s:{story}:{copy}", f"Open-weight {headline}", day,
                                summary=f"{headline} {copy}",
                                url=f"https://outlet{copy}.example/{story}"))
    assert len(members) > 3 * cluster.MAX_SHARING
    plan = cluster.plan(members, [], "d")
    assert groups(plan) == {frozenset(f"s:{story}:{copy}" for copy in range(3))
                            for story in range(100)}

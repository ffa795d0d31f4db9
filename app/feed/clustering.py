"""Grouping articles into issues across outlets: syndicated copies and same-event coverage.

An article joins an open issue when

* it belongs to a story group (ingestion's syndicated copies) already in that issue: always; or
* its TF-IDF vector (headline counted ``title_weight`` times, plus the first ``lead_words``
  content words of the text) has cosine similarity with the issue's centroid of at least
  ``threshold``, where shared entities add ``entity_bonus`` each (at most ``entity_bonus_cap``)
  once the cosine alone reaches ``entity_min_cosine``, and a headline bonus (below) is added; and
* it was published within ``window`` of the issue's first or last article.

The headline bonus: outlets that tell one story write different leads (each its own quotes and
background) but close headlines, and the headline is what an analyst reads to call two articles
one story. Each issue keeps a second centroid of its members' headlines alone (``headline_terms``
heaviest terms); an article whose headline has cosine ``h`` with it gains
``headline_bonus * (h - headline_min)`` when ``h`` exceeds ``headline_min``.

Otherwise it opens a new issue. Assignment is online: :class:`Clusterer` holds the open issues
(restored from :class:`IssueState` snapshots, which is what the database stores) and places one
article at a time, so new articles can join issues from earlier runs. Centroids are the sum of
member vectors cut to the ``centroid_terms`` heaviest terms after every addition; the snapshot
therefore restores the exact state, and an inverted index over centroid terms keeps the cost per
article proportional to the issues that share a term with it, not to all open issues.

Everything is deterministic: items are placed in the order given (:func:`cluster` sorts by time
then id), ties go to the older issue key, and sums run in sorted term order.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Literal

from app.feed.text import content_tokens, lead_tokens

Vector = dict[str, float]


@dataclass(frozen=True, slots=True)
class ClusterItem:
    """An article as the clustering sees it."""

    id: str
    published_at: datetime
    title: str
    text: str
    outlet: str
    entities: frozenset[str] = frozenset()
    story_group_id: int | None = None
    watchlists: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Parameters of the clustering; the defaults were tuned on the real 2019 corpus.

    ``threshold`` 0.25 was chosen on the hand-labelled check set (bench/HISTORY.md, "Issue
    clustering"): 0.30 keeps precision at 0.98 but splits events (recall 0.62); 0.20 lifts
    recall to 0.84 but grows the law-revision issue to ~200 articles of a whole week.
    The headline bonus (0.4 above a headline cosine of 0.3, once the full cosine reaches 0.1)
    was chosen the same way (bench/HISTORY.md, "Headline bonus"): recall 0.69 -> 0.81 at the
    same precision; a floor of 0.2 or 0.1 lifted recall further but merged distinct stories.
    """

    window: timedelta = timedelta(hours=72)
    threshold: float = 0.25
    entity_bonus: float = 0.05
    entity_bonus_cap: float = 0.10
    entity_min_cosine: float = 0.15
    title_weight: int = 3
    lead_words: int = 40
    centroid_terms: int = 60
    headline_bonus: float = 0.4
    headline_min: float = 0.3
    headline_terms: int = 30
    headline_min_cosine: float = 0.1


@dataclass(frozen=True, slots=True)
class Idf:
    """Inverse document frequencies; unseen terms get the weight of a term seen once."""

    doc_count: int
    df: Mapping[str, int]
    # Weights computed so far (every article's terms are weighed again when it is placed).
    _weights: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def weight(self, term: str) -> float:
        """Smoothed IDF, ``ln((1 + N) / (1 + df)) + 1`` (as scikit-learn's default)."""
        known = self._weights.get(term)
        if known is None:
            known = math.log((1 + self.doc_count) / (1 + self.df.get(term, 1))) + 1.0
            self._weights[term] = known
        return known


def item_terms(title: str, text: str, config: ClusterConfig) -> Counter[str]:
    """Term counts of an article: the headline ``title_weight`` times plus the lead's words.

    Headlines weigh most because they name the event and are intact in every copy (scraped
    bodies sometimes lose names); the lead keeps two one-word headlines apart.
    """
    return Counter(dict(_terms(title, text, config)))


Terms = tuple[tuple[str, int], ...]  # an article's term counts, in first-seen order

# Term counts by (title, lead, config), least recently used first. The IDF is fitted on the
# newest articles (3,000 by default), which are the ones clustered next, so each article is
# counted once. An entry holds its title and lead (<= 1,200 characters): ~20 MB in all.
# Counts made in another process (the CPU pool) are handed over with `remember_terms`.
_TERMS: OrderedDict[tuple[str, str, ClusterConfig], Terms] = OrderedDict()
_TERMS_MAX = 4096


def count_terms(title: str, text: str, config: ClusterConfig) -> Terms:
    """The term counts `item_terms` gives, as a picklable tuple: what the CPU pool computes
    for `remember_terms` (pure)."""
    counts: Counter[str] = Counter()
    for tok in content_tokens(title):
        counts[tok] += config.title_weight
    counts.update(lead_tokens(text, config.lead_words))
    return tuple(counts.items())


def count_terms_batch(documents: list[tuple[str, str]], config: ClusterConfig) -> list[Terms]:
    """`count_terms` of each (title, text) pair (a batch for the CPU pool)."""
    return [count_terms(title, text, config) for title, text in documents]


def remember_terms(title: str, text: str, config: ClusterConfig, terms: Terms) -> None:
    """Hand over counts made by `count_terms` in another process, so clustering this article
    (and the IDF fit that reads it) does not tokenise it again in this one."""
    key = (title, text, config)
    _TERMS[key] = terms
    _TERMS.move_to_end(key)
    if len(_TERMS) > _TERMS_MAX:
        _TERMS.popitem(last=False)


def uncounted(documents: Iterable[tuple[str, str]], config: ClusterConfig) -> list[tuple[str, str]]:
    """The (title, text) pairs whose term counts this process holds no longer (or never did),
    each once: what to count elsewhere before `fit_idf` reads them all."""
    missing = {d: None for d in documents if (d[0], d[1], config) not in _TERMS}
    return list(missing)


def _terms(title: str, text: str, config: ClusterConfig) -> Terms:
    key = (title, text, config)
    terms = _TERMS.get(key)
    if terms is None:
        terms = count_terms(title, text, config)
        remember_terms(title, text, config, terms)
    else:
        _TERMS.move_to_end(key)
    return terms


@lru_cache(maxsize=4096)
def _headline_counts(title: str) -> tuple[tuple[str, int], ...]:
    return tuple(Counter(content_tokens(title)).items())


def headline_vector(title: str, idf: Idf) -> Vector:
    """Unit TF-IDF vector of the headline alone (the headline bonus compares these)."""
    return vectorize(dict(_headline_counts(title)), idf)


def fit_idf(documents: Iterable[tuple[str, str]], config: ClusterConfig | None = None) -> Idf:
    """Fit an :class:`Idf` on (title, text) pairs, counting the terms clustering looks at."""
    config = config or ClusterConfig()
    df: Counter[str] = Counter()
    n = 0
    for title, text in documents:
        df.update(item_terms(title, text, config).keys())
        n += 1
    return Idf(n, dict(df))


def vectorize(counts: Mapping[str, float], idf: Idf) -> Vector:
    """Unit-length TF-IDF vector with sublinear term frequency (``1 + ln tf``)."""
    vec = {t: (1.0 + math.log(c)) * idf.weight(t) for t, c in counts.items() if c > 0}
    norm = math.sqrt(sum(w * w for w in vec.values()))
    return {t: w / norm for t, w in vec.items()} if norm else {}


def _heaviest(vec: Mapping[str, float]) -> list[tuple[str, float]]:
    """The terms by weight, heaviest first, ties by term: two sorts on C-level keys (the
    second is stable, so equal weights keep the first's term order), cheaper than one sort
    on a (-weight, term) key built per item."""
    ordered = sorted(vec.items(), key=itemgetter(0))
    ordered.sort(key=itemgetter(1), reverse=True)
    return ordered


def _top(vec: Mapping[str, float], k: int) -> Vector:
    if len(vec) <= k:
        return dict(vec)
    return dict(_heaviest(vec)[:k])


@dataclass(frozen=True, slots=True)
class IssueState:
    """A snapshot of an open issue: what the database keeps to resume clustering."""

    key: str
    centroid: tuple[tuple[str, float], ...]  # summed member vectors, heaviest terms first
    member_count: int
    first_seen: datetime
    last_seen: datetime
    story_groups: frozenset[int] = frozenset()
    entities: frozenset[str] = frozenset()
    outlets: frozenset[str] = frozenset()
    watchlists: frozenset[int] = frozenset()
    headlines: tuple[tuple[str, float], ...] = ()  # summed member headline vectors, heaviest first

    def top_terms(self, k: int = 10) -> tuple[str, ...]:
        """The ``k`` heaviest centroid terms."""
        return tuple(t for t, _ in self.centroid[:k])


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one article went and why."""

    item_id: str
    issue_key: str
    reason: Literal["story-group", "similar", "new"]
    score: float  # cosine plus entity bonus against the chosen issue (0 for a new issue)


@dataclass(slots=True)
class _Open:
    key: str
    centroid: Vector
    norm: float
    count: int
    first_seen: datetime
    last_seen: datetime
    story_groups: set[int] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    outlets: set[str] = field(default_factory=set)
    watchlists: set[int] = field(default_factory=set)
    headlines: Vector = field(default_factory=dict)
    headline_norm: float = 1.0

    def snapshot(self) -> IssueState:
        ordered = tuple(_heaviest(self.centroid))
        heads = tuple(_heaviest(self.headlines))
        return IssueState(
            self.key,
            ordered,
            self.count,
            self.first_seen,
            self.last_seen,
            frozenset(self.story_groups),
            frozenset(self.entities),
            frozenset(self.outlets),
            frozenset(self.watchlists),
            heads,
        )


class Clusterer:
    """Online assignment of articles to issues. Pure: no I/O, deterministic."""

    def __init__(
        self,
        *,
        idf: Idf,
        config: ClusterConfig | None = None,
        states: Iterable[IssueState] = (),
    ) -> None:
        self.idf = idf
        self.config = config or ClusterConfig()
        self._open: dict[str, _Open] = {}
        self._postings: dict[str, dict[str, float]] = {}  # term -> issue key -> centroid weight
        self._groups: dict[int, str] = {}  # story group -> the issue holding it (least key)
        self._holders: dict[int, set[str]] = {}  # story group -> every issue that has it
        self.load(states)

    def load(self, states: Iterable[IssueState]) -> None:
        """Hold these issues as their snapshots say (an issue already held is replaced)."""
        for state in states:
            if state.key in self._open:
                self.remove([state.key])
            issue = _Open(
                state.key,
                dict(state.centroid),
                0.0,
                state.member_count,
                state.first_seen,
                state.last_seen,
                set(state.story_groups),
                set(state.entities),
                set(state.outlets),
                set(state.watchlists),
                dict(state.headlines),
            )
            self._reindex(issue, {})

    def remove(self, keys: Iterable[str]) -> None:
        """Forget these issues (unknown keys are ignored), as if they had never been loaded.

        A story group held by a forgotten issue and by another one moves to the other (the
        least key, as if the clusterer had been built without the forgotten issues).
        """
        orphans: set[int] = set()
        for key in keys:
            issue = self._open.pop(key, None)
            if issue is None:
                continue
            for term in issue.centroid:
                del self._postings[term][key]
            self._release(issue)
            for group in issue.story_groups:
                if self._groups.get(group) == key:
                    del self._groups[group]
                    orphans.add(group)
        for group in orphans:
            holders = self._holders.get(group)
            if holders:
                self._groups[group] = min(holders)

    def keys(self) -> set[str]:
        """The keys of the issues held."""
        return set(self._open)

    def states(self) -> list[IssueState]:
        """Snapshots of every issue this clusterer holds, by key."""
        return [self._open[k].snapshot() for k in sorted(self._open)]

    def snapshots(self, keys: Iterable[str]) -> dict[str, IssueState]:
        """Snapshots of the given issues only (a batch touches few of the issues it holds)."""
        return {k: self._open[k].snapshot() for k in sorted(set(keys))}

    def add(self, item: ClusterItem) -> Assignment:
        """Place one article: its story group's issue, else the most similar open issue, else
        a new issue keyed by the article id."""
        vec = vectorize(item_terms(item.title, item.text, self.config), self.idf)
        head = headline_vector(item.title, self.idf)
        group_key = self._groups.get(item.story_group_id) if item.story_group_id else None
        if group_key is not None:
            self._join(self._open[group_key], item, vec, head)
            return Assignment(item.id, group_key, "story-group", 1.0)
        best = self._best(item, vec, head)
        if best is not None:
            key, score = best
            self._join(self._open[key], item, vec, head)
            return Assignment(item.id, key, "similar", score)
        issue = _Open(item.id, {}, 0.0, 0, item.published_at, item.published_at)
        self._open[item.id] = issue
        self._join(issue, item, vec, head)
        return Assignment(item.id, item.id, "new", 0.0)

    def _best(self, item: ClusterItem, vec: Vector, head: Vector) -> tuple[str, float] | None:
        dots: dict[str, float] = {}
        dot_of = dots.get
        postings = self._postings
        for term, weight in sorted(vec.items()):  # terms are unique: sorted by term
            posting = postings.get(term)
            if posting:
                for key, centroid_weight in posting.items():
                    dots[key] = dot_of(key, 0.0) + weight * centroid_weight
        cfg = self.config
        # The window test "first_seen - window <= published_at <= last_seen + window", with
        # the item's bounds computed once (datetime arithmetic is exact).
        earliest, latest = item.published_at - cfg.window, item.published_at + cfg.window
        threshold, floor = cfg.threshold, cfg.headline_min_cosine
        cap = cfg.entity_bonus_cap
        head_cap = cap + cfg.headline_bonus * max(0.0, 1.0 - cfg.headline_min)
        best: tuple[float, str] | None = None
        opened = self._open
        for key, dot in dots.items():
            issue = opened[key]
            cosine = dot / issue.norm
            # Skip what not even the largest bonuses could lift (headline: only past its floor).
            if cosine + (head_cap if cosine >= floor else cap) < threshold:
                continue
            if not (issue.first_seen <= latest and earliest <= issue.last_seen):
                continue
            score = cosine
            if cosine >= cfg.entity_min_cosine and item.entities:
                shared = len(item.entities & issue.entities)
                score += min(cfg.entity_bonus_cap, cfg.entity_bonus * shared)
            if cosine >= floor and issue.headlines:
                heads = issue.headlines
                similar = sum(w * heads.get(t, 0.0) for t, w in head.items()) / issue.headline_norm
                if similar > cfg.headline_min:
                    score += cfg.headline_bonus * (similar - cfg.headline_min)
            if score >= threshold and (
                best is None or score > best[0] or (score == best[0] and key < best[1])
            ):
                best = (score, key)
        return None if best is None else (best[1], best[0])

    def _join(self, issue: _Open, item: ClusterItem, vec: Vector, head: Vector) -> None:
        before = issue.centroid
        summed = dict(before)
        for term, weight in vec.items():
            summed[term] = summed.get(term, 0.0) + weight
        issue.centroid = _top(summed, self.config.centroid_terms)
        heads = dict(issue.headlines)
        for term, weight in head.items():
            heads[term] = heads.get(term, 0.0) + weight
        issue.headlines = _top(heads, self.config.headline_terms)
        issue.count += 1
        issue.first_seen = min(issue.first_seen, item.published_at)
        issue.last_seen = max(issue.last_seen, item.published_at)
        issue.outlets.add(item.outlet)
        issue.entities |= item.entities
        issue.watchlists |= item.watchlists
        if item.story_group_id is not None:
            issue.story_groups.add(item.story_group_id)
        self._reindex(issue, before, vec)

    def _reindex(
        self, issue: _Open, before: Mapping[str, float], changed: Mapping[str, float] | None = None
    ) -> None:
        """Index the issue's centroid; with `changed` (the terms just added to a centroid that
        was `before`), only the postings whose weight can differ are written again."""
        self._open[issue.key] = issue
        issue.norm = math.sqrt(sum(w * w for w in issue.centroid.values())) or 1.0
        issue.headline_norm = math.sqrt(sum(w * w for w in issue.headlines.values())) or 1.0
        key = issue.key
        postings = self._postings
        for term in before.keys() - issue.centroid.keys():
            del postings[term][key]
        for term, weight in issue.centroid.items():
            if changed is None or term in changed or term not in before:
                postings.setdefault(term, {})[key] = weight
        holders = self._holders
        for group in issue.story_groups:
            self._hold_group(group, key)
            holders.setdefault(group, set()).add(key)

    def _release(self, issue: _Open) -> None:
        """Forget that this issue has its story groups (it is no longer held)."""
        for group in issue.story_groups:
            holders = self._holders.get(group)
            if holders is not None:
                holders.discard(issue.key)
                if not holders:
                    del self._holders[group]

    def _hold_group(self, group: int, key: str) -> None:
        # Two issues hold one story group only when both were loaded with it (an article of
        # the group joins the issue that holds it): the least key wins, so the result does
        # not depend on the order the issues were loaded in.
        held = self._groups.get(group)
        if held is None or key < held:
            self._groups[group] = key

    def close_before(self, cutoff: datetime) -> list[IssueState]:
        """Forget issues whose last article is older than ``cutoff - window``; return them."""
        closed = [
            k for k, issue in self._open.items() if issue.last_seen < cutoff - self.config.window
        ]
        out = []
        for key in sorted(closed):
            issue = self._open.pop(key)
            for term in issue.centroid:
                del self._postings[term][key]
            self._release(issue)
            for group in issue.story_groups:
                if self._groups.get(group) == key:
                    del self._groups[group]
            out.append(issue.snapshot())
        return out


@dataclass(frozen=True, slots=True)
class IssueCluster:
    """An issue found by :func:`cluster`: its final state and its articles in placement order."""

    state: IssueState
    item_ids: tuple[str, ...]


def cluster(
    items: Sequence[ClusterItem], *, idf: Idf | None = None, config: ClusterConfig | None = None
) -> list[IssueCluster]:
    """Cluster a batch from scratch, oldest first; the IDF is fitted on the batch if not given.

    Returns issues ordered by their first article (time, then key).
    """
    config = config or ClusterConfig()
    ordered = sorted(items, key=lambda i: (i.published_at, i.id))
    idf = idf or fit_idf(((i.title, i.text) for i in ordered), config)
    clusterer = Clusterer(idf=idf, config=config)
    members: dict[str, list[str]] = {}
    closed: list[IssueState] = []
    day = None
    for item in ordered:
        if item.published_at.date() != day:  # closing costs a scan of the open issues
            day = item.published_at.date()
            closed.extend(clusterer.close_before(item.published_at))
        members.setdefault(clusterer.add(item).issue_key, []).append(item.id)
    states = {s.key: s for s in [*closed, *clusterer.states()]}
    return [
        IssueCluster(states[key], tuple(ids))
        for key, ids in sorted(members.items(), key=lambda kv: (states[kv[0]].first_seen, kv[0]))
    ]


_TITLE_IDF = Idf(1, {})  # titles are ranked against the centroid: a flat IDF is enough


@lru_cache(maxsize=16_384)
def _title_vector(title: str, config: ClusterConfig) -> Mapping[str, float]:
    # Every recount of an issue ranks all its members' headlines again: vectorise each once.
    return vectorize(item_terms(title, "", config), _TITLE_IDF)


def central_title(
    titles: Sequence[str], centroid: Mapping[str, float], config: ClusterConfig
) -> str:
    """The issue's title: the most central headline, its words only, against the issue's
    centroid. Ties go to the earlier title (pass them in publication order); none gives ''."""
    best, best_score = "", -1.0
    for title in titles:
        value = sum(w * centroid.get(t, 0.0) for t, w in _title_vector(title, config).items())
        if value > best_score + 1e-12:
            best, best_score = title, value
    return best

"""Scoring a clustering of the real corpus against the hand-labelled events (tests/feed/events.py).

B-cubed precision and recall over the labelled articles: for each labelled article, the share of
labelled articles in its issue that belong to its event (precision, "unrelated articles do not
join") and the share of its event that sits in its issue (recall, "one event, one issue").

Shared stories, over the whole corpus and without labels: two articles of different outlets
published within 48 hours whose *bodies* have TF-IDF cosine >= 0.4 and whose headlines share a
content word tell one story (read on a sample: below 0.4 the pairs drift into same-topic
coverage). The clustering reads only the headline and the first 40 words, so the bodies are an
independent witness. Reported: the share of such articles left alone in a one-article issue,
and the share of such pairs placed in one issue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sklearn.feature_extraction.text import TfidfVectorizer

from app.feed.clustering import ClusterConfig, ClusterItem, IssueCluster, cluster
from app.feed.text import content_tokens
from tests.farm.corpus import Article
from tests.feed.events import EVENTS

Events = Mapping[str, tuple[str, ...]]
SHARED_BODY_COSINE = 0.4
SHARED_WINDOW = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class EventReport:
    name: str
    size: int
    in_main_issue: int  # articles of the event in the issue holding most of them
    outlets: int  # outlets of the event represented in that issue
    main_issue_size: int  # every article of that issue, labelled or not
    intruders: tuple[str, ...]  # titles in that issue from *other* labelled events


@dataclass(frozen=True, slots=True)
class CheckResult:
    precision: float
    recall: float
    events: tuple[EventReport, ...]
    issues: int
    articles: int
    single_issues: int  # issues of one article
    shared_articles: int  # articles with a cross-outlet twin (module docstring)
    shared_alone: int  # of those, the ones alone in their issue
    shared_pairs: int
    shared_pairs_together: int

    @property
    def shared_singleton_share(self) -> float:
        return self.shared_alone / self.shared_articles if self.shared_articles else 0.0

    def lines(self) -> list[str]:
        out = [
            f"{self.articles} articles -> {self.issues} issues ({self.single_issues} of one "
            f"article); labelled events: B-cubed precision {self.precision:.3f}, recall "
            f"{self.recall:.3f}",
            f"  shared stories: {self.shared_alone}/{self.shared_articles} articles alone "
            f"({self.shared_singleton_share:.1%}); {self.shared_pairs_together}/"
            f"{self.shared_pairs} pairs in one issue",
        ]
        for e in self.events:
            out.append(
                f"  {e.name:20s} {e.in_main_issue:3d}/{e.size:<3d} in one issue "
                f"({e.outlets} outlets; issue has {e.main_issue_size} articles, "
                f"{len(e.intruders)} from other labelled events)"
            )
        return out


def to_items(articles: list[Article]) -> list[ClusterItem]:
    return [ClusterItem(a.id, a.published_at, a.title, a.body, a.outlet) for a in articles]


@cache
def _shared_pairs(articles: tuple[Article, ...]) -> tuple[tuple[str, str], ...]:
    vectorizer = TfidfVectorizer(analyzer=content_tokens, sublinear_tf=True)
    matrix = vectorizer.fit_transform([a.body for a in articles])
    cosine = (matrix @ matrix.T).tocoo()
    out = []
    for i, j, value in zip(cosine.row, cosine.col, cosine.data, strict=True):
        a, b = articles[i], articles[j]
        if (
            i < j
            and value >= SHARED_BODY_COSINE
            and a.outlet != b.outlet
            and abs(a.published_at - b.published_at) <= SHARED_WINDOW
            and set(content_tokens(a.title)) & set(content_tokens(b.title))
        ):
            out.append((a.id, b.id))
    return tuple(sorted(out))


def check(
    issues: list[IssueCluster], articles: list[Article], events: Events = EVENTS
) -> CheckResult:
    label = {aid: name for name, ids in events.items() for aid in ids}
    by_id = {a.id: a for a in articles}
    issue_of = {aid: i for i, issue in enumerate(issues) for aid in issue.item_ids}
    members: dict[int, list[str]] = {}
    for aid in label:
        members.setdefault(issue_of[aid], []).append(aid)
    precision = recall = 0.0
    for aid, name in label.items():
        mates = members[issue_of[aid]]
        same = sum(1 for m in mates if label[m] == name)
        precision += same / len(mates)
        recall += same / len(events[name])
    reports = []
    for name, ids in events.items():
        counts = Counter(issue_of[a] for a in ids)
        main, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        in_main = [a for a in ids if issue_of[a] == main]
        intruders = tuple(by_id[m].title for m in members[main] if label[m] != name)
        reports.append(
            EventReport(
                name,
                len(ids),
                n,
                len({by_id[a].outlet for a in in_main}),
                len(issues[main].item_ids),
                intruders,
            )
        )
    sizes = [len(issue.item_ids) for issue in issues]
    pairs = _shared_pairs(tuple(articles))
    shared = {aid for pair in pairs for aid in pair}
    return CheckResult(
        precision / len(label),
        recall / len(label),
        tuple(reports),
        len(issues),
        len(articles),
        sizes.count(1),
        len(shared),
        sum(1 for aid in shared if sizes[issue_of[aid]] == 1),
        len(pairs),
        sum(1 for a, b in pairs if issue_of[a] == issue_of[b]),
    )


def run(
    articles: list[Article], config: ClusterConfig | None = None, events: Events = EVENTS
) -> CheckResult:
    return check(cluster(to_items(articles), config=config), articles, events)

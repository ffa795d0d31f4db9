"""Scoring a clustering of the real corpus against the hand-labelled events (tests/feed/events.py).

B-cubed precision and recall over the labelled articles: for each labelled article, the share of
labelled articles in its issue that belong to its event (precision, "unrelated articles do not
join") and the share of its event that sits in its issue (recall, "one event, one issue").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.feed.clustering import ClusterConfig, ClusterItem, IssueCluster, cluster
from tests.farm.corpus import Article
from tests.feed.events import EVENTS


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

    def lines(self) -> list[str]:
        out = [
            f"{self.articles} articles -> {self.issues} issues; labelled events: B-cubed "
            f"precision {self.precision:.3f}, recall {self.recall:.3f}"
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


def check(issues: list[IssueCluster], articles: list[Article]) -> CheckResult:
    label = {aid: name for name, ids in EVENTS.items() for aid in ids}
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
        recall += same / len(EVENTS[name])
    reports = []
    for name, ids in EVENTS.items():
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
    return CheckResult(
        precision / len(label), recall / len(label), tuple(reports), len(issues), len(articles)
    )


def run(articles: list[Article], config: ClusterConfig | None = None) -> CheckResult:
    return check(cluster(to_items(articles), config=config), articles)

"""Analyst labels: stored as history; the newest label of an article wins over the model.

Effective values when an analyst label exists: ``label`` is the analyst's, ``negativity`` is
1.0 for "negative" and 0.0 otherwise, ``confidence`` 1.0, ``label_source`` "analyst". The
model's own output stays in ``model_label`` / ``model_negativity`` (and, per entity, in
``model_label`` / ``model_negativity`` of each ``targets`` entry), so re-scoring can refresh it
without touching the analyst's decision. Issues holding the article are recounted at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput, NotFound
from app.models import Article, IssueArticle, LabelOverride, WatchedEntity
from app.services.issue_metrics import recompute_issues

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class NewLabel:
    label: str
    targets: Sequence[tuple[str, str]] = ()  # (entity name, label)
    note: str | None = None


def analyst_negativity(label: str) -> float:
    return 1.0 if label == "negative" else 0.0


def apply_override(article: Article, override: LabelOverride) -> None:
    """Make the analyst's label (and per-entity labels) the article's effective values."""
    article.label = override.label
    article.negativity = analyst_negativity(override.label)
    article.confidence = 1.0
    article.label_source = "analyst"
    targets = [dict(t) for t in article.targets or []]
    for entry in override.targets or []:
        name, label = str(entry["name"]), str(entry["label"])
        match = next((t for t in targets if str(t["name"]).casefold() == name.casefold()), None)
        if match is None:
            match = {"name": name, "mentions": 0, "evidence": []}
            targets.append(match)
        if match.get("label_source") != "analyst":
            match["model_label"] = match.get("label")
            match["model_negativity"] = match.get("negativity")
        match.update(
            label=label,
            negativity=analyst_negativity(label),
            confidence=1.0,
            label_source="analyst",
        )
    article.targets = targets  # a new list, so the JSON column is written


async def add_label(
    session: AsyncSession,
    *,
    article_id: int,
    data: NewLabel,
    actor_id: int | None = None,
    actor_name: str = "cli",
) -> LabelOverride:
    """Store an analyst label and make it effective; returns the stored row."""
    article = await session.scalar(
        select(Article).where(Article.id == article_id, Article.deleted_at.is_(None))
    )
    if article is None:
        raise NotFound(f"article {article_id} does not exist")
    for label in (data.label, *(t[1] for t in data.targets)):
        if label not in LABELS:
            raise InvalidInput(f"label must be one of {', '.join(LABELS)}, not {label!r}")
    names = [" ".join(name.split()) for name, _ in data.targets]
    names = await _entity_names(session, names)
    if any(not n for n in names) or len({n.casefold() for n in names}) != len(names):
        raise InvalidInput("entity labels need distinct, non-blank entity names")
    override = LabelOverride(
        article_id=article.id,
        label=data.label,
        targets=[{"name": n, "label": lab} for n, (_, lab) in zip(names, data.targets, strict=True)]
        or None,
        note=data.note,
        api_key_id=actor_id,
        api_key_name=actor_name,
    )
    session.add(override)
    await session.flush()
    apply_override(article, override)
    await refresh_issues(session, article_ids=[article.id])
    return override


async def _entity_names(session: AsyncSession, names: Sequence[str]) -> list[str]:
    """Each name as its watched entity's name (a name or alias, any case), or 422 naming those
    that are no watched entity: a label must not invent an entity that stats then count."""
    if not names:
        return []
    known: dict[str, str] = {}
    for entity in (await session.scalars(select(WatchedEntity))).all():
        for alias in (entity.name, *(entity.aliases or ())):
            known.setdefault(" ".join(alias.split()).casefold(), entity.name)
    unknown = [n for n in names if n and n.casefold() not in known]
    if unknown:
        raise InvalidInput(
            f"entity labels must name watched entities; unknown: {', '.join(unknown)}",
            unknown=unknown,
            known=sorted(set(known.values())),
        )
    return [known[n.casefold()] if n else n for n in names]


async def list_labels(
    session: AsyncSession, *, article_id: int
) -> tuple[Article, Sequence[LabelOverride]]:
    """The article and its labels, newest first."""
    article = await session.scalar(
        select(Article).where(Article.id == article_id, Article.deleted_at.is_(None))
    )
    if article is None:
        raise NotFound(f"article {article_id} does not exist")
    rows = await session.scalars(
        select(LabelOverride)
        .where(LabelOverride.article_id == article_id)
        .order_by(LabelOverride.id.desc())
    )
    return article, rows.all()


async def latest_overrides(
    session: AsyncSession, *, article_ids: Sequence[int]
) -> dict[int, LabelOverride]:
    """The newest label of each of the given articles that has one."""
    if not article_ids:
        return {}
    newest = (
        select(func.max(LabelOverride.id))
        .where(LabelOverride.article_id.in_(article_ids))
        .group_by(LabelOverride.article_id)
    )
    rows = await session.scalars(select(LabelOverride).where(LabelOverride.id.in_(newest)))
    return {row.article_id: row for row in rows}


async def refresh_issues(session: AsyncSession, *, article_ids: Sequence[int]) -> None:
    """Recount and rescore the issues holding these articles from their effective labels
    (severity, negative share, counts: services/issue_metrics.py)."""
    if not article_ids:
        return
    issue_ids = (
        await session.scalars(
            select(IssueArticle.issue_id).where(IssueArticle.article_id.in_(article_ids))
        )
    ).all()
    await recompute_issues(session, issue_ids=list(issue_ids))


async def export_labels(
    session: AsyncSession, *, batch: int = 500
) -> AsyncIterator[dict[str, Any]]:
    """Each labelled article's newest label in the training format of `pantau scoring train
    --labels`: {"text", "title", "label", "targets": [{"name", "label"}]} plus provenance."""
    newest = select(func.max(LabelOverride.id)).group_by(LabelOverride.article_id)
    after = 0
    while True:
        rows = (
            await session.execute(
                select(LabelOverride, Article)
                .join(Article, Article.id == LabelOverride.article_id)
                .where(LabelOverride.id.in_(newest), LabelOverride.id > after)
                .order_by(LabelOverride.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for override, article in rows:
            yield {
                "title": article.title,
                "text": article.body or article.summary or "",
                "label": override.label,
                "targets": list(override.targets or []),
                "language": article.language,
                "article_id": article.id,
                "labelled_by": override.api_key_name,
                "labelled_at": override.created_at.isoformat(),
                "note": override.note,
            }
        after = rows[-1][0].id

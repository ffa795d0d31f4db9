"""Watched entities: the names every article is scored against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.models import Article, EntityJob, JobState, WatchedEntity, utcnow
from app.scoring import Entity
from app.services.watchlists import refresh_watchlists, watchlists_needing


@dataclass(frozen=True, slots=True)
class EntityChanges:
    """Fields to change; None leaves a field as it is."""

    name: str | None = None
    aliases: Sequence[str] | None = None
    active: bool | None = None


def clean_aliases(name: str, aliases: Sequence[str]) -> list[str]:
    """Stripped, de-duplicated (case-insensitively) aliases, without the name itself."""
    seen = {name.strip().casefold()}
    out = []
    for alias in aliases:
        alias = " ".join(alias.split())
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            out.append(alias)
    return out


async def _check_name_free(session: AsyncSession, name: str, entity_id: int | None) -> None:
    # Compared case-folded in Python: SQLite's lower() folds ASCII only, so "Ökonomi" twice
    # slipped past it and hit the unique index (a 500). The list is small (watched entities).
    key = name.casefold()
    rows = await session.execute(select(WatchedEntity.id, WatchedEntity.name))
    for existing, other in rows:
        if existing != entity_id and other.casefold() == key:
            raise Conflict(f"entity {name!r} already exists as id {existing}", entity_id=existing)


async def create_entity(
    session: AsyncSession, *, name: str, aliases: Sequence[str] = (), active: bool = True
) -> WatchedEntity:
    """Watch a name; an active entity starts a re-scan of the stored articles
    (`latest_job`), so past coverage carries its results too."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the entity name must not be blank")
    await _check_name_free(session, name, None)
    entity = WatchedEntity(name=name, aliases=clean_aliases(name, aliases), active=active)
    session.add(entity)
    await session.flush()
    if active:
        await start_job(session, entity_id=entity.id)
    return entity


async def start_job(session: AsyncSession, *, entity_id: int) -> EntityJob:
    """Re-scan stored articles for the entity in the background (services/entity_jobs.py);
    an older job for it still open is superseded."""
    await session.execute(
        update(EntityJob)
        .where(
            EntityJob.entity_id == entity_id,
            EntityJob.state.in_([JobState.PENDING, JobState.RUNNING]),
        )
        .values(state=JobState.CANCELLED, finished_at=utcnow())
    )
    total = await session.scalar(
        select(func.count())
        .select_from(Article)
        .where(Article.scored_at.is_not(None), Article.deleted_at.is_(None))
    )
    job = EntityJob(entity_id=entity_id, state=JobState.PENDING, total=int(total or 0))
    session.add(job)
    await session.flush()
    return job


async def latest_job(session: AsyncSession, *, entity_id: int) -> EntityJob | None:
    await get_entity(session, entity_id=entity_id)
    job: EntityJob | None = await session.scalar(
        select(EntityJob)
        .where(EntityJob.entity_id == entity_id)
        .order_by(EntityJob.id.desc())
        .limit(1)
    )
    return job


async def get_entity(session: AsyncSession, *, entity_id: int) -> WatchedEntity:
    entity = await session.get(WatchedEntity, entity_id)
    if entity is None:
        raise NotFound(f"entity {entity_id} does not exist")
    return entity


async def list_entities(
    session: AsyncSession, *, active: bool | None = None
) -> Sequence[WatchedEntity]:
    """All entities in id order (a watch list is small: no paging)."""
    query = select(WatchedEntity).order_by(WatchedEntity.id)
    if active is not None:
        query = query.where(WatchedEntity.active.is_(active))
    return (await session.scalars(query)).all()


async def update_entity(
    session: AsyncSession, *, entity_id: int, changes: EntityChanges
) -> tuple[WatchedEntity, EntityJob | None]:
    """Apply the changes; returns the entity and the re-scan they started, if any."""
    entity = await get_entity(session, entity_id=entity_id)
    before = (entity.name, list(entity.aliases or []), entity.active)
    if changes.name is not None:
        name = " ".join(changes.name.split())
        if not name:
            raise InvalidInput("the entity name must not be blank")
        await _check_name_free(session, name, entity_id)
        entity.name = name
    if changes.aliases is not None:
        entity.aliases = clean_aliases(entity.name, changes.aliases)
    elif changes.name is not None:
        entity.aliases = clean_aliases(entity.name, entity.aliases)
    if changes.active is not None:
        entity.active = changes.active
    await session.flush()
    renamed = (entity.name, list(entity.aliases or [])) != before[:2]
    if renamed:
        table = await _table(session)
        await _refuse_if_used(session, entity, table, "change")
        others = [e for e in table if e.name != entity.name]
        users = await watchlists_needing(session, table=others, entity_id=entity.id)
        await refresh_watchlists(session, watchlist_ids=[w.id for w in users])
    job = None
    if entity.active and (renamed or not before[2]):
        job = await start_job(session, entity_id=entity.id)
    return entity, job


async def _refuse_if_used(
    session: AsyncSession, entity: WatchedEntity, table: list[Entity], doing: str
) -> None:
    """409 naming the watchlists that the change would leave matching nothing."""
    dropped = entity.id if doing == "delete" else None
    users = await watchlists_needing(session, table=table, entity_id=dropped)
    if users:
        names = ", ".join(f"{w.name!r} (id {w.id})" for w in users)
        raise Conflict(
            f"cannot {doing} entity {entity.name!r}: watchlists {names} use it; "
            "edit or delete those watchlists first",
            watchlists=[{"id": w.id, "name": w.name, "active": w.active} for w in users],
        )


async def delete_entity(session: AsyncSession, *, entity_id: int) -> None:
    """Delete the entity, or 409 when a watchlist uses it (by id or in its query)."""
    entity = await get_entity(session, entity_id=entity_id)
    rest = [e for e in await _table(session) if e.name != entity.name]
    await _refuse_if_used(session, entity, rest, "delete")
    await session.delete(entity)
    await session.flush()


async def _table(session: AsyncSession) -> list[Entity]:
    rows = await list_entities(session)
    return [Entity(row.name, tuple(row.aliases or ())) for row in rows]


async def active_entities(session: AsyncSession) -> list[Entity]:
    """The scorer's view of every active entity."""
    rows = await list_entities(session, active=True)
    return [Entity(row.name, tuple(row.aliases or ())) for row in rows]

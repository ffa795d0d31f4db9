"""Watched entities: the names every article is scored against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.models import WatchedEntity
from app.scoring import Entity


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
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the entity name must not be blank")
    await _check_name_free(session, name, None)
    entity = WatchedEntity(name=name, aliases=clean_aliases(name, aliases), active=active)
    session.add(entity)
    await session.flush()
    return entity


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
) -> WatchedEntity:
    entity = await get_entity(session, entity_id=entity_id)
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
    return entity


async def delete_entity(session: AsyncSession, *, entity_id: int) -> None:
    entity = await get_entity(session, entity_id=entity_id)
    await session.delete(entity)
    await session.flush()


async def active_entities(session: AsyncSession) -> list[Entity]:
    """The scorer's view of every active entity."""
    rows = await list_entities(session, active=True)
    return [Entity(row.name, tuple(row.aliases or ())) for row in rows]

"""Watched entities: the names every article is scored against."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.db import SessionDep
from app.errors import NotFound
from app.models import EntityJob, WatchedEntity
from app.routers.deps import ERROR_RESPONSES, Analyst, Viewer
from app.routers.params import PathId
from app.schemas.entity import EntityCreate, EntityJobRead, EntityList, EntityRead, EntityUpdate
from app.services import entities as service

router = APIRouter(
    prefix="/v1/entities", tags=["entities"], dependencies=[Viewer], responses=ERROR_RESPONSES
)


def to_read(entity: WatchedEntity) -> EntityRead:
    return EntityRead.model_validate(entity, from_attributes=True)


def with_job(entity: WatchedEntity, job: EntityJob | None) -> EntityRead:
    """The entity and the re-scan this request started, if it started one."""
    read = to_read(entity)
    read.rescan = EntityJobRead.model_validate(job) if job is not None else None
    return read


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Analyst],
    summary="Watch an entity",
    responses={409: {"description": "An entity with this name exists"}},
)
async def create_entity(body: EntityCreate, session: SessionDep) -> EntityRead:
    """Watch a name and its aliases. Articles scored from now on carry a result for it, and
    an active entity starts a background re-scan of the stored articles (`rescan`; progress
    at `GET /v1/entities/{id}/rescan`), after which `?entity=` finds past coverage too."""
    entity = await service.create_entity(
        session, name=body.name, aliases=body.aliases, active=body.active
    )
    return with_job(entity, await service.latest_job(session, entity_id=entity.id))


@router.get("", summary="List watched entities")
async def list_entities(
    session: SessionDep,
    active: Annotated[bool | None, Query(description="Only active (true) or inactive.")] = None,
) -> EntityList:
    """Every watched entity in id order."""
    rows = await service.list_entities(session, active=active)
    return EntityList(items=[to_read(e) for e in rows])


@router.get("/{entity_id}", summary="Get one watched entity")
async def get_entity(entity_id: PathId, session: SessionDep) -> EntityRead:
    """One watched entity."""
    return to_read(await service.get_entity(session, entity_id=entity_id))


@router.patch(
    "/{entity_id}",
    dependencies=[Analyst],
    summary="Change a watched entity",
    responses={
        409: {
            "description": "An entity with this name exists, or a watchlist query uses a "
            "name or alias the change removes (the problem lists `watchlists`)"
        }
    },
)
async def update_entity(entity_id: PathId, body: EntityUpdate, session: SessionDep) -> EntityRead:
    """Rename, replace the aliases, or (de)activate an entity. A new name or alias, or a
    reactivation, re-scans the stored articles in the background (`rescan`), and watchlists
    whose queries name the entity are re-matched. A rename or alias change that
    would leave a watchlist's query naming nothing is refused with 409 naming the watchlists
    (keep the old name as an alias, or edit the watchlists first)."""
    changes = service.EntityChanges(name=body.name, aliases=body.aliases, active=body.active)
    entity, job = await service.update_entity(session, entity_id=entity_id, changes=changes)
    return with_job(entity, job)


@router.get(
    "/{entity_id}/rescan",
    summary="Progress of the latest re-scan of stored articles",
    responses={404: {"description": "No such entity, or it was never re-scanned"}},
)
async def get_rescan(entity_id: PathId, session: SessionDep) -> EntityJobRead:
    """The newest re-scan for the entity: state, articles done of the total, and how many
    mention it."""
    job = await service.latest_job(session, entity_id=entity_id)
    if job is None:
        raise NotFound(f"entity {entity_id} has no re-scan")
    return EntityJobRead.model_validate(job)


@router.delete(
    "/{entity_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Analyst],
    summary="Stop watching an entity",
    responses={
        409: {
            "description": "Watchlists use the entity (by id or in their query)",
            "content": {
                "application/problem+json": {
                    "example": {
                        "type": "https://pantau.id/problems/conflict",
                        "title": "Conflict",
                        "status": 409,
                        "detail": "cannot delete entity 'KPK': watchlists 'Korupsi' (id 3) "
                        "use it; edit or delete those watchlists first",
                        "watchlists": [{"id": 3, "name": "Korupsi", "active": True}],
                    }
                }
            },
        }
    },
)
async def delete_entity(entity_id: PathId, session: SessionDep) -> Response:
    """Delete the entity; results already stored on articles stay as they are. While a
    watchlist (active or not) uses it, in `entity_ids` or its query, the answer is 409
    naming them: a watchlist never silently matches nothing. Deactivating the entity
    (`PATCH active=false`) stops scoring it and keeps the watchlists working."""
    await service.delete_entity(session, entity_id=entity_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

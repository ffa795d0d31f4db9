"""Run Alembic migrations from inside the application (CLI, start-up, tests).

Checking that the schema is at the newest revision (every command but `migrate` and `serve`
does, `/readyz` too) reads the revision files and the version table without Alembic: importing
it costs a quarter of a second, a third of a cron `crawl --once` with nothing due. SQLAlchemy is
imported where it is used too: `head_revision` alone serves the check that `crawl --once` makes
through the database driver (pipeline/idle.py).
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "migrations" / "versions"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["skip_logging"] = True
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (head by default); safe to run on every start."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


def head_revision() -> str | None:
    """The newest revision: the one no other revision names as its `down_revision`."""
    return _head(tuple(sorted(VERSIONS.glob("*.py"))))


@lru_cache(maxsize=4)
def _head(paths: tuple[Path, ...]) -> str | None:
    downs: dict[str, set[str]] = {}
    for path in paths:
        found = _identifiers(path)
        if found is not None:
            downs[found[0]] = found[1]
    heads = downs.keys() - set().union(*downs.values())
    if len(heads) > 1:
        raise ValueError(f"the migrations have {len(heads)} heads: {', '.join(sorted(heads))}")
    return heads.pop() if heads else None


_ASSIGNED = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+)$", re.MULTILINE)


def _identifiers(path: Path) -> tuple[str, set[str]] | None:
    """A revision file's `revision` and its `down_revision`s (None: not a revision file).

    Read from the two assignment lines (parsing whole files took ten times as long); a value
    spread over lines (a merge's tuple) sends the file to the parser."""
    source = path.read_text(encoding="utf-8")
    try:
        values = {name: ast.literal_eval(value) for name, value in _ASSIGNED.findall(source)}
    except (ValueError, SyntaxError):
        values = _assigned(ast.parse(source, str(path)))
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        return None
    if isinstance(down, str):
        return revision, {down}
    return revision, set(down) if isinstance(down, tuple | list) else set()


def _assigned(tree: ast.Module) -> dict[str, object]:
    values: dict[str, object] = {}
    for node in tree.body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(value) if value is not None else None
    return values


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, from Alembic's version table (None: not set up)."""
    from sqlalchemy import inspect, text

    def _current(connection: Connection) -> str | None:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        if len(rows) > 1:
            raise ValueError(f"the database is at {len(rows)} revisions at once")
        return str(rows[0][0]) if rows else None

    async with engine.connect() as connection:
        return await connection.run_sync(_current)


# Objects the migrations create by hand that no model describes: full-text search structures.
_UNMODELLED_TABLE_PREFIXES = ("articles_fts",)
_UNMODELLED_COLUMNS = {("articles", "search_vector")}
_UNMODELLED_INDEXES = {"ix_articles_search_vector"}


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic filter: leave the hand-written full-text search objects out of comparisons."""
    if type_ == "table" and name and name.startswith(_UNMODELLED_TABLE_PREFIXES):
        return False
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        if (table, name) in _UNMODELLED_COLUMNS:
            return False
    return not (type_ == "index" and name in _UNMODELLED_INDEXES)

"""Imports point one way: the floors of app/ (docs/ARCHITECTURE.md, "Floors").

Every module under app/ is parsed with `ast` (imports inside functions and TYPE_CHECKING blocks
count too) and each import of another floor is checked against the floors' ranks: a floor may
import its own floor and any lower one, never a higher one, and never a peer on the same rank
unless the rank allows it (the pure floors crawlers, scoring and feed share tools).

`python -m tests.test_layers [APP_DIR]` prints the matrix of import statements across floors.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

# Rank of each floor: top-level packages and modules of app/. Higher imports lower.
RANK = {
    # the base: configuration, engine, errors, logging, HTTP plumbing, the ORM
    **dict.fromkeys(
        (
            "app",
            "config",
            "db",
            "errors",
            "logs",
            "observability",
            "ratelimit",
            "middleware",
            "textsearch",
            "plainenv",
        ),
        0,
    ),
    **dict.fromkeys(("migrate", "models"), 0),
    "schemas": 1,
    # the pure floors: fetch and parse, score, the issue feed's core
    **dict.fromkeys(("crawlers", "scoring", "feed", "web", "report"), 2),
    "services": 3,
    # the two users of services, which never use each other
    **dict.fromkeys(("pipeline", "routers"), 4),
    "main": 5,
    "cli": 6,
    "start": 7,  # the entry point: a light check, then cli
    "__main__": 8,
}
PEERS_ALLOWED = {0, 2}  # ranks whose floors may import each other


@dataclass(frozen=True, slots=True)
class Import:
    path: Path  # the importing file
    line: int
    source: str  # the importing floor
    target: str  # the imported floor
    module: str  # what the statement names


def floor_of(module: str) -> str | None:
    """`app.services.articles` -> `services`; `app.config` -> `config`; not ours -> None."""
    parts = module.split(".")
    if parts[0] != "app":
        return None
    return parts[1] if len(parts) > 1 else "app"


def module_name(path: Path, app_dir: Path) -> str:
    parts = path.relative_to(app_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: resolve against this module's package
        package = module.split(".")
        if not is_package:
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    if base == "app":  # `from app import services` names the floor in the alias
        return [f"app.{alias.name}" for alias in node.names]
    return [base]


def imports(app_dir: Path = APP) -> Iterator[Import]:
    """Every import statement under `app_dir` that reaches another floor of app/."""
    for path in sorted(app_dir.rglob("*.py")):
        module = module_name(path, app_dir)
        source = floor_of(module)
        assert source is not None
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets = _targets(node, module, path.name == "__init__.py")
            for target in sorted({f for t in targets if (f := floor_of(t)) is not None}):
                if target != source:
                    yield Import(path, getattr(node, "lineno", 0), source, target, targets[0])


def violations(app_dir: Path = APP) -> list[str]:
    """One line per import that points up (or sideways where the rank forbids it)."""
    found = []
    for imp in imports(app_dir):
        for floor in (imp.source, imp.target):
            if floor not in RANK:
                found.append(f"{imp.path}:{imp.line}: floor {floor!r} has no rank in {__name__}")
        if imp.source not in RANK or imp.target not in RANK:
            continue
        mine, theirs = RANK[imp.source], RANK[imp.target]
        if theirs > mine or (theirs == mine and mine not in PEERS_ALLOWED):
            found.append(
                f"{imp.path}:{imp.line}: {imp.source} imports {imp.module} "
                f"({imp.target} is not below {imp.source})"
            )
    return found


def matrix(app_dir: Path = APP) -> Counter[tuple[str, str]]:
    """Import statements from each floor to each other floor."""
    return Counter((imp.source, imp.target) for imp in imports(app_dir))


def render(counts: Counter[tuple[str, str]], floors: tuple[str, ...]) -> str:
    width = max(len(f) for f in floors) + 1
    lines = ["from \\ to".ljust(width) + "".join(f.rjust(width) for f in floors)]
    for source in floors:
        cells = "".join(
            ("." if source == t else str(counts.get((source, t), 0))).rjust(width) for t in floors
        )
        lines.append(source.ljust(width) + cells)
    return "\n".join(lines)


FLOORS = ("crawlers", "scoring", "feed", "services", "pipeline", "routers")


def test_no_floor_imports_a_higher_one() -> None:
    assert violations() == []


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "app" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "app"


def test_a_lower_floor_importing_a_higher_one_is_named(tmp_path: Path) -> None:
    app_dir = _write(
        tmp_path,
        {
            "__init__.py": "",
            "services/__init__.py": "",
            "services/articles.py": "def f():\n    from app.pipeline.cycle import Crawler\n",
            "crawlers/__init__.py": "",
            "crawlers/discover.py": "from app import services\nfrom ..scoring import model\n",
            "pipeline/__init__.py": "",
            "pipeline/cycle.py": "from app.services import articles\nfrom app.routers import x\n",
            "scoring/__init__.py": "",
            "scoring/model.py": "",
        },
    )
    found = violations(app_dir)
    assert len(found) == 3
    assert "services/articles.py:2: services imports app.pipeline.cycle" in found[2]
    assert "crawlers/discover.py:1: crawlers imports app.services" in found[0]
    assert "pipeline/cycle.py:2: pipeline imports app.routers" in found[1]
    assert matrix(app_dir)[("crawlers", "scoring")] == 1  # relative, allowed: a peer


def test_a_new_floor_must_be_given_a_rank(tmp_path: Path) -> None:
    app_dir = _write(tmp_path, {"__init__.py": "", "jobs/__init__.py": "from app import db\n"})
    assert any("floor 'jobs' has no rank" in v for v in violations(app_dir))


if __name__ == "__main__":
    print(render(matrix(Path(sys.argv[1]) if len(sys.argv) > 1 else APP), FLOORS))

"""The crisis room's presentation: Jinja2 templates, static assets (no build step, nothing
fetched from the internet) and the Indonesian/English strings. Pure: no database, no HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.web.i18n import LANGUAGES, strings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, *, lang: str, **context: Any) -> str:
    """The template `name` rendered in `lang` (`t` holds the strings)."""
    t = strings(lang)
    return _env.get_template(name).render(t=t, lang=lang, languages=LANGUAGES, **context)


__all__ = ["LANGUAGES", "STATIC", "render", "strings"]

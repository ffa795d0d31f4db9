"""Accessibility that can be read off the sources: colour contrast computed from app.css (WCAG
2.1: 4.5:1 for text, 3:1 for the focus ring), and strings that templates can always reach.

The keyboard-only path runs in a real browser: tests/web/test_browser.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.web import STATIC
from app.web.i18n import strings

TEXT = 4.5  # WCAG 1.4.3, normal-size text (the page's text is 12.5-15 px)
NON_TEXT = 3.0  # WCAG 1.4.11, the focus ring against what surrounds it
WHITE = "#ffffff"


@dataclass(frozen=True, slots=True)
class Rule:
    selector: str
    colour: str | None
    background: str | None
    outline: str | None


def _hex(value: str) -> str | None:
    found = re.search(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", value)
    if not found:
        return None
    digits = found.group(1).lower()
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)


def _rules() -> list[Rule]:
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "app.css").read_text(), flags=re.S)
    blocks = re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    variables: dict[str, str] = {}
    for selector, body in blocks:
        if selector.strip() == ":root":
            variables.update(re.findall(r"(--[\w-]+)\s*:\s*([^;]+)", body))

    def resolve(value: str | None) -> str | None:
        if value is None:
            return None
        value = re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], value)
        return _hex(value)

    rules = []
    for selector, body in blocks:
        decls = {k.strip(): v.strip() for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)}
        rules.append(
            Rule(
                selector=" ".join(selector.split()),
                colour=resolve(decls.get("color")),
                background=resolve(decls.get("background-color") or decls.get("background")),
                outline=resolve(decls.get("outline-color") or decls.get("outline")),
            )
        )
    return rules


def _luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


RULES = _rules()
LIGHT = 0.4  # relative luminance above which a surface carries dark text (#767676 is 0.18)
DARK = [r for r in RULES if r.background and _luminance(r.background) < LIGHT]
LIGHT_SURFACES = {
    r.background: r.selector for r in RULES if r.background and _luminance(r.background) >= LIGHT
}
ON_HEADER = ".top"


def test_the_contrast_helper_matches_wcag_reference_values() -> None:
    assert round(contrast("#000000", WHITE), 1) == 21.0
    assert round(contrast("#767676", WHITE), 2) == 4.54  # the lightest grey passing on white
    assert contrast("#f0a500", "#fafafa") < NON_TEXT  # the old focus ring, invisible on the page


def test_text_and_its_own_background_reach_4_5_to_1() -> None:
    pairs = [r for r in RULES if r.colour and r.background]
    assert len(pairs) >= 5  # the parser found the sheet's pairs (buttons, badges, header...)
    low = {r.selector: round(contrast(r.colour, r.background), 2) for r in pairs}  # type: ignore[arg-type]
    assert all(v >= TEXT for v in low.values()), low


def test_text_colours_reach_4_5_to_1_on_every_light_surface() -> None:
    assert "#fafafa" in LIGHT_SURFACES and "#ffffff" in LIGHT_SURFACES
    failing = {
        (rule.selector, surface): round(contrast(rule.colour, surface), 2)
        for rule in RULES
        if rule.colour
        and rule.background is None
        and not rule.selector.startswith(ON_HEADER)
        and _luminance(rule.colour) < LIGHT
        for surface in LIGHT_SURFACES
        if contrast(rule.colour, surface) < TEXT
    }
    assert not failing, failing


def test_dark_surfaces_carry_white_text_at_4_5_to_1() -> None:
    assert any(r.selector == ".top" for r in DARK)
    failing = {
        r.selector: round(contrast(WHITE, r.background), 2)  # type: ignore[arg-type]
        for r in DARK
        if r.colour is None and contrast(WHITE, r.background) < TEXT  # type: ignore[arg-type]
    }
    assert not failing, failing


def test_the_focus_ring_stands_out_wherever_focus_can_land() -> None:
    rings = {r.selector: r.outline for r in RULES if ":focus" in r.selector and r.outline}
    page_ring = rings[":focus-visible"]
    header_ring = rings[".top :focus-visible, .skip:focus-visible"]
    assert page_ring and header_ring
    for surface, where in LIGHT_SURFACES.items():
        assert contrast(page_ring, surface) >= NON_TEXT, where
    (header,) = [r.background for r in RULES if r.selector == ".top"]
    assert header and contrast(header_ring, header) >= NON_TEXT
    # an offset ring around a filled button sits on the page: it must differ from the fill too
    (button,) = [r for r in RULES if r.selector.startswith("button, .button")]
    assert button.background and contrast(page_ring, button.background) >= 1.5


def test_no_string_is_shadowed_by_a_dict_method() -> None:
    # Templates read `t.name`; Jinja looks attributes up first, so a key named like a dict
    # method (`keys`, `items`...) renders the method ("<built-in method keys ...>").
    for lang in ("id", "en"):
        shadowed = [k for k in strings(lang) if hasattr(dict, k)]
        assert not shadowed, shadowed

import random
import re
import sys

from app.scoring.result import Entity
from app.scoring.targets import _CASE_SPECIALS, MAX_MENTIONS, alias_pattern, find_mentions


def test_case_specials_are_every_non_ascii_match_of_an_ascii_letter():
    letter = re.compile(r"(?i)[a-z]")
    found = {chr(c) for c in range(128, sys.maxunicode + 1) if letter.fullmatch(chr(c))}
    assert found == set(_CASE_SPECIALS)


def test_substring_shortcut_finds_what_the_pattern_finds():
    rng = random.Random(7)
    alphabet = "jokwiJOKWI ı\u0130\u212a\u017fé-.\n"
    entity = Entity("Jokowi", ("Joko Widodo", "Kiki"))
    pattern = alias_pattern(entity.names)
    for _ in range(20_000):
        sentences = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))]
        want = [m.span() for m in pattern.finditer(sentences[0])]
        assert [(m.start, m.end) for m in find_mentions(entity, sentences)] == want
    assert find_mentions(entity, ["Kata JOKOW\u0130 hari ini"])
    assert find_mentions(entity, ["joko  widodo datang"])
    assert not find_mentions(entity, ["jokowidodo"])


def test_an_entity_is_read_in_its_first_mentions_only():
    sentences = ["Acme dikritik warga."] + [f"Acme menjawab kritik ke-{i}." for i in range(500)]
    mentions = find_mentions(Entity("Acme"), sentences)
    assert len(mentions) == MAX_MENTIONS
    assert [m.sentence for m in mentions] == list(range(MAX_MENTIONS))

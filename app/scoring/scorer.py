"""The Scorer: article-, sentence- and target-level negative-tendency scores in one batch pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

from app.scoring.explain import top_terms
from app.scoring.informal import InformalModel, informal_tokens, reads_informal
from app.scoring.language import decide, tokens_and_votes
from app.scoring.model import CLASSES, LinearModel
from app.scoring.result import ArticleScore, Entity, Label, Language, TargetScore
from app.scoring.targets import Mention, find_all_mentions, fold_target, token_span
from app.scoring.text import normalise, split_sentences
from app.scoring.tone import ToneModel, read_pair

Item = tuple[str | None, str, Sequence[Entity]]
LABELS: tuple[Label, Label, Label] = ("negative", "neutral", "positive")
# Relative weight of a sentence in the article bag: headline, lead, rest.
BAG_WEIGHTS = (1.0, 0.75, 0.5)
LEAD_SENTENCES = 3
ID_WINDOW = 8
# A sentence is routed away from the article's language only on clear evidence.
SENTENCE_SWITCH_MARGIN = 4.0
# What is read of an article: scoring time grows with the text (about 11 µs a character at
# worst, for a text of one-letter sentences), and a stored body can be a 10 MB feed summary
# or page. A news article is far shorter; the headline and lead, which weigh most, come first.
MAX_TITLE_CHARS = 1_000
MAX_TEXT_CHARS = 100_000


@dataclass
class _Doc:
    sentences: list[str]
    has_title: bool
    language: Language
    sent_lang: list[Language]
    toks: list[list[str]]
    entities: Sequence[Entity]
    informal: bool = False  # read by the informal model (``informal.py``)


def _prepare(title: str | None, text: str, entities: Sequence[Entity]) -> _Doc:
    # Cut before normalising (its cost) and after (NFKC can make one character eighteen).
    title_n = normalise(title[:MAX_TITLE_CHARS])[:MAX_TITLE_CHARS] if title else ""
    body = normalise(text[:MAX_TEXT_CHARS])[:MAX_TEXT_CHARS]
    sentences = ([title_n] if title_n else []) + split_sentences(body)
    toks: list[list[str]] = []
    votes: list[tuple[float, float]] = []
    for sentence in sentences:
        sentence_toks, sentence_votes = tokens_and_votes(sentence)
        toks.append(sentence_toks)
        votes.append(sentence_votes)
    language = decide(sum(v[0] for v in votes), sum(v[1] for v in votes))
    sent_lang: list[Language] = []
    for id_v, en_v in votes:
        if language == "id" and en_v >= id_v + SENTENCE_SWITCH_MARGIN:
            sent_lang.append("en")
        elif language == "en" and id_v >= en_v + SENTENCE_SWITCH_MARGIN:
            sent_lang.append("id")
        else:
            sent_lang.append(language)
    return _Doc(sentences, bool(title_n), language, sent_lang, toks, entities)


class Scorer:
    """Scores articles with the shipped models; safe to share between threads.

    With a tone model (``tone.py``), an Indonesian article's watched entities get their tone
    from it, and an article that names a watched entity takes its label from them: negative
    when it is bad for any of them, else positive when good for any, else neutral (its
    negativity is the highest of theirs). That is the question the feed answers for a team.

    With an informal model (``informal.py``), posts and informal texts of unknown kind take
    their label from it, and their watched entities its reading of the sentences naming them
    (not the tone model's: it learnt from news and reads slang as neutral). The model version
    then names both artefacts, so a new release of either makes every stored score stale.
    """

    def __init__(
        self,
        models: dict[str, LinearModel],
        model_version: str,
        tone: ToneModel | None = None,
        informal: InformalModel | None = None,
    ) -> None:
        self.models = models
        self.model_version = model_version
        if informal is not None:
            self.model_version = f"{model_version};{informal.version}"
        self.tone = tone
        self.informal = informal
        self.prior = np.asarray(models["id"].meta.get("prior", [0.3, 0.4, 0.3]), dtype=float)

    def score(
        self, *, title: str | None, text: str, entities: Sequence[Entity] = ()
    ) -> ArticleScore:
        return self.score_many([(title, text, entities)])[0]

    def score_many(
        self,
        items: Sequence[Item],
        *,
        explain: bool = True,
        kinds: Sequence[str | None] | None = None,
    ) -> list[ArticleScore]:
        """Score a batch; one sparse matrix per model keeps the per-article overhead small.

        ``explain=False`` (the JSON-lines path) skips the term and sentence explanation, and
        with it the per-sentence probabilities of sentences that name no entity. ``kinds``
        are the documents' kinds (``article``, ``post``; None: unknown), which route posts
        to the informal model.
        """
        docs = [_prepare(title, text, entities) for title, text, entities in items]
        if self.informal is not None:
            for doc, (title, text, _), kind in zip(
                docs, items, kinds or [None] * len(items), strict=True
            ):
                if reads_informal(kind, title, text):
                    doc.informal = True
                    doc.language = "id"
        found = [find_all_mentions(d.entities, d.sentences) for d in docs]
        needed = None
        if not explain:
            needed = {(i, m.sentence) for i, per in enumerate(found) for ms in per for m in ms}
        toned = self._toned(docs, found)
        if needed is not None:
            needed -= {(i, m.sentence) for i, j in toned for m in found[i][j]}
        sent_proba = self._sentence_proba(docs, needed)
        doc_proba, bags = self._doc_proba(docs)
        informal = self._informal_proba(docs)
        pushes: dict[tuple[int, int], list[dict[str, Any]]] = {}
        targets = self._targets(docs, found, sent_proba, toned, pushes if explain else None)
        out: list[ArticleScore] = []
        for i, doc in enumerate(docs):
            proba = doc_proba[i]
            best = int(np.argmax(proba))
            explanation: dict[str, Any] = {"terms": [], "sentences": []}
            own = [(targets[i][j], pushes.get((i, j), [])) for (k, j) in toned if k == i]
            if own:
                out.append(self._from_targets(doc, own, explain))
                continue
            if doc.informal:
                out.append(self._informal_score(doc, informal[i], targets[i], explain))
                continue
            if explain:
                negs = sent_proba[i][:, 0] if len(doc.sentences) else np.zeros(0)
                order = np.argsort(-negs, kind="stable")[:3]
                explanation = {
                    "terms": self._terms(doc, bags[i]),
                    "sentences": [
                        {"text": doc.sentences[j], "negativity": round(float(negs[j]), 4)}
                        for j in order
                    ],
                }
            out.append(
                ArticleScore(
                    label=LABELS[best],
                    negativity=round(float(proba[0]), 4),
                    confidence=round(float(proba[best]), 4),
                    language=doc.language,
                    model_version=self.model_version,
                    explanation=explanation,
                    targets=targets[i],
                )
            )
        return out

    def _informal_proba(self, docs: list[_Doc]) -> dict[int, np.ndarray]:
        """The informal model's probabilities of the informal documents, by index: the
        whole text (title and sentences) read as one, as it was trained."""
        idx = [i for i, d in enumerate(docs) if d.informal]
        if self.informal is None or not idx:
            return {}
        proba = self.informal.proba([" ".join(docs[i].sentences) for i in idx])
        return dict(zip(idx, proba, strict=True))

    def _informal_score(
        self, doc: _Doc, proba: np.ndarray, targets: tuple[TargetScore, ...], explain: bool
    ) -> ArticleScore:
        """An informal document's score, explained by the informal model's terms and the
        sentences it reads as most negative."""
        if self.informal is None:
            raise ValueError("an informal document needs the informal model")
        best = int(np.argmax(proba))
        explanation: dict[str, Any] = {"terms": [], "sentences": [], "basis": "informal"}
        if explain and doc.sentences:
            model = self.informal.model
            toks = informal_tokens(" ".join(doc.sentences))
            counts = model.featurizer.counts([toks])
            counts.sort_indices()
            explanation["terms"] = top_terms(model, counts, model.transform(counts), 0, [toks])
            negs = self.informal.proba(doc.sentences)[:, 0]
            order = np.argsort(-negs, kind="stable")[:3]
            explanation["sentences"] = [
                {"text": doc.sentences[j], "negativity": round(float(negs[j]), 4)} for j in order
            ]
        return ArticleScore(
            label=LABELS[best],
            negativity=round(float(proba[0]), 4),
            confidence=round(float(proba[best]), 4),
            language=doc.language,
            model_version=self.model_version,
            explanation=explanation,
            targets=targets,
        )

    def _toned(self, docs: list[_Doc], found: list[list[list[Mention]]]) -> list[tuple[int, int]]:
        """(article, entity) index pairs the tone model answers: Indonesian articles, named
        entities (not informal documents: the tone model learnt from news and reads slang
        as neutral; the informal model reads their mentions)."""
        if self.tone is None:
            return []
        return [
            (i, j)
            for i, doc in enumerate(docs)
            if doc.language == "id" and not doc.informal
            for j, mentions in enumerate(found[i])
            if mentions
        ]

    def _from_targets(
        self, doc: _Doc, named: list[tuple[TargetScore, list[dict[str, Any]]]], explain: bool
    ) -> ArticleScore:
        """The article's score when it names watched entities: the worst for any of them."""
        targets = [t for t, _ in named]
        terms = {t.name: pushed for t, pushed in named}
        worst = max(targets, key=lambda t: t.negativity)
        if any(t.label == "negative" for t in targets):
            label: Label = "negative"
        elif any(t.label == "positive" for t in targets):
            label = "positive"
        else:
            label = "neutral"
        basis = (
            worst
            if label in ("negative", "neutral")
            else next(t for t in targets if t.label == "positive")
        )
        explanation: dict[str, Any] = {"terms": [], "sentences": [], "basis": "entities"}
        if explain:
            explanation["terms"] = [{**t, "entity": basis.name} for t in terms[basis.name]]
            explanation["sentences"] = [
                {"text": s, "entity": basis.name, "negativity": basis.negativity}
                for s in basis.evidence
            ]
        return ArticleScore(
            label=label,
            negativity=worst.negativity,
            confidence=basis.confidence,
            language=doc.language,
            model_version=self.model_version,
            explanation=explanation,
            targets=tuple(t for t, _ in named),
        )

    def _terms(
        self, doc: _Doc, bag: tuple[sp.csr_matrix, sp.csr_matrix, int] | None
    ) -> list[dict[str, Any]]:
        if bag is None:
            return []
        return top_terms(self.models[doc.language], *bag, doc.toks)

    def _sentence_proba(
        self, docs: list[_Doc], needed: set[tuple[int, int]] | None
    ) -> list[np.ndarray]:
        """Calibrated class probabilities per sentence (all, or only the ``needed`` (article,
        sentence) pairs), each under its own language's model."""
        result = [np.zeros((len(d.sentences), len(CLASSES))) for d in docs]
        for lang in ("id", "en"):
            own = [
                (i, j)
                for i, d in enumerate(docs)
                for j in range(len(d.sentences))
                if d.sent_lang[j] == lang and (needed is None or (i, j) in needed)
            ]
            if not own:
                continue
            model = self.models[lang]
            proba = model.proba(model.featurizer.counts([docs[i].toks[j] for i, j in own]))
            for k, (i, j) in enumerate(own):
                result[i][j] = proba[k]
        return result

    def _doc_proba(
        self, docs: list[_Doc]
    ) -> tuple[np.ndarray, list[tuple[sp.csr_matrix, sp.csr_matrix, int] | None]]:
        """Article probabilities from the weighted bag of all its sentences (under the
        article's language model); also, per article, (bag counts, bag TF-IDF, row) for the
        explanation. Informal documents are left out (zeros, no bag)."""
        proba = np.zeros((len(docs), len(CLASSES)))
        bags: list[tuple[sp.csr_matrix, sp.csr_matrix, int] | None] = [None] * len(docs)
        for lang in ("id", "en"):
            idx = [i for i, d in enumerate(docs) if d.language == lang and not d.informal]
            if not idx:
                continue
            rows: list[list[str]] = []
            groups: list[int] = []
            vals: list[float] = []
            for k, i in enumerate(idx):
                rows.extend(docs[i].toks)
                groups.extend([k] * len(docs[i].toks))
                vals.extend(_bag_values(len(docs[i].toks), docs[i].has_title))
            bag = self.models[lang].featurizer.counts(
                rows,
                groups=np.asarray(groups, dtype=np.int64),
                weights=np.asarray(vals, dtype=np.float64),
                n_groups=len(idx),
            )
            bag.sort_indices()  # a product of csr matrices holds no duplicates to sum
            x = self.models[lang].transform(bag)
            proba[idx] = self.models[lang].proba_of(x)
            for k, i in enumerate(idx):
                bags[i] = (bag, x, k)
        return proba, bags

    def _targets(
        self,
        docs: list[_Doc],
        found: list[list[list[Mention]]],
        sent_proba: list[np.ndarray],
        toned: list[tuple[int, int]],
        pushes: dict[tuple[int, int], list[dict[str, Any]]] | None,
    ) -> list[tuple[TargetScore, ...]]:
        """Target scores for every (article, entity); mentions of the whole batch are
        scored together, one matrix per model (the tone model's pairs in one batch too).
        ``pushes`` (when explaining) receives each toned pair's phrases with their weights."""
        by_tone = self._tone_scores(docs, found, toned, pushes)
        flat = [
            (i, m)
            for i, per_doc in enumerate(found)
            for j, mentions in enumerate(per_doc)
            if (i, j) not in by_tone
            for m in mentions
        ]
        proba = self._mention_proba(docs, flat, sent_proba)
        out: list[tuple[TargetScore, ...]] = []
        row = 0
        for i, doc in enumerate(docs):
            scores = []
            for j, (entity, mentions) in enumerate(zip(doc.entities, found[i], strict=True)):
                if (i, j) in by_tone:
                    scores.append(by_tone[(i, j)])
                    continue
                scores.append(
                    fold_target(
                        entity,
                        mentions,
                        proba[row : row + len(mentions)],
                        doc.sentences,
                        has_title=doc.has_title,
                        prior=self.prior,
                        classes=LABELS,
                    )
                )
                row += len(mentions)
            out.append(tuple(scores))
        return out

    def _tone_scores(
        self,
        docs: list[_Doc],
        found: list[list[list[Mention]]],
        toned: list[tuple[int, int]],
        pushes: dict[tuple[int, int], list[dict[str, Any]]] | None,
    ) -> dict[tuple[int, int], TargetScore]:
        if self.tone is None or not toned:
            return {}
        pairs = [
            read_pair(docs[i].sentences, docs[i].entities[j], has_title=docs[i].has_title)
            for i, j in toned
        ]
        labels, proba = self.tone.predict(pairs, self.models["id"])
        out: dict[tuple[int, int], TargetScore] = {}
        for (i, j), pair, p, label in zip(toned, pairs, proba, labels, strict=True):
            best = int(label)
            evidence: tuple[str, ...] = ()
            phrases: tuple[str, ...] = ()
            if pushes is not None:
                sentences, words = self.tone.explain(pair, best)
                evidence = tuple(pair.sentences[k] for k in sentences)
                phrases = tuple(w for w, _ in words)
                pushes[(i, j)] = [{"term": w, "weight": round(v, 4)} for w, v in words]
            out[(i, j)] = TargetScore(
                name=docs[i].entities[j].name,
                label=LABELS[best],
                negativity=round(float(p[0]), 4),
                confidence=round(float(p[best]), 4),
                mentions=len({m.sentence for m in found[i][j]}),
                evidence=evidence,
                phrases=phrases,
            )
        return out

    def _mention_proba(
        self, docs: list[_Doc], mentions: list[tuple[int, Mention]], sent_proba: list[np.ndarray]
    ) -> np.ndarray:
        """Per mention: English uses the target-aware model; Indonesian mixes the sentence
        with the window of words around the name; an informal document's mentions take the
        informal model's reading of their sentence."""
        out = np.zeros((len(mentions), len(CLASSES)))
        if not mentions:
            return out
        informal = [k for k, (i, _) in enumerate(mentions) if docs[i].informal]
        if informal and self.informal is not None:
            out[informal] = self.informal.proba(
                [docs[mentions[k][0]].sentences[mentions[k][1].sentence] for k in informal]
            )
        spans = [token_span(docs[i].sentences[m.sentence], m.start, m.end) for i, m in mentions]
        lang = [
            "informal" if docs[i].informal else docs[i].sent_lang[m.sentence] for i, m in mentions
        ]
        en_rows = [k for k, lg in enumerate(lang) if lg == "en"]
        id_rows = [k for k, lg in enumerate(lang) if lg == "id"]
        if en_rows:
            model = self.models["en_target"]
            rows = [docs[mentions[k][0]].toks[mentions[k][1].sentence] for k in en_rows]
            counts = model.featurizer.counts(rows)
            en_spans = [spans[k] for k in en_rows]
            windows = model.featurizer.window_counts(rows, en_spans)
            sentences = [docs[mentions[k][0]].sentences[mentions[k][1].sentence] for k in en_rows]
            out[en_rows] = model.target_proba(
                sp.csr_matrix(counts + windows),
                rows,
                en_spans,
                sentences,
                [(mentions[k][1].start, mentions[k][1].end) for k in en_rows],
            )
        if id_rows:
            model = self.models["id"]
            windows = []
            for k in id_rows:
                i, m = mentions[k]
                first, last = spans[k]
                windows.append(
                    docs[i].toks[m.sentence][max(0, first - ID_WINDOW) : last + ID_WINDOW]
                )
            window_proba = model.proba(model.featurizer.counts(windows))
            sentence = np.array(
                [sent_proba[mentions[k][0]][mentions[k][1].sentence] for k in id_rows]
            )
            out[id_rows] = 0.5 * sentence + 0.5 * window_proba
        return out


@lru_cache(maxsize=1024)
def _bag_values(n_sentences: int, has_title: bool) -> tuple[float, ...]:
    """Bag weights of an article's sentences, normalised so the heaviest weighs 1."""
    weights = [_bag_weight(j, has_title) for j in range(n_sentences)]
    top = max(weights, default=1.0)
    return tuple(w / top for w in weights)


def _bag_weight(sentence: int, has_title: bool) -> float:
    if has_title and sentence == 0:
        return BAG_WEIGHTS[0]
    body = sentence - 1 if has_title else sentence
    return BAG_WEIGHTS[1] if body < LEAD_SENTENCES else BAG_WEIGHTS[2]

"""Relevance from what the person keeps: a small incremental TF-IDF model, no network, no numpy.

Each saved/read item is learned with a positive weight, each dismissed one with a negative weight
(:meth:`Ranker.learn`). Text is lower-cased and split on non-alphanumerics (``lora``, ``llm``,
``vit``, ``gpt4`` stay words), stopwords and bare numbers dropped, then unigrams plus bigrams of
neighbouring kept words. A learned document adds its length-normalised, sublinear term counts to
the positive or negative sum and its terms to the document frequencies; at scoring time both sums
are weighted by IDF (``log((1+N)/(1+df)) + 1``), giving a positive and a negative centroid.

``score = cos(item, positive) - NEGATIVE_SHARE * cos(item, negative) + INTEREST_BONUS * interests``

where ``interests`` counts the configured interest keywords found in the item as whole words or
phrases (case-insensitive, ``-``/space alike, a plural ``s`` allowed). :meth:`Ranker.explain` names
the matched interests and then the learned words that contributed most, e.g. ``["LoRA",
"diffusion"]``. Everything is deterministic (ties broken by the word), and the learned state is a
compact dict (:meth:`Ranker.to_dict`) for the store.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any, Protocol

FORMAT = 1
NEGATIVE_SHARE = 0.5
INTEREST_BONUS = 0.25
MAX_INTEREST_HITS = 3
MAX_TERMS = 50_000  # vocabulary kept; the rarest terms go first when it grows past this
SCORED_CHARS = 1500  # of an item's text: the title and the first ~200 words of an abstract
_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset("""
a about above after again against all also although am an and any are as at be been before being below
between both but by can could did do does doing down during each either et etc few for from further had has
have having he her here hers him his how however i if in into is it its itself just may me might more most
much must my no nor not now of off on once only or other our ours out over own per same she should since so
some such than that the their theirs them then there these they this those through thus to too under until
up upon us very via was we were what when where whether which while who whom why will with within without
would yet you your al new novel propose proposed present paper work show shows shown results result method
methods approach approaches using use used based towards toward study studies well one two three first second
existing recent recently however across large many several different via thereby therefore whereas often
""".split())  # noqa: SIM905 (a word list reads better as text)
_DROPPED = STOPWORDS | frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # and one-character words


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


def tokens(text: str) -> Counter[str]:
    """Counts of the unigrams and bigrams of ``text`` as the model sees them."""
    kept = [word if word not in _DROPPED and not word.isdigit() else "" for word in _WORD.findall(text.lower())]
    counts = Counter(filter(None, kept))
    counts.update([a + " " + b for a, b in pairwise(kept) if a and b])
    return counts


class Ranker:
    """The relevance model. Cheap to build; :meth:`score` 5,000 items in a fraction of a second."""

    def __init__(self, interests: Iterable[str] = (), *, negative_share: float = NEGATIVE_SHARE,
                 interest_bonus: float = INTEREST_BONUS) -> None:
        self.docs = 0
        self.df: dict[str, int] = {}
        self.positive: dict[str, float] = {}
        self.negative: dict[str, float] = {}
        self.negative_share = negative_share
        self.interest_bonus = interest_bonus
        self.interests: tuple[str, ...] = ()
        self._patterns: list[tuple[str, str, re.Pattern[str]]] = []
        self._centroids: tuple[dict[str, float], dict[str, float], dict[str, float], float] | None = None
        self.set_interests(interests)

    # -- learning -------------------------------------------------------------------------------

    def set_interests(self, interests: Iterable[str]) -> None:
        """Interest keywords or phrases from config (``["diffusion", "LoRA"]``)."""
        cleaned = [" ".join(str(interest).split()) for interest in interests]
        self.interests = tuple(dict.fromkeys(interest for interest in cleaned if interest))
        # The first word's plain substring test is a cheap filter before the regex.
        self._patterns = [(interest, re.split(r"[\s-]+", interest.lower())[0], _interest_pattern(interest))
                          for interest in self.interests]

    def learn(self, text: str, weight: float = 1.0) -> None:
        """Learn one document: ``weight > 0`` for saved/read (e.g. 1.0 saved, 0.5 read), ``< 0`` dismissed."""
        self._update(text, weight, +1)

    def unlearn(self, text: str, weight: float = 1.0) -> None:
        """Take back an earlier :meth:`learn` with the same text and weight (an undo, an unsave)."""
        self._update(text, weight, -1)

    def _update(self, text: str, weight: float, sign: int) -> None:
        if not weight or not (vector := _unit(tokens(text[:SCORED_CHARS]))):
            return
        self.docs = max(0, self.docs + sign)
        for term in vector:
            count = self.df.get(term, 0) + sign
            if count > 0:
                self.df[term] = count
            else:
                self.df.pop(term, None)
        target = self.positive if weight > 0 else self.negative
        for term, value in vector.items():
            total = target.get(term, 0.0) + sign * abs(weight) * value
            if total > 1e-9:
                target[term] = total
            else:
                target.pop(term, None)
        if len(self.df) > MAX_TERMS:
            self._prune()
        self._centroids = None

    def _prune(self) -> None:
        keep = set(sorted(self.df, key=lambda term: (-self.df[term], term))[: MAX_TERMS * 9 // 10])
        self.df = {term: count for term, count in self.df.items() if term in keep}
        self.positive = {term: value for term, value in self.positive.items() if term in keep}
        self.negative = {term: value for term, value in self.negative.items() if term in keep}

    # -- scoring --------------------------------------------------------------------------------

    def score(self, item: _HasText | str) -> float:
        """Relevance of an item (anything with ``.text``, or a string). Higher is better; 0 = no signal."""
        lower = (item if isinstance(item, str) else item.text)[:SCORED_CHARS].lower()
        hits = min(len(self._matched_interests(lower)), MAX_INTEREST_HITS)
        return self._similarity(lower) + self.interest_bonus * hits

    def ranked(self, items: Sequence[Any]) -> list[tuple[float, Any]]:
        """``(score, item)`` pairs, best first; ties keep the given order (e.g. newest first)."""
        scored = [(self.score(item), index, item) for index, item in enumerate(items)]
        scored.sort(key=lambda entry: (-entry[0], entry[1]))
        return [(score, item) for score, _, item in scored]

    def explain(self, item: _HasText | str, *, limit: int = 5) -> list[str]:
        """Why an item scores: matched interests (as configured), then the learned words that weigh most."""
        lower = (item if isinstance(item, str) else item.text)[:SCORED_CHARS].lower()
        matched = self._matched_interests(lower)
        positive, negative, idf, default = self._cache()
        contributions = {}
        for term, count in tokens(lower).items():
            weight = (1.0 + math.log(count)) * idf.get(term, default)
            value = weight * (positive.get(term, 0.0) - self.negative_share * negative.get(term, 0.0))
            if value > 0:
                contributions[term] = value
        seen = {interest.lower() for interest in matched}
        out = list(matched)
        for word in sorted(contributions, key=lambda term: (-contributions[term], term)):
            if len(out) >= limit:
                break
            # A bigram whose words were already named, or a word inside a named phrase, adds nothing.
            if word in seen or all(part in seen for part in word.split()) or any(
                    word in named.split() for named in seen if " " in named):
                continue
            out.append(word)
            seen.add(word)
        return out[:limit]

    def _matched_interests(self, lower: str) -> list[str]:
        return [interest for interest, first, pattern in self._patterns if first in lower and pattern.search(lower)]

    def _similarity(self, lower: str) -> float:
        positive, negative, idf, default = self._cache()
        if not (positive or negative):
            return 0.0
        squares = plus = minus = 0.0
        log = math.log
        for term, count in tokens(lower).items():
            weight = (1.0 + log(count) if count > 1 else 1.0) * idf.get(term, default)
            squares += weight * weight
            if (value := positive.get(term)) is not None:
                plus += weight * value
            if (value := negative.get(term)) is not None:
                minus += weight * value
        if not squares:
            return 0.0
        norm = math.sqrt(squares)
        return plus / norm - self.negative_share * minus / norm

    def _cache(self) -> tuple[dict[str, float], dict[str, float], dict[str, float], float]:
        """Centroids weighted by IDF and divided by their norms, the IDF table and the unseen-term IDF."""
        if self._centroids is None:
            docs = self.docs
            idf = {term: math.log((1 + docs) / (1 + count)) + 1.0 for term, count in self.df.items()}
            default = math.log(1 + docs) + 1.0
            positive = {term: value * idf.get(term, default) for term, value in self.positive.items()}
            negative = {term: value * idf.get(term, default) for term, value in self.negative.items()}
            positive_norm, negative_norm = _norm(positive) or 1.0, _norm(negative) or 1.0
            self._centroids = ({term: value / positive_norm for term, value in positive.items()},
                               {term: value / negative_norm for term, value in negative.items()}, idf, default)
        return self._centroids

    # -- storage --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The learned state as plain JSON-ready data (interests come from config, not from here)."""
        return {"format": FORMAT, "docs": self.docs, "df": dict(sorted(self.df.items())),
                "positive": {term: round(value, 6) for term, value in sorted(self.positive.items())},
                "negative": {term: round(value, 6) for term, value in sorted(self.negative.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], interests: Iterable[str] = (), **options: float) -> Ranker:
        """A model from :meth:`to_dict` output; raises ``ValueError`` for data it does not understand."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"unknown ranking model format: {data.get('format') if isinstance(data, Mapping) else data!r}")
        ranker = cls(interests, **options)
        try:
            ranker.docs = int(data.get("docs", 0))
            ranker.df = {str(term): int(count) for term, count in dict(data.get("df", {})).items() if int(count) > 0}
            ranker.positive = {str(term): float(value) for term, value in dict(data.get("positive", {})).items()}
            ranker.negative = {str(term): float(value) for term, value in dict(data.get("negative", {})).items()}
        except (TypeError, ValueError) as error:
            raise ValueError(f"damaged ranking model: {error}") from None
        return ranker


def _unit(counts: Counter[str]) -> dict[str, float]:
    vector = {term: 1.0 + math.log(count) for term, count in counts.items()}
    norm = _norm(vector)
    return {term: value / norm for term, value in vector.items()} if norm else {}


def _norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(value * value for value in vector.values()))


def phrase_matcher(phrases: Iterable[str]) -> Callable[[str], list[str]]:
    """A function giving the ``phrases`` found in a text, matched as interests are (whole words or
    phrases, any case, ``-``/space alike, a plural allowed): the mute rules use it."""
    cleaned = list(dict.fromkeys(" ".join(str(phrase).split()) for phrase in phrases))
    patterns = [(phrase, _interest_pattern(phrase)) for phrase in cleaned if phrase]
    return lambda text: [phrase for phrase, pattern in patterns if pattern.search(text)]


def _interest_pattern(interest: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s-]+", interest) if word]
    body = r"[\s-]+".join(words)
    return re.compile(rf"(?<![^\W_]){body}(?:s|es)?(?![^\W_])", re.IGNORECASE)

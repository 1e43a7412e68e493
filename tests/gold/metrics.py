r"""The extraction metric of scrapinghub/article-extraction-benchmark (its ``evaluate.py``),
shared by the gold-set test gate (tests/test_gold.py) and bench/extraction/run.py.

Tokens are ``\w+`` runs (case kept: the IGNORECASE flag there changes nothing for ``\w``);
Thai has no spaces, so for Thai pages the tokens are segmented words (``archiver.thai.segment``).
Shingles are 4-grams counted as a multiset; a text of 1-3 tokens is one short shingle; tp/fp/fn
are normalised per page so that long pages do not weigh more; precision is averaged over pages
with a non-empty prediction, recall over pages with a non-empty truth; F1 is the harmonic mean
of the two averages.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def word_tokens(text: str | None) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def thai_tokens(text: str | None) -> list[str]:
    from archiver.thai.words import segment

    return segment(text) if text else []


def _shingles(tokens: Sequence[str], n: int = 4) -> Counter[tuple[str, ...]]:
    result: Counter[tuple[str, ...]] = Counter()
    for i in range(0, max(1, len(tokens) - n + 1)):
        shingle = tuple(tokens[i : i + n])
        if shingle:
            result[shingle] += 1
    return result


def shingle_counts(true_tokens: Sequence[str], pred_tokens: Sequence[str]) -> tuple[float, ...]:
    """Normalised (tp, fp, fn) of one page, as upstream ``string_shingle_matching``."""
    true_sh, pred_sh = _shingles(true_tokens), _shingles(pred_tokens)
    tp = fp = fn = 0.0
    for key in set(true_sh) | set(pred_sh):
        t, p = true_sh.get(key, 0), pred_sh.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (tp, fp, fn)


def precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def prf(counts: Sequence[tuple[float, ...]]) -> dict[str, float | None]:
    """Upstream ``metrics_from_tp_fp_fns``: per-page P and R averaged, F1 of the averages."""
    ps = [precision(*c) for c in counts if c[0] + c[1] > 0]
    rs = [recall(*c) for c in counts if c[0] + c[2] > 0]
    p = statistics.mean(ps) if ps else None
    r = statistics.mean(rs) if rs else None
    f1 = 2 * p * r / (p + r) if p is not None and r is not None and p + r > 0 else None
    return {"precision": p, "recall": r, "f1": f1}


def page_f1(truth: str, predicted: str, tokens=thai_tokens) -> float:  # type: ignore[no-untyped-def]
    """F1 of one page (precision and recall of that page alone)."""
    counts = shingle_counts(tokens(truth), tokens(predicted))
    p, r = precision(*counts), recall(*counts)
    return 2 * p * r / (p + r) if p + r else 0.0


def bag_tokens(text: str | None) -> list[str]:
    r"""WCXB's tokens: ``\w+`` runs of the lower-cased text (no shingles, no segmentation)."""
    return _TOKEN_RE.findall((text or "").lower())


def bag_scores(truth: Sequence[str], pred: Sequence[str]) -> dict[str, float | None]:
    """WCXB's per-page bag-of-words precision, recall and F1 (overlap = sum of min counts).

    P is undefined (None) without a prediction and R without a truth, so that their means are
    over the pages where they mean something; F1 is always defined: 1.0 when both are empty
    (nothing to find, nothing returned), 0.0 when only one is or nothing overlaps. On WCXB dev
    this reproduces the benchmark's published figures for plain trafilatura 2.3.1 (article
    pages 0.929, all 1,497 pages 0.818)."""
    if not truth and not pred:
        return {"precision": None, "recall": None, "f1": 1.0}
    overlap = sum((Counter(truth) & Counter(pred)).values())
    p = overlap / len(pred) if pred else None
    r = overlap / len(truth) if truth else None
    f1 = 2 * p * r / (p + r) if p and r else 0.0
    return {"precision": p, "recall": r, "f1": f1}


def meta_value(value: object) -> str | None:
    """A title, author or date as WCXB's metadata is compared: spaces collapsed, lower case;
    blank or missing counts as no value."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip().lower()
    return text or None


def bag_f1(truth: str | None, predicted: str | None) -> float:
    """WCXB's F1 of one page, from its texts."""
    return bag_scores(bag_tokens(truth), bag_tokens(predicted))["f1"] or 0.0

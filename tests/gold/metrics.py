"""Text similarity as the scrapinghub article-extraction benchmark measures it: the text as
4-token shingles, precision and recall per page; callers average them over pages.

Thai has no spaces, so for Thai the tokens are segmented words (``archiver.thai.segment``);
the benchmark's own pages use ``\\w+`` tokens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

Tokenizer = Callable[[str], list[str]]
SHINGLE = 4


def word_tokens(text: str) -> list[str]:
    """The scrapinghub benchmark's tokens."""
    return re.findall(r"\w+", text or "")


def thai_tokens(text: str) -> list[str]:
    from archiver.thai import segment

    return segment(text or "")


def shingles(tokens: list[str], n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def precision_recall(truth: str, predicted: str, tokens: Tokenizer) -> tuple[float, float]:
    """(precision, recall) of ``predicted`` against ``truth``; both 1.0 when both are empty."""
    want, got = shingles(tokens(truth)), shingles(tokens(predicted))
    if not want and not got:
        return 1.0, 1.0
    common = sum((want & got).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    return precision, recall


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

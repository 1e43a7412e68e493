"""Gold set of hand-written Thai agency article pages with expected extraction (see README.md)."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def load() -> list[dict]:
    """Every case: the JSON expectation plus ``design``, ``name`` and ``body`` (raw page bytes)."""
    cases = []
    for expected in sorted(HERE.glob("*/*.json")):
        case = json.loads(expected.read_text("utf-8"))
        case["design"] = expected.parent.name
        case["name"] = expected.stem
        case["body"] = expected.with_suffix(".html").read_bytes()
        cases.append(case)
    return cases

"""The layers of the code import downward only, and each process loads only what it uses.

``archiver`` is built along its data flow (README, "The code"): Thai rules and plain data at the
bottom, then the WARC format, extraction, the derived index, search, the jobs shared by crawl
and reindex, the crawl (the only package that imports Scrapy and Twisted), the demo and the CLI;
the spiders sit on top of ``archiver`` and nothing in ``archiver`` imports them. Two checks:

- every ``import`` statement of every module (inside functions too) is read with ``ast``: a
  module may import its own package and lower layers, never a higher one;
- each package is imported in a fresh interpreter and must not have pulled in the third-party
  packages its layer must not load (Scrapy outside the crawl; in the index writer process,
  which is spawned per crawl, nothing but the index).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Layer of each top-level part of ``archiver`` (and of ``spiders``): lower numbers are lower.
LAYERS: dict[str, int] = {
    "archiver": 0,  # the package's own __init__ (the version)
    "archiver.errors": 0,
    "archiver.urls": 0,
    "archiver.names": 0,
    "archiver.settings": 0,
    "archiver.registry": 0,
    "archiver.thai": 0,
    "archiver.archive": 1,
    "archiver.demo": 1,  # the bundled demo site and its server (``archiver demo`` is in cli)
    "archiver.warc": 1,
    "archiver.extract": 2,
    "archiver.index": 3,
    "archiver.search": 4,
    "archiver.jobs": 5,
    "archiver.cluster": 5,  # the Redis protocol of cluster mode; Scrapy's side of it is in crawl
    "archiver.crawl": 6,
    "spiders": 7,
    "archiver.cli": 8,
    "archiver.web": 9,  # the Datasette plugin: shows what the CLI shows, in a browser
    "archiver.__main__": 10,
}
SCRAPY = ("scrapy", "twisted")
#: What each package must not load when imported alone (checked in a fresh interpreter).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "archiver.thai": (*SCRAPY, "lxml", "trafilatura", "warcio", "sqlite_utils", "click"),
    "archiver.warc": (*SCRAPY, "lxml", "trafilatura", "click", "nlpo3"),
    "archiver.warc.records": (*SCRAPY, "warcio", "isal", "click"),
    "archiver.extract": (*SCRAPY, "sqlite3", "warcio", "click"),
    "archiver.index": (*SCRAPY, "click", "trafilatura"),  # capture_log reads WARC records
    "archiver.index.store": (*SCRAPY, "warcio", "isal", "click", "sqlite_utils", "trafilatura"),
    "archiver.search": (*SCRAPY, "warcio", "isal", "click", "trafilatura"),
    "archiver.jobs": (*SCRAPY, "click"),
    "archiver.cluster": (*SCRAPY, "click", "redis"),  # redis-py is loaded when a client is made
    # the process spawned to write the index during a crawl: the index and nothing else
    "archiver.jobs.index_writer": (
        *SCRAPY,
        "warcio",
        "isal",
        "click",
        "sqlite_utils",
        "w3lib",
        "trafilatura",
        "lxml",
    ),
    # a page worker process: extraction and segmentation, no crawler, no CLI
    "archiver.jobs.workers": (*SCRAPY, "click", "sqlite_utils"),
}


def layer_of(module: str) -> tuple[str, int] | None:
    """The part of the code ``module`` belongs to and its layer (None: not ours)."""
    parts = module.split(".")
    for n in (2, 1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name, LAYERS[name]
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(source: str, module: str) -> list[tuple[int, str]]:
    """Every module an import statement of ``source`` names (relative ones resolved)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, base]) if base else ".".join(package)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def wrong_imports(source: str, module: str) -> list[str]:
    """The imports of ``module`` (source ``source``) that reach a higher layer."""
    own = layer_of(module)
    if own is None:
        return []
    problems = []
    for line, target in imported(source, module):
        theirs = layer_of(target)
        if theirs is None or theirs[0] == own[0]:
            continue
        if theirs[1] > own[1] or (theirs[1] == own[1] and own[0] != "archiver"):
            if theirs[0] == "archiver":  # ``from archiver import names``: names the module
                continue
            problems.append(f"{module}:{line} imports {target} (layer {theirs[1]} > {own[1]})")
    return problems


def our_modules() -> list[Path]:
    return sorted((ROOT / "archiver").rglob("*.py")) + sorted((ROOT / "spiders").rglob("*.py"))


def test_every_module_imports_only_its_own_package_and_lower_layers() -> None:
    problems = []
    for path in our_modules():
        module = module_name(path)
        assert layer_of(module) is not None, f"{module}: add its package to LAYERS"
        problems += wrong_imports(path.read_text("utf-8"), module)
    assert problems == []


def test_the_layer_check_finds_an_upward_import() -> None:
    """The check itself can fail: an index module importing the crawl, a Thai rule importing
    the index, a spider-free ``archiver`` importing a spider."""
    assert wrong_imports("from archiver.crawl.run import run\n", "archiver.index.store")
    assert wrong_imports("def f():\n    import archiver.index.store\n", "archiver.thai.dates")
    assert wrong_imports("from spiders.news import NewsSpider\n", "archiver.crawl.run")
    assert wrong_imports("from archiver.search import plan\n", "archiver.index.fulltext")
    assert not wrong_imports("from archiver.thai.dates import parse_date\n", "archiver.index.x")
    assert not wrong_imports("from archiver import names\n", "archiver.crawl.run")


def loaded_by(module: str) -> set[str]:
    """The top-level packages loaded by importing ``module`` (a package: each of its modules)
    in a fresh interpreter."""
    folder = ROOT / module.replace(".", "/")
    modules = [module_name(p) for p in sorted(folder.glob("*.py"))] if folder.is_dir() else []
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in [module, *modules])
        + "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_a_package_imported_alone_loads_nothing_its_layer_must_not(module: str) -> None:
    assert loaded_by(module) & set(FORBIDDEN[module]) == set()


def test_only_the_crawl_and_the_spiders_import_scrapy() -> None:
    for path in our_modules():
        module = module_name(path)
        if module.startswith(("archiver.crawl", "spiders")):
            continue
        for line, target in imported(path.read_text("utf-8"), module):
            assert target.split(".")[0] not in SCRAPY, f"{module}:{line} imports {target}"

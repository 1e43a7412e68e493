"""What the loopback benchmarks share: how they run the archiver CLI against a local site.

Politeness is relaxed for the loopback host through settings only (``RELAXED``), never a code
path of its own; each script adds its own concurrency.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The environment of a CLI run: the repository on the path (no install needed).
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
RELAXED = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def archiver(*args: str) -> list[str]:
    """The command line of ``python -m archiver ARGS`` with this interpreter."""
    return [sys.executable, "-m", "archiver", *args]


def crawl_args(url: str, archive: Path, per_host: int, *extra: str) -> list[str]:
    """``crawl`` of one listing into ``archive``, relaxed, ``per_host`` requests at a time."""
    return [
        "crawl",
        "--url",
        url,
        "--archive",
        str(archive),
        *RELAXED,
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={per_host}",
        *extra,
    ]


def crawl_command(url: str, archive: Path, per_host: int, *extra: str) -> list[str]:
    """The whole command line of ``crawl_args``."""
    return archiver(*crawl_args(url, archive, per_host, *extra))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m archiver ARGS`` run to its end, output captured."""
    return subprocess.run(
        archiver(*args), capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=600
    )


def kill_after(args: list[str], seconds: float) -> None:
    """``python -m archiver ARGS`` SIGKILLed ``seconds`` after it started (the kill loops)."""
    process = subprocess.Popen(
        archiver(*args), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait()

"""Other tools' readers of our WARCs, run as their users run them: ``warcio check``,
``fastwarc check`` (FastWARC, of resiliparse), ``warcat verify``, pywb (``wb-manager``
to index a collection, ``wayback`` to replay it) and py-wacz (``wacz validate``).

They live in their own virtualenv (pywb's pins clash with Scrapy's), ``.venv-replay`` at the
repository root, made by ``.ci/run`` from ``tests/replay-tools.txt``; ``ARCHIVER_TOOLS_BIN``
names another ``bin`` directory. A missing tool fails the test that needs it, never skips it.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archiver.warc.reader import iter_records
from archiver.warc.records import warc_fields

ROOT = Path(__file__).resolve().parent.parent
INSTALL = (
    "python3 -m venv .venv-replay && .venv-replay/bin/pip install -r tests/replay-tools.txt"
    " (what .ci/run does)"
)


def tool(name: str) -> Path:
    """The executable ``name`` of the tools' virtualenv; fails the test if it is not there."""
    bin_dir = Path(os.environ.get("ARCHIVER_TOOLS_BIN") or ROOT / ".venv-replay" / "bin")
    path = bin_dir / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: install the WARC tools with {INSTALL}")
    return path


def _run(command: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=300, cwd=cwd
    )


@dataclass
class Verdict:
    """What one tool said of one file: its exit code, the records it flagged (record ID ->
    what it said) and anything else it printed about the file (``other``)."""

    tool: str
    returncode: int
    flagged: dict[str, set[str]] = field(default_factory=dict)
    other: set[str] = field(default_factory=set)
    checked: int = 0  # records the tool reports on one by one (FastWARC)
    output: str = ""

    def flag(self, record_id: str, what: str) -> None:
        self.flagged.setdefault(record_id, set()).add(what)

    @property
    def clean(self) -> bool:
        return self.returncode == 0 and not self.flagged and not self.other


def warcio_check(path: Path) -> Verdict:
    """``warcio check``: block and payload digests of every record (it prints nothing but the
    file's name and its failures)."""
    done = _run([tool("warcio"), "check", "-v", path])
    verdict = Verdict("warcio", done.returncode, output=done.stdout + done.stderr)
    record = ""
    for line in done.stdout.splitlines():
        found = re.search(r"WARC-Record-ID (<[^>]+>)", line)
        if found:
            record = found.group(1)
        elif "fail" in line.lower() or "invalid" in line.lower():
            verdict.flag(record, line.strip())
    verdict.other = {line for line in done.stderr.splitlines() if line.strip()}
    return verdict


#: What FastWARC says of a record whose digests all verify (or that has no payload digest).
FASTWARC_OK = {"OK, PAYLOAD_OK", "OK, PAYLOAD_NO_DIGEST"}


def fastwarc_check(path: Path, scratch: Path) -> Verdict:
    """``fastwarc check --verify-payloads``: every block digest and every payload digest,
    one line a record in its ``--output`` file."""
    report = scratch / (path.name + ".fastwarc.txt")
    done = _run([tool("fastwarc"), "check", "--quiet", "--verify-payloads", "-o", report, path])
    verdict = Verdict("fastwarc", done.returncode, output=done.stdout + done.stderr)
    for line in report.read_text().splitlines() if report.exists() else []:
        found = re.fullmatch(r"(<[^>]+>): (.+)", line.strip())
        if found:
            verdict.checked += 1
            if found.group(2) not in FASTWARC_OK:
                verdict.flag(found.group(1), found.group(2))
    return verdict


def warcat_verify(path: Path) -> Verdict:
    """``python -m warcat verify``: the WARC standard's rules record by record (fields each
    type may carry, digests, IDs); silent on a good file."""
    done = _run([tool("python"), "-m", "warcat", "verify", path])
    verdict = Verdict("warcat", done.returncode, output=done.stdout + done.stderr)
    record = ""
    for line in (done.stdout + done.stderr).splitlines():
        failed = re.fullmatch(r"Record (<[^>]+>) failed validation", line.strip())
        problem = re.search(r"VerifyProblem: \('([^']*)'", line)
        if failed:
            record = failed.group(1)
        elif problem:
            verdict.flag(record, problem.group(1))
        elif line.startswith(("Traceback", " ")) or re.fullmatch(
            r"Validation failed\. Problems: \d+\.", line.strip()
        ):
            continue  # the traceback of a problem flagged above, and the count
        elif line.strip():
            verdict.other.add(line.strip())
    return verdict


def wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    """``wacz validate -f PATH`` (py-wacz): layout, frictionless datapackage, every resource's
    hash, and ``datapackage-digest.json``."""
    return _run([tool("wacz"), "validate", "-f", path])


def check_all(path: Path, scratch: Path) -> list[Verdict]:
    return [warcio_check(path), fastwarc_check(path, scratch), warcat_verify(path)]


# -- what a crawl wrote ---------------------------------------------------------------
@dataclass(frozen=True)
class Capture:
    """One fetch (a response or revisit record, with its metadata record) as the WARC holds it."""

    url: str  # WARC-Target-URI
    timestamp: str  # 14 digits, of WARC-Date
    rec_type: str  # response or revisit
    profile: str  # the revisit's WARC-Profile, or ""
    role: str  # what the crawler took it for (its metadata record's ``role``)
    status: int  # the HTTP status of a response record (0 for a revisit)


def captures(path: Path) -> list[Capture]:
    """The captures of ``path`` (responses and revisits with their metadata record)."""
    fetches, out = {}, []
    for record in iter_records(path):
        record_id = record.warc_headers.get_header("WARC-Record-ID")
        if record.rec_type in ("response", "revisit"):
            fetches[record_id] = record
        elif record.rec_type == "metadata":
            fetch = fetches.get(record.warc_headers.get_header("WARC-Concurrent-To"))
            if fetch is not None:
                date = fetch.warc_headers.get_header("WARC-Date")
                headers = fetch.http_headers if fetch.rec_type == "response" else None
                out.append(
                    Capture(
                        fetch.url,
                        "".join(c for c in date if c.isdigit())[:14],
                        fetch.rec_type,
                        fetch.warc_headers.get_header("WARC-Profile") or "",
                        warc_fields(record.payload).get("role", ""),
                        int(headers.get_statuscode()) if headers else 0,
                    )
                )
    return out


# -- pywb ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replayed:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Wayback:
    """A running ``wayback`` serving collection ``collection`` on 127.0.0.1:``port``."""

    port: int
    collection: str

    def get(self, timestamp: str, url: str, mode: str = "id_") -> Replayed:
        """The capture of ``url`` at ``timestamp`` (14 digits), in replay ``mode`` (``id_``:
        as archived, nothing rewritten). Redirects are not followed; the body is as sent
        (``Accept-Encoding: gzip``: a gzip page comes back in the bytes the server sent)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(
                "GET",
                f"/{self.collection}/{timestamp}{mode}/{url}",
                headers={"Accept-Encoding": "gzip"},
            )
            response = conn.getresponse()
            body = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Replayed(response.status, headers, body)
        finally:
            conn.close()


@contextmanager
def wayback(root: Path, collection: str, warcs: list[Path]) -> Iterator[Wayback]:
    """Index ``warcs`` (WARC files, or WACZ files: ``wb-manager add --unpack-wacz`` copies
    their WARCs and merges their CDXJ) into a new pywb collection under ``root`` with
    ``wb-manager`` and serve it with ``wayback`` on 127.0.0.1 (a free port) until the block
    ends."""
    root.mkdir(parents=True, exist_ok=True)
    unpack = ["--unpack-wacz"] if any(Path(p).suffix == ".wacz" for p in warcs) else []
    for command in (["init", collection], ["add", *unpack, collection, *warcs]):
        done = _run([tool("wb-manager"), *command], cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    log = open(root / "wayback.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [tool("wayback"), "-b", "127.0.0.1", "-p", str(port), "-d", root],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (root / "wayback.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "wayback did not start in 60 s"
                time.sleep(0.2)
        yield Wayback(port, collection)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

"""Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
fd 3 carries commands to the browser, fd 4 its answers and events, each a JSON message ended by
a NUL byte), so no websocket library is needed. Loopback only: every host name but 127.0.0.1
resolves to nothing, and the browser's own background traffic is off.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
]


def chromium() -> str:
    """The browser: ``$CHROMIUM``, else Debian's ``chromium`` (or another name for it)."""
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return str(shutil.which(name))
    sys.exit("no chromium found: apt-get install -y chromium (or set CHROMIUM=...)")


@dataclass
class Request:
    url: str
    kind: str  # DevTools' resource type: Document, Stylesheet, Image, Font, Script, ...
    status: int = 0
    error: str = ""
    done: bool = False


@dataclass
class Loaded:
    """What opening one page did: every request, and what the script ``probe`` returned."""

    requests: list[Request] = field(default_factory=list)
    probe: Any = None
    seconds: float = 0.0
    timed_out: bool = False


class Browser:
    """One headless Chromium; ``open(url, probe)`` loads a page in a fresh tab."""

    def __init__(self, profile: Path) -> None:
        to_browser = os.pipe()
        from_browser = os.pipe()
        # above the low numbers, so that moving them to 3 and 4 in the child clobbers nothing
        read_end = fcntl.fcntl(to_browser[0], fcntl.F_DUPFD, 10)
        write_end = fcntl.fcntl(from_browser[1], fcntl.F_DUPFD, 10)

        def child() -> None:
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=child,  # noqa: PLW1509 - two dup2 calls, nothing else
            close_fds=False,  # our other descriptors are not inheritable (PEP 446)
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in (to_browser[0], from_browser[1], read_end, write_end):
            os.close(fd)
        self.commands, self.answers = to_browser[1], from_browser[0]
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (OSError, TimeoutError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.commands, self.answers):
            os.close(fd)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol -------------------------------------------------------------------------
    def _messages(self, timeout: float) -> Iterator[dict[str, Any]]:
        """Messages as they come, until ``timeout`` seconds pass without one."""
        while True:
            while b"\0" in self.buffer:
                line, self.buffer = self.buffer.split(b"\0", 1)
                yield json.loads(line)
            ready, _, _ = select.select([self.answers], [], [], timeout)
            if not ready:
                return
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk

    def send(self, method: str, session: str | None = None, timeout: float = 30, **params: Any):
        """Run one command and return its result; events that come meanwhile are kept."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for answer in self._messages(max(0.01, deadline - time.monotonic())):
                if answer.get("id") == self.next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
                self.events.append(answer)
        raise TimeoutError(f"{method}: no answer in {timeout} s")

    def open(
        self, url: str, probe: str, watch: str = "", timeout: float = 30, quiet: float = 0.5
    ) -> Loaded:
        """Load ``url`` in a new tab (1280 px wide, 8000 px tall: nothing waits for a scroll),
        wait for its load event and then ``quiet`` seconds without a request in flight to a
        URL that starts with ``watch`` (at most ``timeout`` seconds in all; a worker's script,
        say, is never reported done to the page), run the JavaScript expression ``probe`` in
        it and return its value (JSON) with every request the page made."""
        started = time.monotonic()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        loaded = Loaded()
        try:
            self.send("Network.enable", session)
            self.send("Page.enable", session)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                session,
                width=1280,
                height=8000,
                deviceScaleFactor=1,
                mobile=False,
            )
            self.events.clear()
            self.send("Page.navigate", session, url=url)
            requests: dict[str, Request] = {}
            fired, last = False, time.monotonic()
            deadline = started + timeout
            while time.monotonic() < deadline:
                events, self.events = self.events, []
                events += list(self._messages(0.1))
                for event in events:
                    if event.get("sessionId") != session:
                        continue
                    last = time.monotonic()
                    fired |= _note(event, requests)
                busy = any(not r.done and r.url.startswith(watch) for r in requests.values())
                if fired and not busy and time.monotonic() - last >= quiet:
                    break
            else:
                loaded.timed_out = True
            found = self.send("Runtime.evaluate", session, expression=probe, returnByValue=True)
            loaded.probe = found.get("result", {}).get("value")
            loaded.requests = list(requests.values())
        finally:
            self.send("Target.closeTarget", targetId=target)
        loaded.seconds = time.monotonic() - started
        return loaded


def _note(event: dict[str, Any], requests: dict[str, Request]) -> bool:
    """Keep what ``event`` says of a request; True for the page's load event."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Page.loadEventFired":
        return True
    key = params.get("requestId", "")
    if method == "Network.requestWillBeSent":
        previous = requests.get(key)
        if previous is not None and params.get("redirectResponse"):  # a redirect: a new hop
            previous.status = params["redirectResponse"].get("status", 0)
            previous.done = True
            requests[key + "#" + str(len(requests))] = previous
        requests[key] = Request(params["request"]["url"], params.get("type", "Other"))
    elif key in requests:
        if method == "Network.responseReceived":
            requests[key].status = params["response"].get("status", 0)
        elif method == "Network.loadingFinished":
            requests[key].done = True
        elif method == "Network.loadingFailed":
            requests[key].error = params.get("errorText", "failed")
            requests[key].done = True
    return False

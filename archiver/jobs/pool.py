"""Pool processes of a crawl (page workers, the index writer): started with the crawl's
signals kept away from them, and never outliving it.

Kept small and free of Scrapy, trafilatura and SQLite so that a process spawned for one job
imports only what that job needs (the index writer: 0.4 CPU-s and about 40 MB less than when
it imported the Scrapy pipeline module).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any


def exit_with(pid: int) -> None:
    """Make this pool process follow the crawl ``pid``: live as long as it, die with it.

    Ctrl-C and ``systemctl stop`` signal every process of the group: SIGINT and SIGTERM are
    ignored here, so that the crawl's graceful stop (Scrapy finishes the pages in hand) still
    has its workers and writer; the crawl stops them when it ends. A crawl killed with SIGKILL
    cannot stop them, and a pool process waiting for work never notices (it holds both ends of
    its queue's pipe itself): a thread here exits the process when the crawl is gone, so no
    killed cron run leaves processes behind.
    """
    for number in _STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)  # (discards any that came while blocked)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked from birth: start_pool
    threading.Thread(target=_exit_with, args=(pid,), daemon=True).start()


def start_pool(
    processes: int, initializer: Callable[..., None], initargs: tuple[Any, ...]
) -> cf.ProcessPoolExecutor:
    """A pool of ``processes`` spawned processes, all started now, with SIGINT and SIGTERM
    blocked from birth (the signal mask is inherited through fork and exec; a signal during
    their imports would otherwise kill them before ``initializer`` could ignore it).

    Blocked, not ignored, here in the caller meanwhile: a signal ignored while a process starts
    (about a second) would be lost, and a Ctrl-C or ``systemctl stop`` then would let the
    crawl run to its end and report success. Blocked, it reaches the crawl's handler (by
    another thread, or once unblocked), and the crawl stops as asked."""
    pool = cf.ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        for _ in range(processes):  # each submit with no idle process starts one
            pool.submit(int)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
    return pool


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _exit_with(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # readable once the process has exited (Linux 5.3+)
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
    else:
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:  # alive, run by someone else (cannot be: same user)
                continue
    os._exit(0)

"""``--cluster`` URLs and ``--node`` names are checked before anything is written; a Redis that
does not answer is one line; a live one (a real redis-server) answers PING."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.cluster.connect import check_node, check_url, connect
from archiver.errors import ClusterConfigError, ClusterUnavailableError
from tests.redis_server import RedisServer, free_port


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://redis.example:6380",
        "rediss://user:pw@10.0.0.5:6379/3",
        "unix:///run/redis/redis.sock",
    ],
)
def test_redis_urls_redis_py_opens_are_accepted(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("127.0.0.1:6379", "not a Redis URL"),
        ("http://127.0.0.1:6379/0", "not a Redis URL"),
        ("redis://127.0.0.1:notaport/0", "Port could not be cast"),
        ("redis://127.0.0.1:99999/0", "out of range"),
        ("redis:///0", "no host"),
        ("redis://127.0.0.1:6379/zero", "must be a number"),
        ("unix://", "no socket path"),
    ],
)
def test_malformed_cluster_urls_are_a_one_line_usage_error(url: str, says: str) -> None:
    with pytest.raises(ClusterConfigError) as caught:
        check_url(url)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("name", [None, "", "has space", "a/b", "-lead", "x" * 64])
def test_a_missing_or_unusable_node_name_is_refused(name: str | None) -> None:
    with pytest.raises(ClusterConfigError) as caught:
        check_node(name)
    assert caught.value.exit_code == 2


def test_node_names_that_fit_a_file_name_are_kept() -> None:
    assert check_node("crawl-01.example_org") == "crawl-01.example_org"


def test_a_redis_that_does_not_answer_is_one_line_and_exit_69() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with pytest.raises(ClusterUnavailableError) as caught:
        connect(url)
    message = str(caught.value)
    assert message.startswith(f"Redis at {url} does not answer")
    assert "\n" not in message
    assert caught.value.exit_code == 69


def test_the_client_survives_a_redis_restart_on_its_append_only_file(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    try:
        client = connect(server.url)
        client.set("probe", "kept")
        server.kill()
        server.start()
        assert client.get("probe") == b"kept"  # reconnected, and the AOF kept the write
    finally:
        server.stop()

"""The ports of pytest-xdist workers (tests/workers.py) never collide."""

import socket

from tests.workers import free_port


def ports_of(monkeypatch, worker: str, count: int = 2, n: int = 20) -> set[int]:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(count))
    return {free_port() for _ in range(n)}


def test_two_workers_draw_ports_from_disjoint_sets(monkeypatch):
    first, second = ports_of(monkeypatch, "gw0"), ports_of(monkeypatch, "gw1")
    assert {p // 2 % 2 for p in first} == {0}
    assert {p // 2 % 2 for p in second} == {1}


def test_the_port_is_free_to_listen_on(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port()))
        server.listen()

"""bench/load_driver.py's client: keep-alive, a new connection after `close`,
cookies; and how the driver processes' phases are put together."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from bench import load_driver
from bench.load_driver import Client


async def _serve(answers: list[bytes], seen: list[bytes], connections: list[int]):
    """A server that answers each request with the next of `answers`."""

    async def handle(reader, writer):
        connections.append(1)
        while answers:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            seen.append(head)
            answer = answers.pop(0)
            writer.write(answer)
            await writer.drain()
            if b"Connection: close" in answer:
                break
        writer.close()

    return await asyncio.start_server(handle, load_driver.HOST, 0)


def _run(coroutine):
    """Run `coroutine` on an event loop of its own thread: a test run before
    this one on the same worker (the browser tests) may leave a loop running
    in this thread, where `asyncio.run` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _answer(body: str, *headers: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", f"Content-Length: {len(body.encode())}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def test_client_keeps_the_connection_until_the_server_closes_it():
    answers = [
        _answer("one", "Set-Cookie: session=abc; HttpOnly; Path=/"),
        _answer("two", "Connection: close"),
        _answer("three"),
    ]
    seen: list[bytes] = []
    connections: list[int] = []

    async def run():
        server = await _serve(answers, seen, connections)
        client = Client(server.sockets[0].getsockname()[1])
        texts = [(await client.request("GET", "/"))[2] for _ in range(3)]
        client.close()
        server.close()
        return texts, client.connects

    texts, connects = _run(run())

    assert texts == ["one", "two", "three"]
    assert connects == 2 == len(connections)  # one kept alive, one after `close`
    assert b"Cookie: session=abc" in seen[1] and b"Cookie: session=abc" in seen[2]


def test_a_phase_lasts_from_the_first_start_to_the_last_answer_of_any_driver():
    def part(started, last, samples, cpu):
        phase = {
            "started": started, "last": last, "steps": ("GET",),
            "samples": {"GET": samples}, "errors": {}, "examples": [],
            "cpu": cpu, "db_cpu": cpu / 2, "driver_cpu": 0.5,
            "connects": len(samples),
            "load": (1.0, 1.0),
        }  # fmt: skip
        return {name: phase for name, _steps in load_driver.PHASES}

    merged = load_driver._merge(
        [part(10.0, 14.0, [1.0, 2.0], 3.0), part(9.0, 12.0, [5.0], 0)]
    )

    phase = merged["my_aids"]
    assert phase["elapsed"] == 5.0
    assert sorted(phase["samples"]["GET"]) == [1.0, 2.0, 5.0]
    assert phase["cpu"] == 3.0  # the first driver reads the workers' CPU
    assert phase["db_cpu"] == 1.5  # and PostgreSQL's
    assert phase["driver_cpu"] == 1.0 and phase["drivers"] == 2


def test_cpu_since_counts_a_new_process_whole_and_a_gone_one_not_at_all():
    before = {10: 1.0, 11: 2.0}
    after = {10: 1.5, 12: 0.25}  # 11 ended between the readings, 12 began

    assert load_driver.cpu_since(before, after) == 0.75


def test_cpu_since_is_none_where_postgresql_could_not_be_read():
    assert load_driver.cpu_since(None, {10: 1.0}) is None
    assert load_driver.cpu_since({10: 1.0}, None) is None


def test_the_postgresql_processes_counted_for_a_database():
    def works_for(title: str) -> bool:
        return load_driver.works_for(title.split(), "bench_db")

    assert works_for("postgres: 15/main: postgres bench_db 127.0.0.1(5432) idle")
    assert works_for("postgres: postgres bench_db 127.0.0.1(5432) idle")  # no cluster
    assert works_for("postgres: 15/main: autovacuum worker bench_db")
    assert works_for("postgres: 15/main: checkpointer")
    assert works_for("postgres: walwriter") and works_for("postgres: background writer")
    assert not works_for("postgres: 15/main: postgres other_db 127.0.0.1(5432) idle")
    assert not works_for("postgres: 15/main: autovacuum worker other_db")
    assert not works_for("postgres: 15/main: bench_db_copy bench_db_copy [local] idle")
    assert not works_for("postgres: 15/main: logical replication launcher")

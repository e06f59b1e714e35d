"""bench/load.py's load generator: asyncio users in several processes.

Each driver process runs its share of the users as asyncio tasks over plain
HTTP/1.1 connections (keep-alive when the server keeps them, a new connection
when it answers `Connection: close`). The processes share each phase's bounded
number of operations and start every phase together (a barrier); each reports
its samples, its first start and last answer, and its own CPU time, so the
report can show whether the driver itself was busy (a driver process near a
whole core is a bottleneck, not the server) and the rate offered against the
rate achieved.

An earlier driver ran 500 threads with http.client in one process: with 500
users and 2 s think time its per-phase rate was the phase's bounded number of
operations over the time until the slowest user had finished its last pause,
not a throughput, and its sequential logins took minutes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.load import (
    HOST,
    PASSWORD,
    USER_PREFIX,
    _order_form,
    form_fields,
    reorder_choice,
)

LOGINS_AT_ONCE = 16  # scrypt is slow on purpose: not all 500 at once
TIMEOUT = 60.0


class Failed(Exception):
    def __init__(self, step: str, detail: str):
        super().__init__(detail)
        self.step = step


class Client:
    """One user's connection and session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}
        self.connects = 0

    async def request(self, method: str, path: str, body=None, cookies: bool = True):
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if cookies and self.cookies:
            head.append(
                "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            )
        data = b""
        if body is not None:
            data = urlencode(body).encode()
            head.append("Content-Type: application/x-www-form-urlencoded")
        if data or method == "POST":
            head.append(f"Content-Length: {len(data)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + data
        for attempt in range(2):
            reused = self.writer is not None
            if not reused:
                await self._connect()
            try:
                self.writer.write(raw)
                status, headers, text = await asyncio.wait_for(self._read(), TIMEOUT)
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection: a new one.
                self.close()
                if attempt or not reused:
                    raise
        if headers.get("connection", "").lower() == "close":
            self.close()  # sync workers close after each response
        if cookies:
            for value in headers.get("set-cookie", []):
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, headers.get("location", ""), text

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(HOST, self.port), TIMEOUT
        )
        self.connects += 1

    async def _read(self):
        block = await self.reader.readuntil(b"\r\n\r\n")
        lines = block.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict = {"set-cookie": []}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                headers["set-cookie"].append(value)
            else:
                headers[name] = value
        if "content-length" in headers:
            payload = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            payload = await self._chunks()
        else:
            payload = await self.reader.read()
            self.close()
        return status, headers, payload.decode("utf-8", "replace")

    async def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def login(self, username: str) -> None:
        _status, _loc, page = await self.request("GET", "/login")
        token = dict(form_fields(page))["csrf_token"]
        status, location, _page = await self.request(
            "POST", "/login",
            {"csrf_token": token, "username": username, "password": PASSWORD},
        )  # fmt: skip
        if status != 302 or "/login" in location:
            raise RuntimeError(f"login of {username} failed: {status}")


# Operations ------------------------------------------------------------------


async def healthz(client: Client, timed) -> None:
    status, _loc, text = await timed("GET", client, "GET", "/healthz", cookies=False)
    if status != 200 or text != "ok":
        raise Failed("GET", f"/healthz {status}")


async def my_aids(client: Client, timed) -> None:
    status, _loc, text = await timed("GET", client, "GET", "/portal/")
    if status != 200 or 'name="csrf_token"' not in text:
        raise Failed("GET", f"/portal/ {status}")


async def reorder(client: Client, timed) -> None:
    status, _loc, page = await timed("form", client, "GET", "/portal/order")
    if status != 200:
        raise Failed("form", f"GET /portal/order {status}")
    fields = reorder_choice(page)  # every orderable line ticked, as a user would
    if not any(k.endswith("-selected") for k, _v in fields):
        raise Failed("form", "nothing orderable on the form")
    status, _loc, page = await timed(
        "review", client, "POST", "/portal/order", [*fields, ("action", "review")]
    )
    if status != 200 or "Skicka" not in page:
        raise Failed("review", f"POST review {status}")
    fields = [(k, v) for k, v in form_fields(_order_form(page)) if k != "action"]
    status, location, _page = await timed(
        "send", client, "POST", "/portal/order", [*fields, ("action", "send")]
    )
    if status != 302 or not re.search(r"/portal/orders/\d+$", location):
        raise Failed("send", f"POST send {status} {location}")


OPERATIONS = {"healthz": healthz, "my_aids": my_aids, "reorder": reorder}
PHASES = (
    ("healthz", ("GET",)),
    ("my_aids", ("GET",)),
    ("reorder", ("form", "review", "send")),
)


def _processes():
    """(pid, title words, parent pid, user + system CPU seconds) of every
    process this machine lets us read, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        yield int(entry), title.decode(errors="replace").split(), int(fields[1]), cpu


def workers_cpu_seconds(arbiter: int) -> float:
    """User + system CPU time of the gunicorn workers (children of the arbiter)."""
    return sum(cpu for _pid, _words, ppid, cpu in _processes() if ppid == arbiter)


# The server's own processes, which work for every database: writing the WAL
# the commits ask for, and the pages they change (process titles after the
# cluster's name, PostgreSQL 15).
SERVER_PROCESSES = (("checkpointer",), ("background", "writer"), ("walwriter",))


def database_cpu_seconds(database: str) -> dict[int, float] | None:
    """User + system CPU time of each PostgreSQL process working for `database`
    (by pid): its backends (`postgres: <cluster>: <user> <database> <client>
    <state>`), its autovacuum workers and the parallel workers of its backends,
    and the server's own processes (`SERVER_PROCESSES`), which also work for
    the other databases of the server. Read from /proc: None where no
    PostgreSQL process shows (the server on another machine)."""
    postgres = [
        (pid, words, cpu) for pid, words, _ppid, cpu in _processes()
        if words and words[0] == "postgres:"
    ]  # fmt: skip
    if not postgres:
        return None
    found = {pid: cpu for pid, words, cpu in postgres if works_for(words, database)}
    for pid, words, cpu in postgres:  # "parallel worker for PID <leader>"
        role = _role(words)
        if role[:3] == ["parallel", "worker", "for"] and role[-1].isdigit():
            if int(role[-1]) in found:
                found[pid] = cpu
    return found


def works_for(words: list[str], database: str) -> bool:
    """Whether a PostgreSQL process (its title's words) works for `database`:
    a backend or autovacuum worker of it, or one of the server's own."""
    role = _role(words)
    return database in role or tuple(role) in SERVER_PROCESSES


def _role(words: list[str]) -> list[str]:
    """A PostgreSQL process title's words after "postgres:" and the cluster's
    name where it has one (Debian's "15/main:")."""
    role = words[1:]
    return role[1:] if role and role[0].endswith(":") else role


def cpu_since(
    before: dict[int, float] | None, after: dict[int, float] | None
) -> float | None:
    """CPU time spent between two readings: a process new since the first
    counts whole (it began in between); one gone by the second, not at all
    (a connection closed meanwhile). None when either reading had none."""
    if before is None or after is None:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# Processes -------------------------------------------------------------------


def drive(settings: dict) -> dict:
    """Run every phase with settings["drivers"] processes; the merged results."""
    drivers = max(1, min(settings.get("drivers", 1), settings["users"]))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(drivers)
    taken = [context.Value("i", 0) for _ in PHASES]
    queue = context.Queue()
    processes = [
        context.Process(
            target=_process, args=(settings, k, drivers, barrier, taken, queue)
        )
        for k in range(drivers)
    ]
    for process in processes:
        process.start()
    parts = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    failed = [p for p in parts if "error" in p]
    if failed:
        raise RuntimeError(failed[0]["error"])
    return _merge([p["phases"] for p in sorted(parts, key=lambda p: p["driver"])])


def _process(settings, k, drivers, barrier, taken, queue) -> None:
    try:
        queue.put(asyncio.run(_driver(settings, k, drivers, barrier, taken)))
    except BaseException as error:  # the parent must not wait for ever
        barrier.abort()
        queue.put({"error": f"driver {k}: {error!r}"})


async def _wait(barrier) -> None:
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)


async def _driver(settings, k, drivers, barrier, taken) -> dict:
    users = [n for n in range(settings["users"]) if n % drivers == k]
    clients = [Client(settings["port"]) for _ in users]
    gate = asyncio.Semaphore(max(1, LOGINS_AT_ONCE // drivers))

    async def login(client, n):  # not measured
        async with gate:
            await client.login(f"{USER_PREFIX}{n % settings['patients'] + 1}")

    await asyncio.gather(*(login(c, n) for c, n in zip(clients, users, strict=True)))
    results = {}
    for index, (name, steps) in enumerate(PHASES):
        operation = OPERATIONS[name]
        await _wait(barrier)
        warm = multiprocessing.Value("i", 0)  # one unmeasured operation per user
        await _run(clients, name, steps, operation, warm, len(clients), 60, 0)
        await _wait(barrier)
        # The first driver reads the server's CPU (workers, PostgreSQL).
        cpu = workers_cpu_seconds(settings["arbiter"]) if k == 0 else 0.0
        db_cpu = database_cpu_seconds(settings["database"]) if k == 0 else None
        load_before = os.getloadavg()[0]
        await _wait(barrier)
        own_cpu = time.process_time()
        connects = sum(c.connects for c in clients)
        phase = await _run(
            clients, name, steps, operation, taken[index], settings[_QUOTA[name]],
            settings["max_seconds"], settings.get("think_ms", 0),
        )  # fmt: skip
        phase["driver_cpu"] = time.process_time() - own_cpu
        phase["connects"] = sum(c.connects for c in clients) - connects
        await _wait(barrier)
        phase["cpu"], phase["db_cpu"] = 0.0, None
        if k == 0:
            phase["cpu"] = workers_cpu_seconds(settings["arbiter"]) - cpu
            phase["db_cpu"] = cpu_since(
                db_cpu, database_cpu_seconds(settings["database"])
            )
        phase["load"] = (load_before, os.getloadavg()[0])
        results[name] = phase
    for client in clients:
        client.close()
    return {"driver": k, "phases": results}


_QUOTA = {"healthz": "requests", "my_aids": "requests", "reorder": "reorders"}


async def _run(clients, name, steps, operation, taken, total, max_seconds, think_ms):
    """Users take operations from the shared count until it is used up."""
    deadline = time.monotonic() + max_seconds
    samples: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    examples: list[str] = []
    started = time.perf_counter()
    last = [started]

    def ticket() -> bool:
        with taken.get_lock():
            if taken.value >= total:
                return False
            taken.value += 1
            return True

    async def user(client: Client) -> None:
        spent: list[float] = []

        async def timed(step, client, *args, **kwargs):
            began = time.perf_counter()
            answer = await client.request(*args, **kwargs)
            now = time.perf_counter()
            spent.append((now - began) * 1000)
            samples.setdefault(step, []).append(spent[-1])
            last[0] = max(last[0], now)
            if think_ms:  # a person reads each page before the next click
                await asyncio.sleep(random.expovariate(1000 / think_ms))
            return answer

        if think_ms:  # people arrive over a while, not all in the same instant
            await asyncio.sleep(random.uniform(0, 2 * think_ms / 1000))
        while time.monotonic() < deadline and ticket():
            spent.clear()
            try:
                await operation(client, timed)
            except Failed as error:
                errors[error.step] = errors.get(error.step, 0) + 1
                examples.append(str(error))
                continue
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                client.close()
                errors["io"] = errors.get("io", 0) + 1
                examples.append(repr(error))
                continue
            if len(steps) > 1:  # the requests' own time, not the reading
                samples.setdefault("whole", []).append(sum(spent))

    await asyncio.gather(*(user(c) for c in clients))
    return {
        "started": started,
        "last": last[0],
        "steps": steps,
        "samples": samples,
        "errors": errors,
        "examples": examples[:5],
    }


def _merge(parts: list[dict]) -> dict:
    """One result per phase, as the report reads it."""
    merged = {}
    for name, steps in PHASES:
        phases = [p[name] for p in parts]
        samples: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        for phase in phases:
            for step, values in phase["samples"].items():
                samples.setdefault(step, []).extend(values)
            for step, count in phase["errors"].items():
                errors[step] = errors.get(step, 0) + count
        started = min(p["started"] for p in phases)
        merged[name] = {
            "elapsed": max(p["last"] for p in phases) - started,
            "cpu": phases[0]["cpu"],
            "db_cpu": phases[0]["db_cpu"],
            "driver_cpu": sum(p["driver_cpu"] for p in phases),
            "drivers": len(phases),
            "connects": sum(p["connects"] for p in phases),
            "load": phases[0]["load"],
            "done": sum(len(samples.get(s, [])) for s in steps[:1]),
            "steps": steps,
            "samples": samples,
            "errors": errors,
            "examples": [e for p in phases for e in p["examples"]][:5],
        }
    return merged

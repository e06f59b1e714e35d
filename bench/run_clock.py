"""Where a follow-up run's time goes: its statements, its commit, the rest.

    with RunClock(db.engine) as clock:
        run_year(year)
    print("\n".join(clock.lines()))

Each statement's time is its cursor's execute, from the driver's call to its
return: the database's work and the round trip. The commit is the driver's
(SQLite's includes the write-ahead log's sync). The rest is Python: building
and compiling the statements, reading their results, the session's work.
Wall clock (time.perf_counter), like the runs' own figures.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import sqlalchemy as sa

# How a statement is named: its verb and the table it writes or reads first.
_NAMED = re.compile(
    r"^(CREATE TEMPORARY TABLE \S+|INSERT INTO \S+|DELETE FROM \S+|UPDATE \S+"
    r"|ANALYZE \S+|DROP TABLE( IF EXISTS)? \S+|WITH \S+|SET LOCAL \S+|SELECT)",
    re.IGNORECASE,
)


def statement_name(sql: str) -> str:
    """`sql` named by its verb and first table: "INSERT INTO patient_year_costs"."""
    text = " ".join(sql.split())
    found = _NAMED.match(text)
    if found is None:
        return text[:40]
    name = found.group(0)
    if name.upper() == "SELECT":
        table = re.search(r"\bFROM ([\w.\"]+)", text, re.IGNORECASE)
        return f"SELECT … FROM {table.group(1)}" if table else text[:40]
    return name.rstrip(",")


class RunClock:
    """A context manager timing what runs on `engine` inside it (module doc)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, float]] = []
        self.commit = 0.0
        self.total = 0.0
        self._began = 0.0
        self._do_commit: Callable | None = None
        self._own: Callable | None = None
        self._started = 0.0

    def _before(self, _conn, _cursor, _sql, *_args) -> None:
        self._began = time.perf_counter()

    def _after(self, _conn, _cursor, sql, *_args) -> None:
        self.statements.append((sql, time.perf_counter() - self._began))

    def __enter__(self) -> RunClock:
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        dialect = self.engine.dialect
        self._do_commit = dialect.do_commit
        self._own = vars(dialect).get("do_commit")  # None: the class's method

        def do_commit(dbapi_connection) -> None:
            began = time.perf_counter()
            try:
                self._do_commit(dbapi_connection)
            finally:
                self.commit += time.perf_counter() - began

        dialect.do_commit = do_commit
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_exc) -> None:
        self.total = time.perf_counter() - self._started
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)
        dialect = self.engine.dialect
        if self._own is None:
            del dialect.do_commit  # the class's own again
        else:
            dialect.do_commit = self._own

    @property
    def in_statements(self) -> float:
        return sum(seconds for _sql, seconds in self.statements)

    @property
    def rest(self) -> float:
        return self.total - self.in_statements - self.commit

    def lines(self, top: int = 5) -> list[str]:
        """The split in milliseconds and the `top` slowest statements (by name,
        summed where a name recurs)."""
        by_name: dict[str, list[float]] = {}
        for sql, seconds in self.statements:
            by_name.setdefault(statement_name(sql), []).append(seconds)
        slowest = sorted(by_name.items(), key=lambda item: -sum(item[1]))[:top]
        lines = [
            f"{_ms(self.total)} = {len(self.statements)} statements "
            f"{_ms(self.in_statements)} + commit {_ms(self.commit)} + Python "
            f"{_ms(self.rest)} (building statements, reading results)"
        ]
        for name, times in slowest:
            times_text = f" ({len(times)} times)" if len(times) > 1 else ""
            lines.append(f"  {_ms(sum(times))} {name}{times_text}")
        return lines


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f} ms"

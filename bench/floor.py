"""The floor: one hand-written SQL query for the same per-patient totals.

No CTEs, no system attribution, no writes: a single scan of the lines that can
fall in the year, one GROUP BY patient, and the count and sum over the patients
(so no time goes to shipping rows to Python). Written out per dialect.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

_SQLITE = """
SELECT count(*), sum(total) FROM (
  SELECT ROUND(SUM(dev) + 0.000000001, 2) + ROUND(SUM(cons) + 0.000000001, 2)
         AS total
  FROM (
    SELECT ol.patient_id AS patient_id,
      CASE WHEN a.amortisation_years > 0 THEN
        (CASE WHEN fl.id IS NULL THEN (ol.packs - ol.packs_restocked)
              * CAST(ol.pack_price_sek AS REAL)
              * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
              ELSE (fl.packs - fl.packs_restocked) * CAST(fl.pack_price_sek AS REAL)
              * (CASE WHEN fl.channel = 'pharmacy' THEN 1 + fl.vat_rate ELSE 1 END)
         END)
        * max(0, min(min(ol.e, coalesce(ol.r, ol.e)), :y1) - max(ol.s, :y0))
        / (ol.years * 365) ELSE 0 END AS dev,
      CASE WHEN coalesce(a.amortisation_years, 0) = 0 THEN
        (ol.packs - ol.packs_restocked) * CAST(ol.pack_price_sek AS REAL)
        * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
        ELSE 0 END AS cons,
      CASE WHEN a.amortisation_years > 0 THEN
        min(min(ol.e, coalesce(ol.r, ol.e)), :y1) - max(ol.s, :y0)
        ELSE 1 END AS live
    FROM (
      SELECT ol.*, fl_.id AS fl_id,
        CAST(julianday(ol.returned_on) - 2440587.5 AS INTEGER) AS r,
        -- A warranty replacement runs from the swap (the replaced device's return)
        -- to the end of the first device's period, at the first device's rate.
        CASE WHEN fl_.id IS NULL
          THEN CAST(julianday(ol.delivered_on) - 2440587.5 AS INTEGER)
          ELSE CAST(julianday(coalesce(rl.returned_on, ol.delivered_on))
                    - 2440587.5 AS INTEGER) END AS s,
        CASE WHEN fl_.id IS NULL
          THEN CAST(julianday(ol.delivered_on) - 2440587.5 AS INTEGER)
               + a_.amortisation_years * 365
          ELSE CAST(julianday(fl_.delivered_on) - 2440587.5 AS INTEGER)
               + fa.amortisation_years * 365 END AS e,
        coalesce(fa.amortisation_years, a_.amortisation_years) AS years
      FROM order_lines ol
      JOIN articles a_ ON a_.id = ol.article_id
      LEFT JOIN order_lines fl_ ON fl_.id = ol.amortised_line_id
      LEFT JOIN articles fa ON fa.id = fl_.article_id
      LEFT JOIN order_lines rl ON rl.id = ol.replaces_line_id
    ) ol
    LEFT JOIN order_lines fl ON fl.id = ol.fl_id
    JOIN articles a ON a.id = ol.article_id
    WHERE ol.status IN ('delivered', 'returned')
      AND ol.delivered_on >= :lower AND ol.delivered_on < :end
      AND (a.amortisation_years > 0 OR ol.delivered_on >= :start)
  ) lines
  WHERE live > 0
  GROUP BY patient_id
) totals
"""

_POSTGRES = """
SELECT count(*), sum(total) FROM (
  SELECT ROUND(SUM(dev), 2) + ROUND(SUM(cons), 2) AS total
  FROM (
    SELECT ol.patient_id,
      CASE WHEN a.amortisation_years > 0 THEN
        (CASE WHEN fl.id IS NULL
              THEN (ol.packs - ol.packs_restocked) * ol.pack_price_sek
              * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
              ELSE (fl.packs - fl.packs_restocked) * fl.pack_price_sek
              * (CASE WHEN fl.channel = 'pharmacy' THEN 1 + fl.vat_rate ELSE 1 END) END)
        * GREATEST(0, LEAST(ends.e, coalesce(ol.returned_on, ends.e),
                            CAST(:end AS date))
                      - GREATEST(ends.s, CAST(:start AS date)))
        / (coalesce(fa.amortisation_years, a.amortisation_years) * 365)
        ELSE 0 END AS dev,
      CASE WHEN coalesce(a.amortisation_years, 0) = 0 THEN
        (ol.packs - ol.packs_restocked) * ol.pack_price_sek
        * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
        ELSE 0 END AS cons,
      CASE WHEN a.amortisation_years > 0 THEN
        LEAST(ends.e, coalesce(ol.returned_on, ends.e), CAST(:end AS date))
          - GREATEST(ends.s, CAST(:start AS date))
        ELSE 1 END AS live
    FROM order_lines ol
    JOIN articles a ON a.id = ol.article_id
    -- A warranty replacement runs from the swap (the replaced device's return) to
    -- the end of the first device's period, at the first device's rate.
    LEFT JOIN order_lines fl ON fl.id = ol.amortised_line_id
    LEFT JOIN articles fa ON fa.id = fl.article_id
    LEFT JOIN order_lines rl ON rl.id = ol.replaces_line_id
    CROSS JOIN LATERAL (SELECT
      CASE WHEN fl.id IS NULL THEN ol.delivered_on
           ELSE coalesce(rl.returned_on, ol.delivered_on) END AS s,
      CASE WHEN fl.id IS NULL THEN ol.delivered_on + a.amortisation_years * 365
           ELSE fl.delivered_on + fa.amortisation_years * 365 END AS e) ends
    WHERE ol.status IN ('delivered', 'returned')
      AND ol.delivered_on >= :lower AND ol.delivered_on < :end
      AND (a.amortisation_years > 0 OR ol.delivered_on >= :start)
  ) lines
  WHERE live > 0
  GROUP BY patient_id
) totals
"""


def _stored_value_floor() -> str:
    """The PostgreSQL floor reading each line's value as the database keeps it
    (`order_lines.value_micro`, whole millionths of a krona, since migration
    0027), as a hand-written query over today's schema could: the runs read
    it, so their ratio is shown against this floor too (bench/followup.py).
    Consumables summed in whole numbers, devices' parts in NUMERIC."""
    sql = _POSTGRES
    for old, new in (
        ("ROUND(SUM(dev), 2) + ROUND(SUM(cons), 2)",
         "ROUND(SUM(dev) / 1000000, 2) + ROUND(SUM(cons) / 1000000.0, 2)"),
        ("(CASE WHEN fl.id IS NULL\n"
         "              THEN (ol.packs - ol.packs_restocked) * ol.pack_price_sek\n"
         "              * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate "
         "ELSE 1 END)\n"
         "              ELSE (fl.packs - fl.packs_restocked) * fl.pack_price_sek\n"
         "              * (CASE WHEN fl.channel = 'pharmacy' THEN 1 + fl.vat_rate "
         "ELSE 1 END) END)",
         "CAST(CASE WHEN fl.id IS NULL THEN ol.value_micro ELSE fl.value_micro END "
         "AS numeric)"),
        ("(ol.packs - ol.packs_restocked) * ol.pack_price_sek\n"
         "        * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate "
         "ELSE 1 END)\n"
         "        ELSE 0 END AS cons",
         "ol.value_micro ELSE 0 END AS cons"),
    ):  # fmt: skip
        assert old in sql, old
        sql = sql.replace(old, new)
    return sql


def floor_totals(
    session, year: int, *, stored_value: bool = False
) -> tuple[int, float]:
    """(patients, sum of total_cost_sek) for the year, by the cost rules. With
    `stored_value` (PostgreSQL), reading the lines' stored values."""
    params = _params(year)
    if session.get_bind().dialect.name != "postgresql":
        sql = _SQLITE
    else:
        sql = _stored_value_floor() if stored_value else _POSTGRES
    count, total = session.execute(sa.text(sql), params).one()
    return count, total or 0


# The write floor: the same per-patient rows the follow-up run stores (amounts,
# pump and CGM system, prescriber), by one hand-written INSERT … SELECT into a
# plain table with the same keys as patient_year_costs (an id, unique patient
# and year, an index on year). Devices and CGM transmitters win by a key (in
# their amortisation period, days in use, delivery day, line id) as the rules
# say; the
# sensors' system is the one with the most units, then by name. Written once
# for both dialects: {day}, {least}, {greatest}, {value} and {floor} differ.

WRITE_FLOOR_TABLE = "bench_write_floor"

_WRITE_FLOOR = """
WITH {changed}lines AS (
  SELECT ol.patient_id, ol.id AS line_id, ol.prescription_id, ol.article_id,
         a.category, coalesce(fa.amortisation_years, a.amortisation_years) AS years,
         (ol.packs - ol.packs_restocked) * a.pack_size AS units,
         {day_d} AS d,
         CASE WHEN fl.id IS NULL THEN {value} ELSE {first_value} END AS value,
         CASE WHEN a.amortisation_years > 0 OR a.category = 'cgm_transmitter' THEN
           {greatest}(0, {least}(
             CASE WHEN ol.returned_on IS NULL THEN {use_end}
                  ELSE {least}({use_end}, {day_r}) END, :y1)
             - {greatest}({use_start}, :y0))
         END AS days,
         -- Days with the patient, amortisation over or not: what names the
         -- pump and CGM system (a durable device's; a transmitter's as above).
         CASE WHEN a.amortisation_years > 0 THEN
           {greatest}(0, {least}(coalesce({day_r}, :y1), :y1)
             - {greatest}({use_start}, :y0))
         WHEN a.category = 'cgm_transmitter' THEN
           {greatest}(0, {least}(
             CASE WHEN ol.returned_on IS NULL THEN {use_end}
                  ELSE {least}({use_end}, {day_r}) END, :y1)
             - {greatest}({use_start}, :y0))
         END AS used
  FROM order_lines ol
  JOIN articles a ON a.id = ol.article_id
  -- A warranty replacement runs from the swap (the replaced device's return) to
  -- the end of the first device's period, at the first device's rate.
  LEFT JOIN order_lines fl ON fl.id = ol.amortised_line_id
  LEFT JOIN articles fa ON fa.id = fl.article_id
  LEFT JOIN order_lines rl ON rl.id = ol.replaces_line_id
  WHERE {status} IN ('delivered', 'returned'){of_changed}
    AND ol.delivered_on >= :lower AND ol.delivered_on < :end
    AND (a.amortisation_years > 0 OR a.category = 'cgm_transmitter'
         OR ol.delivered_on >= :start)
), parts AS (
  SELECT patient_id, line_id, article_id, category, units, d,
    CASE WHEN years > 0 THEN value * days / (years * 365) END AS dev,
    CASE WHEN coalesce(years, 0) = 0 AND d >= :y0 THEN value END AS cons,
    -- In its amortisation period first (2^62), then days in use (2^53), the
    -- delivery day (2^37), the line id.
    CASE WHEN used > 0 THEN
      CASE WHEN days > 0 THEN 4611686018427387904 ELSE 0 END
      + used * 9007199254740992 + d * 137438953472 + line_id
    END AS device_key,
    -- A device past its amortisation alone makes no row.
    CASE WHEN coalesce(years, 0) = 0 OR days > 0 THEN 1 ELSE 0 END AS counts
  FROM lines
  WHERE coalesce(used, 1) > 0 OR (coalesce(years, 0) = 0 AND d >= :y0)
), totals AS (
  SELECT patient_id,
    {round_dev} AS device, {round_cons} AS consumables,
    max(CASE WHEN category = 'pump' THEN device_key END) % 137438953472 AS pump_line,
    max(CASE WHEN category IN ('cgm_reader', 'cgm_transmitter') THEN device_key END)
      % 137438953472 AS cgm_line,
    max(line_id) AS last_line
  FROM parts GROUP BY patient_id HAVING max(counts) > 0
), cgm_names AS (
  SELECT s_a.article_id, min(s.name) AS name FROM article_systems s_a
  JOIN systems s ON s.id = s_a.system_id WHERE s.kind = 'cgm' GROUP BY s_a.article_id
), pump_names AS (
  SELECT s_a.article_id, min(s.name) AS name FROM article_systems s_a
  JOIN systems s ON s.id = s_a.system_id WHERE s.kind = 'pump' GROUP BY s_a.article_id
), sensors AS (
  SELECT patient_id, name, rank() OVER (
           PARTITION BY patient_id ORDER BY sum(units) DESC, name {collate}) AS place
  FROM parts JOIN cgm_names ON cgm_names.article_id = parts.article_id
  WHERE category = 'cgm_sensor' AND d >= :y0
  GROUP BY patient_id, name
)
INSERT INTO {table} (patient_id, year, pump_system, cgm_system, prescriber_id,
                     device_cost_sek, consumables_cost_sek, total_cost_sek)
SELECT t.patient_id, :year, pn.name, coalesce(cn.name, sn.name), rx.prescriber_id,
       t.device, t.consumables, t.device + t.consumables
FROM totals t
LEFT JOIN order_lines pl ON pl.id = t.pump_line
LEFT JOIN pump_names pn ON pn.article_id = pl.article_id
LEFT JOIN order_lines cl ON cl.id = t.cgm_line
LEFT JOIN cgm_names cn ON cn.article_id = cl.article_id
LEFT JOIN sensors sn ON sn.patient_id = t.patient_id AND sn.place = 1
  AND t.cgm_line IS NULL
LEFT JOIN order_lines xl ON xl.id = coalesce(t.pump_line, t.cgm_line, t.last_line)
LEFT JOIN prescriptions rx ON rx.id = xl.prescription_id{upsert}
"""

_DIALECT = {
    "postgresql": dict(
        day_d="(ol.delivered_on - DATE '1970-01-01')",
        day_r="(ol.returned_on - DATE '1970-01-01')",
        value="(ol.packs - ol.packs_restocked) * ol.pack_price_sek * (CASE WHEN "
        "ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)",
        first_value="(fl.packs - fl.packs_restocked) * fl.pack_price_sek * (CASE WHEN "
        "fl.channel = 'pharmacy' THEN 1 + fl.vat_rate ELSE 1 END)",
        use_start="CASE WHEN fl.id IS NULL THEN (ol.delivered_on - DATE '1970-01-01') "
        "ELSE (coalesce(rl.returned_on, ol.delivered_on) - DATE '1970-01-01') END",
        use_end="CASE WHEN fl.id IS NULL THEN (ol.delivered_on - DATE '1970-01-01') + "
        "{use} ELSE (fl.delivered_on - DATE '1970-01-01') + fa.amortisation_years "
        "* 365 END",
        least="LEAST",
        greatest="GREATEST",
        collate='COLLATE "C"',
        use="CASE WHEN a.amortisation_years > 0 THEN a.amortisation_years * 365 "
        "WHEN a.units_per_day > 0 THEN CAST(floor((ol.packs - ol.packs_restocked) "
        "* a.pack_size "
        "/ a.units_per_day) AS integer) ELSE 0 END",
        round_dev="coalesce(ROUND(SUM(dev), 2), 0)",
        round_cons="coalesce(ROUND(SUM(cons), 2), 0)",
        create="CREATE TABLE {table} (id serial PRIMARY KEY, patient_id integer NOT "
        "NULL, year integer NOT NULL, pump_system varchar(80), cgm_system "
        "varchar(80), prescriber_id integer, device_cost_sek numeric(12, 2) NOT NULL, "
        "consumables_cost_sek numeric(12, 2) NOT NULL, total_cost_sek numeric(12, 2) "
        "NOT NULL, UNIQUE (patient_id, year))",
    ),
    "sqlite": dict(
        day_d="CAST(julianday(ol.delivered_on) - 2440587.5 AS INTEGER)",
        day_r="CAST(julianday(ol.returned_on) - 2440587.5 AS INTEGER)",
        value="(ol.packs - ol.packs_restocked) * CAST(ol.pack_price_sek AS REAL) * "
        "(CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)",
        first_value="(fl.packs - fl.packs_restocked) * CAST(fl.pack_price_sek AS REAL) "
        "* (CASE WHEN fl.channel = 'pharmacy' THEN 1 + fl.vat_rate ELSE 1 END)",
        use_start="CAST(julianday(CASE WHEN fl.id IS NULL THEN ol.delivered_on ELSE "
        "coalesce(rl.returned_on, ol.delivered_on) END) - 2440587.5 AS INTEGER)",
        use_end="CASE WHEN fl.id IS NULL THEN CAST(julianday(ol.delivered_on) - "
        "2440587.5 AS INTEGER) + {use} ELSE CAST(julianday(fl.delivered_on) - "
        "2440587.5 AS INTEGER) + fa.amortisation_years * 365 END",
        least="min",
        greatest="max",
        collate="",
        use="CASE WHEN a.amortisation_years > 0 THEN a.amortisation_years * 365 "
        "WHEN a.units_per_day > 0 THEN CAST((ol.packs - ol.packs_restocked) "
        "* a.pack_size "
        "/ CAST(a.units_per_day AS REAL) AS INTEGER) ELSE 0 END",
        round_dev="coalesce(ROUND(SUM(dev) + 0.000000001, 2), 0)",
        round_cons="coalesce(ROUND(SUM(cons) + 0.000000001, 2), 0)",
        create="CREATE TABLE {table} (id INTEGER PRIMARY KEY, patient_id INTEGER NOT "
        "NULL, year INTEGER NOT NULL, pump_system VARCHAR(80), cgm_system "
        "VARCHAR(80), prescriber_id INTEGER, device_cost_sek NUMERIC(12, 2) NOT NULL, "
        "consumables_cost_sek NUMERIC(12, 2) NOT NULL, total_cost_sek NUMERIC(12, 2) "
        "NOT NULL, UNIQUE (patient_id, year))",
    ),
}


def prepare_write_floor(session) -> None:
    """An empty write-floor table (created when missing), as a year never run."""
    dialect = session.get_bind().dialect.name
    table = WRITE_FLOOR_TABLE
    session.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    session.execute(sa.text(_DIALECT[dialect]["create"].format(table=table)))
    session.execute(sa.text(f"CREATE INDEX ix_{table}_year ON {table} (year)"))
    session.commit()


def write_floor(session, year: int) -> None:
    """Store the year's per-patient rows in the write-floor table.

    The table must be empty for the year (`prepare_write_floor`).
    """
    session.execute(sa.text(_write_floor_sql(session)), {**_params(year), "year": year})
    session.commit()


# The incremental write floor: the write floor of the patients with a line
# written since a moment (an incremental run's), found by the lines' index on
# updated_at, and their rows upserted into a write-floor table that holds the
# year (`write_floor`). No payers, no stale rows: a lower bound for the run.
_CHANGED = {
    "changed": "changed AS {materialized}(SELECT DISTINCT {patient}patient_id AS "
    "patient_id FROM order_lines WHERE updated_at >= :since), ",
    "of_changed": "\n    AND ol.patient_id IN (SELECT patient_id FROM changed)",
    # SQLite reads ON after a join as the join's unless a WHERE comes first.
    "upsert": "\nWHERE true\nON CONFLICT (patient_id, year) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in (
        "pump_system", "cgm_system", "prescriber_id", "device_cost_sek",
        "consumables_cost_sek", "total_cost_sek")),
}  # fmt: skip


def incremental_write_floor(session, year: int, since: datetime) -> int:
    """The write floor of the patients with a line written since `since`,
    upserted into the write-floor table (which holds the year's rows); returns
    the rows written."""
    sql = _write_floor_sql(session, incremental=True)
    params = {**_params(year), "year": year, "since": since}
    written = session.execute(sa.text(sql), params).rowcount
    session.commit()
    return written


def _write_floor_sql(session, *, incremental: bool = False) -> str:
    dialect = session.get_bind().dialect.name
    parts = {k: v for k, v in _DIALECT[dialect].items() if k != "create"}
    parts["use_end"] = parts["use_end"].format(use=f"({parts['use']})")
    pieces = {**dict.fromkeys(_CHANGED, ""), "status": "ol.status"}
    if incremental and dialect == "postgresql":
        # Found once: PostgreSQL would otherwise plan it into the lines' join.
        changed = _CHANGED["changed"].format(materialized="MATERIALIZED ", patient="")
        pieces = {**_CHANGED, "changed": changed, "status": "ol.status"}
    elif incremental:
        # SQLite has no statistics: the unary + keeps it off the index on status
        # (every line delivered) and, in `changed`, off the one on patient_id,
        # so it finds the changed lines by updated_at and their patients' lines
        # by patient.
        changed = _CHANGED["changed"].format(materialized="", patient="+")
        pieces = {**_CHANGED, "changed": changed, "status": "+ol.status"}
    return _WRITE_FLOOR.format(table=WRITE_FLOOR_TABLE, **parts, **pieces)


def write_floor_totals(session, year: int) -> tuple[int, float]:
    """(rows, sum of total_cost_sek) the write floor stored for the year."""
    count, total = session.execute(
        sa.text(f"SELECT count(*), sum(total_cost_sek) FROM {WRITE_FLOOR_TABLE} "
                "WHERE year = :year"), {"year": year}).one()  # fmt: skip
    return count, total or 0


def _params(year: int) -> dict:
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    epoch = date(1970, 1, 1)
    return {
        "start": start,
        "end": end,
        "lower": date(year - 12, 1, 1),
        "y0": (start - epoch).days,
        "y1": (end - epoch).days,
    }

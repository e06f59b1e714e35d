"""The floor: one hand-written SQL query for the same per-patient totals.

No CTEs, no system attribution, no writes: a single scan of the lines that can
fall in the year, one GROUP BY patient, and the count and sum over the patients
(so no time goes to shipping rows to Python). Written out per dialect.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

_SQLITE = """
SELECT count(*), sum(total) FROM (
  SELECT ROUND(SUM(dev) + 0.000000001, 2) + ROUND(SUM(cons) + 0.000000001, 2)
         AS total
  FROM (
    SELECT o.patient_id AS patient_id,
      CASE WHEN a.amortisation_years > 0 THEN
        ol.packs * CAST(ol.pack_price_sek AS REAL)
        * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
        * max(0, min(min(d + a.amortisation_years * 365,
                         coalesce(r, d + a.amortisation_years * 365)), :y1)
                 - max(d, :y0))
        / (a.amortisation_years * 365) ELSE 0 END AS dev,
      CASE WHEN coalesce(a.amortisation_years, 0) = 0 THEN
        ol.packs * CAST(ol.pack_price_sek AS REAL)
        * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
        ELSE 0 END AS cons,
      CASE WHEN a.amortisation_years > 0 THEN
        min(min(d + a.amortisation_years * 365,
                coalesce(r, d + a.amortisation_years * 365)), :y1) - max(d, :y0)
        ELSE 1 END AS live
    FROM (SELECT ol.*, CAST(julianday(ol.delivered_on) - 2440587.5 AS INTEGER) AS d,
                 CAST(julianday(ol.returned_on) - 2440587.5 AS INTEGER) AS r
          FROM order_lines ol) ol
    JOIN orders o ON o.id = ol.order_id
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
    SELECT o.patient_id,
      CASE WHEN a.amortisation_years > 0 THEN
        ol.packs * ol.pack_price_sek
        * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
        * GREATEST(0, LEAST(ol.delivered_on + a.amortisation_years * 365,
                            coalesce(ol.returned_on,
                                     ol.delivered_on + a.amortisation_years * 365),
                            CAST(:end AS date))
                      - GREATEST(ol.delivered_on, CAST(:start AS date)))
        / (a.amortisation_years * 365) ELSE 0 END AS dev,
      CASE WHEN coalesce(a.amortisation_years, 0) = 0 THEN
        ol.packs * ol.pack_price_sek
        * (CASE WHEN ol.channel = 'pharmacy' THEN 1 + ol.vat_rate ELSE 1 END)
        ELSE 0 END AS cons,
      CASE WHEN a.amortisation_years > 0 THEN
        LEAST(ol.delivered_on + a.amortisation_years * 365,
              coalesce(ol.returned_on, ol.delivered_on + a.amortisation_years * 365),
              CAST(:end AS date)) - GREATEST(ol.delivered_on, CAST(:start AS date))
        ELSE 1 END AS live
    FROM order_lines ol
    JOIN orders o ON o.id = ol.order_id
    JOIN articles a ON a.id = ol.article_id
    WHERE ol.status IN ('delivered', 'returned')
      AND ol.delivered_on >= :lower AND ol.delivered_on < :end
      AND (a.amortisation_years > 0 OR ol.delivered_on >= :start)
  ) lines
  WHERE live > 0
  GROUP BY patient_id
) totals
"""


def floor_totals(session, year: int) -> tuple[int, float]:
    """(patients, sum of total_cost_sek) for the year, by the cost rules."""
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    epoch = date(1970, 1, 1)
    params = {
        "start": start,
        "end": end,
        "lower": date(year - 12, 1, 1),
        "y0": (start - epoch).days,
        "y1": (end - epoch).days,
    }
    sql = _POSTGRES if session.get_bind().dialect.name == "postgresql" else _SQLITE
    count, total = session.execute(sa.text(sql), params).one()
    return count, total or 0

"""Amounts in the cost SQL: a line's value, its device part, and sums to öre.

PostgreSQL sums whole numbers. A line's value is counted in millionths of a krona
(prices have 2 decimals and VAT rates 4, so it is exact; the database keeps it
on the line, `order_lines.value_micro`), and a device's part is
value × days × (L / amortisation years), L being the least common multiple of the
catalogue's amortisation years, so the yearly sum over lines is the exact cost ×
L × 365 × 10^6. Summing NUMERIC is several times slower, the more so in parallel
workers, which must ship their partial sums; whole numbers also make the rounding
half up to öre exact integer division. Should L exceed MAX_LCM (amortisation
years beyond 1 to 10), the same device parts are NUMERIC, where 64 bits could
overflow: exact still, only slower.

SQLite has no exact decimal type: prices are REAL, and rounding adds a nanokrona
against binary representation error (`sqlfuncs.round_ore`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.extensions import db
from sesamlike.followup.rules import DAYS_PER_YEAR
from sesamlike.followup.sqlfuncs import literal_int, money, round_ore
from sesamlike.orders.models import OrderLine

MICRO = 10**6  # a PostgreSQL line value's unit: a millionth of a krona
MAX_LCM = 2520  # LCM of 1..10; above it the device parts could overflow 64 bits

ol = OrderLine.__table__


def amortisation_lcm() -> int:
    """The least common multiple of the catalogue's amortisation years."""
    years = db.session.scalars(
        sa.select(Article.amortisation_years)
        .where(Article.amortisation_years > 0)
        .distinct()
    ).all()
    return math.lcm(*years) if years else 1


@dataclass(frozen=True)
class Amounts:
    """How one run writes amounts for its database (see the module's text)."""

    postgresql: bool
    lcm: int = 1  # of the amortisation years (PostgreSQL)
    # NUMERIC device parts and sums whatever the LCM: a run whose 64-bit
    # integers overflowed computes again so (`widened`).
    wide: bool = False

    @classmethod
    def for_session(cls) -> Amounts:
        if db.session.connection().dialect.name != "postgresql":
            return cls(postgresql=False)
        return cls(postgresql=True, lcm=amortisation_lcm())

    @property
    def whole_numbers(self) -> bool:
        """Device parts fit 64-bit integers (else they are NUMERIC)."""
        return self.lcm <= MAX_LCM and not self.wide

    def widened(self) -> Amounts:
        """The same amounts in NUMERIC throughout: exact however large."""
        return replace(self, wide=True)

    def sum(self, part) -> sa.ColumnElement:
        """The SUM of parts in these units. PostgreSQL's SUM of BIGINT adds
        in 128 bits and returns NUMERIC; `sum_int8` (migration 0026) adds in
        64 bits (at 500,000 patients x 5 years the four sums of a full rerun
        took 0.6 s less of about 6), and stops with numeric_value_out_of_range
        past them (some ten million kronor a patient at the largest LCM): the
        run then computes again `widened` (`runs._stage`)."""
        if self.postgresql and self.whole_numbers:
            return sa.func.sum_int8(part, type_=sa.BigInteger)
        return sa.func.sum(part)

    def value(self, line=ol) -> sa.ColumnElement:
        """Packs kept (not put back on stock) × pack price, with VAT on pharmacy
        lines (the line's snapshots). `line`: the order lines or an alias.

        PostgreSQL reads it as the database keeps it (`value_micro`, migration
        0027): two NUMERIC products a line, for each part they were summed
        into, were a sixth of a full rerun (1.76 s, 1.48 s without). A line
        too large for it (NULL) is worked out here, as it always was."""
        packs = line.c.packs - line.c.packs_restocked
        if not self.postgresql:
            vat = sa.case((line.c.channel == "pharmacy", 1 + money(line.c.vat_rate)),
                          else_=1)  # fmt: skip
            return packs * money(line.c.pack_price_sek) * vat
        return sa.func.coalesce(line.c.value_micro, self._micro(line, packs))

    @staticmethod
    def _micro(line, packs) -> sa.ColumnElement:
        """`value` in millionths of a krona from the line's columns."""
        cents = sa.cast(line.c.pack_price_sek * 100, sa.BigInteger)
        vat = sa.case(
            (
                line.c.channel == "pharmacy",
                literal_int(10_000) + sa.cast(line.c.vat_rate * 10_000, sa.BigInteger),
            ),
            else_=literal_int(10_000),
        )
        return packs * cents * vat

    def combined(self, device, consumables, *, durable) -> sa.ColumnElement:
        """A line's part as one number in the units of device parts: its
        device part where `durable`, else its consumable part (either may be
        NULL: none). Only the part that applies is worked out (SQLite
        evaluates both operands of a sum, one of them for nothing)."""
        device = sa.func.coalesce(device, 0)
        consumables = sa.func.coalesce(consumables, 0)
        if self.postgresql:
            consumables = consumables * literal_int(self.lcm * DAYS_PER_YEAR)
        return sa.case((durable, device), else_=consumables)

    def device_part(self, value, days, years) -> sa.ColumnElement:
        """A durable device's part of its value for its days in use in the year."""
        if not self.postgresql:
            return value * days / (years * DAYS_PER_YEAR)
        # Integer division, exact: the LCM is a multiple of every year count.
        per_year = literal_int(self.lcm).op("/", return_type=sa.BigInteger)(years)
        if not self.whole_numbers:
            value = sa.cast(value, sa.Numeric)
        return value * days * per_year

    def _device_unit(self) -> int:
        return self.lcm * DAYS_PER_YEAR * MICRO

    def device_sek(self, total) -> sa.ColumnElement:
        """A sum of device parts, rounded half up to öre."""
        return self._ore(total, self._device_unit())

    def consumables_sek(self, total) -> sa.ColumnElement:
        """A sum of values, rounded half up to öre."""
        return self._ore(total, MICRO)

    def _ore(self, total, unit: int) -> sa.ColumnElement:
        total = sa.func.coalesce(total, 0)
        if not self.postgresql:
            return round_ore(total)
        # floor(total / unit × 100 + 1/2), in whole numbers (DIV truncates, and
        # nothing here is negative).
        cents = sa.func.div(200 * total + literal_int(unit), literal_int(2 * unit))
        return sa.cast(cents / literal_int(100), sa.Numeric(12, 2))

    # A run compares its computed rows with the stored ones and writes the
    # few that differ. On PostgreSQL with whole numbers the computed amounts
    # are kept as whole öre (BIGINT) until written: rounding a sum to öre in
    # NUMERIC (a division, then another by 100) for every patient cost more
    # than a fifth of a full rerun at 100,000 patients, where whole numbers
    # cost next to nothing. SQLite and NUMERIC device parts keep kronor.

    def device_staged(self, total) -> sa.ColumnElement:
        """A sum of device parts rounded half up to öre, as a run compares it
        (`stored_staged`) and writes it (`staged_sek`)."""
        if not self.staged_in_ore:
            return self.device_sek(total)
        return self._whole_ore(total, self._device_unit())

    def consumables_staged(self, total) -> sa.ColumnElement:
        """A sum of values rounded half up to öre, as `device_staged`."""
        if not self.staged_in_ore:
            return self.consumables_sek(total)
        return self._whole_ore(total, MICRO)

    @property
    def staged_in_ore(self) -> bool:
        return self.postgresql and self.whole_numbers

    def stored_staged(self, column) -> sa.ColumnElement:
        """A stored amount (NUMERIC(12, 2)) as `device_staged` gives it."""
        if not self.staged_in_ore:
            return column
        return sa.cast(column * literal_int(100), sa.BigInteger)

    def staged_sek(self, staged) -> sa.ColumnElement:
        """A staged amount as it is stored (NUMERIC(12, 2))."""
        if not self.staged_in_ore:
            return staged
        return sa.cast(sa.cast(staged, sa.Numeric) / literal_int(100),
                       sa.Numeric(12, 2))  # fmt: skip

    def _whole_ore(self, total, unit: int) -> sa.ColumnElement[int]:
        """floor(total / unit × 100 + 1/2) as a BIGINT: (total + unit/200) DIV
        (unit/100), exact (unit is a multiple of 10^6) and in 64-bit integers
        (PostgreSQL's SUM of BIGINT is NUMERIC). A sum too large for them (some
        ten million kronor a patient at the largest LCM) takes NUMERIC."""
        total = sa.func.coalesce(total, literal_int(0))
        half, per_ore = literal_int(unit // 200), literal_int(unit // 100)
        whole = (sa.cast(total, sa.BigInteger) + half).self_group()
        fits = total < literal_int(2**62)
        return sa.case(
            (fits, whole.op("/", return_type=sa.BigInteger)(per_ore)),
            else_=sa.cast(sa.func.div(total + half, per_ore), sa.BigInteger),
        )

    def line_sek(self, part, *, device: bool) -> sa.ColumnElement:
        """One line's part in kronor, unrounded (reports sum and round them)."""
        if not self.postgresql:
            return part
        unit = self._device_unit() if device else MICRO
        return sa.cast(part, sa.Numeric) / literal_int(unit)

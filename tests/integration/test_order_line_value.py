"""A line's value as the database keeps it (`order_lines.value_micro`, 0027).

A follow-up run on PostgreSQL sums it rather than work it out per line, so it
must follow every change of the line, and the run must give the same öre as
the columns say when it is missing.
"""

from decimal import Decimal

import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.orders.models import VALUE_MICRO_LIMIT, OrderLine
from tests import factories as f

ol = OrderLine.__table__


def value_micro(line_id: int) -> int | None:
    return db.session.scalar(sa.select(ol.c.value_micro).where(ol.c.id == line_id))


def run_value(line_id: int) -> Decimal:
    """The line's value as a follow-up run reads it, in kronor."""
    amounts = Amounts.for_session()
    value = db.session.scalar(
        sa.select(amounts.line_sek(amounts.value(), device=False)).where(
            ol.c.id == line_id
        )
    )
    return Decimal(str(value)).quantize(Decimal("0.000001"))


def line_of(patient, article, **kw) -> OrderLine:
    order = f.make_order_line(patient, article, "delivered", **kw)
    return order.lines[0]


def test_the_value_is_packs_kept_times_price_with_vat_on_pharmacy_lines():
    patient = f.make_patient(f.make_clinic())
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("123.45"))
    central = line_of(patient, sets, packs=3)
    pharmacy = line_of(patient, sets, packs=3, channel="pharmacy")
    # 3 × 123.45 kr, in millionths of a krona; a pharmacy line with 25 % VAT.
    assert value_micro(central.id) == 370_350_000
    assert value_micro(pharmacy.id) == 462_937_500
    assert run_value(central.id) == Decimal("370.350000")
    assert run_value(pharmacy.id) == Decimal("462.937500")


def test_the_value_follows_packs_put_back_on_stock():
    patient = f.make_patient(f.make_clinic())
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("1150.00"))
    line = line_of(patient, sets, packs=3)
    line.packs_returned = 2
    line.packs_restocked = 2
    db.session.commit()
    assert value_micro(line.id) == 1_150_000_000
    line.packs_restocked = line.packs_returned = line.packs = 3
    db.session.commit()
    assert value_micro(line.id) == 0


def test_a_line_past_the_limit_is_stored_and_costed_from_its_columns():
    """Nonsense, but storable: a write never fails for it, and the run works
    the value out as before (9 milliard kronor × 50 packs)."""
    patient = f.make_patient(f.make_clinic())
    price = Decimal("9000000000.00")
    gold = f.make_article(category="infusion_set", pack_price_sek=price)
    line = line_of(patient, gold, packs=50)
    assert 50 * price >= VALUE_MICRO_LIMIT
    assert value_micro(line.id) is None
    assert run_value(line.id) == 50 * price

"""How much a prescription lets the patient get, against the article's expected use.

More than 1.5 times the expected use is the line the follow-up lists a patient's
use above for review; a prescription that allows more asks the prescriber to
confirm it on the page (the API takes quantities as given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sesamlike.catalog.models import Article
from sesamlike.common.i18n import N_
from sesamlike.prescriptions.errors import (
    PrescriptionInvalid,
    QuantityToConfirm,
    TimeLockToConfirm,
    TotalQuantityToConfirm,
)
from sesamlike.prescriptions.rules import (
    MAX_PACKS_PER_WITHDRAWAL,
    MAX_PERIOD_DAYS,
    resolve_terms,
)

# More than this times the expected use is use to look at: the prescriber
# confirms such a quantity, and the follow-up lists patients who used more.
OVERUSE_FACTOR = Decimal("1.5")
ABOVE_EXPECTED_USE = N_("Mer än 1,5 gånger förväntad användning.")
TOTAL_ABOVE_EXPECTED_USE = N_(
    "Totalt mer än 1,5 gånger förväntad användning under giltighetstiden."
)
LOCK_BELOW_HALF_PERIOD = N_("Uttagen kan tas mer än dubbelt så tätt som perioden.")
# Every field message the quantity confirmation is asked for beside.
QUANTITY_TO_CONFIRM = {
    "packs_per_withdrawal": ABOVE_EXPECTED_USE,
    "withdrawals": TOTAL_ABOVE_EXPECTED_USE,
    "lock_days": LOCK_BELOW_HALF_PERIOD,
}


def quantity_to_confirm(fields: Mapping[str, Sequence[str]]) -> bool:
    """Whether a quantity to confirm is said among these field messages."""
    return any(
        message in fields.get(name, ()) for name, message in QUANTITY_TO_CONFIRM.items()
    )


def packs_for_period(units_per_day, pack_size: int, days: int) -> int:
    """Packs that last `days` at the expected use: ceil(units x days / pack size)."""
    if not units_per_day or pack_size <= 0:
        return 1
    packs = Decimal(str(units_per_day)) * days / pack_size
    return max(1, math.ceil(packs))


def _whole(value: object, low: int, high: int) -> bool:
    whole = isinstance(value, int) and not isinstance(value, bool)
    return whole and low <= value <= high


def check_quantity(article: Article, given: Mapping[str, object],
                   confirmed: bool) -> None:  # fmt: skip
    """Quantities that let the patient get more than 1.5 times a consumable's
    expected use need the prescriber's confirmation (QuantityToConfirm):
    - packs per withdrawal above 1.5 times the use over the withdrawal's period
      and above the whole packs that last it (one pack is never too many);
    - all withdrawals together above 1.5 times the use over the validity (at
      least one period: a withdrawal on the last day is for its whole period);
    - a time lock below half the period with more than one withdrawal: the
      withdrawals can then be taken more than twice as fast as they last.
    Every case is said beside its field; the first one names the refusal.
    `given` holds `resolve_terms`'s arguments (defaults: its time lock and last
    day). Devices and articles without an expected use are not judged; nor are
    quantities the other checks refuse: confirming could not help."""
    if confirmed or article.is_device or not article.units_per_day:
        return
    packs, period = given.get("packs_per_withdrawal"), given.get("period_days")
    if not (_whole(packs, 1, MAX_PACKS_PER_WITHDRAWAL)
            and _whole(period, 1, MAX_PERIOD_DAYS)):  # fmt: skip
        return
    units_per_day = Decimal(str(article.units_per_day))
    refusals: list[QuantityToConfirm] = []
    # The whole packs that last the period are never too many: one pack of
    # batteries that lasts 150 days is the least a 90-day withdrawal can be.
    expected = packs_for_period(article.units_per_day, article.pack_size, period)
    if (
        packs > expected
        and packs * article.pack_size > OVERUSE_FACTOR * units_per_day * period
    ):
        refusals.append(
            QuantityToConfirm(
                packs=packs,
                article=article.name,
                expected=expected,
                fields={"packs_per_withdrawal": [ABOVE_EXPECTED_USE]},
            )
        )
    try:
        terms = resolve_terms(article.category, **given)
    except PrescriptionInvalid:
        terms = None  # refused as they are: said by `resolve_terms`
    if terms is not None and terms.withdrawals > 1:  # one withdrawal: judged above
        # At least one period: a withdrawal on the last day is for all of it.
        days = max((terms.valid_to - terms.valid_from).days + 1, period)
        total = terms.withdrawals * packs * article.pack_size
        if total > OVERUSE_FACTOR * units_per_day * days:
            refusals.append(
                TotalQuantityToConfirm(
                    withdrawals=terms.withdrawals,
                    packs=packs,
                    article=article.name,
                    expected=packs_for_period(
                        article.units_per_day, article.pack_size, days
                    ),
                    fields={"withdrawals": [TOTAL_ABOVE_EXPECTED_USE]},
                )
            )
        if 2 * terms.lock_days < period:
            refusals.append(
                TimeLockToConfirm(
                    article=article.name,
                    fields={"lock_days": [LOCK_BELOW_HALF_PERIOD]},
                )
            )
    _raise_first(refusals)


def _raise_first(refusals: list[QuantityToConfirm]) -> None:
    """The first refusal, carrying every one's fields."""
    if not refusals:
        return
    first = refusals[0]
    for other in refusals[1:]:
        first.fields.update(other.fields)
    raise first

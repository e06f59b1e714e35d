"""Rules about what fits: pump consumables and the patient's pumps, lent devices.

Pure functions like `rules`: the service looks up the patient's pumps and passes
them in, so each rule is tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sesamlike.catalog.models import DEVICE_CATEGORIES, Category
from sesamlike.common.i18n import N_
from sesamlike.prescriptions.errors import (
    DeviceSingleWithdrawal,
    IncompatibleSystem,
    NoPumpForConsumable,
)

# Consumables that must fit one of the patient's pumps.
PUMP_CONSUMABLES = frozenset(
    {Category.INFUSION_SET, Category.RESERVOIR, Category.POD, Category.BATTERY}
)


def check_device_terms(
    category: str, name: str, packs_per_withdrawal: object, withdrawals: object
) -> None:
    """A lent device is prescribed as one withdrawal of one unit."""
    if category not in DEVICE_CATEGORIES:
        return
    fields = {}
    if isinstance(packs_per_withdrawal, int) and packs_per_withdrawal > 1:
        fields["packs_per_withdrawal"] = [N_("Ange 1 för en pump eller CGM-avläsare.")]
    if isinstance(withdrawals, int) and withdrawals > 1:
        fields["withdrawals"] = [N_("Ange 1 uttag för en pump eller CGM-avläsare.")]
    if fields:
        raise DeviceSingleWithdrawal(article=name, fields=fields)


@dataclass(frozen=True)
class Pumps:
    """The pumps a patient has in use or prescribed: their systems, by id."""

    systems: dict[int, str]
    any: bool  # a pump tied to no system counts as a pump too

    def names(self) -> str:
        return ", ".join(sorted(self.systems.values()))


def fits_pumps(category: str, system_ids: set[int], pumps: Pumps) -> bool:
    """Whether an article of this category and systems fits one of the pumps."""
    if category not in PUMP_CONSUMABLES:
        return True
    return bool(system_ids & pumps.systems.keys()) if system_ids else pumps.any


def check_compatible(
    category: str,
    name: str,
    system_ids: set[int],
    pumps: Pumps,
    reason_code: str | None,
) -> None:
    """A pump consumable must fit a pump of the patient's, unless a reason is given.

    An article tied to no system is not known to fit only some pumps: it needs
    a pump, any pump. CGM sensors and transmitters need no reader (a phone can
    read them), so they are not checked here.
    """
    if (reason_code or "").strip() or fits_pumps(category, system_ids, pumps):
        return
    field = {
        "article_no": [
            N_("Välj en artikel som passar patientens pump, eller ange orsakskod.")
        ]
    }
    if not pumps.any:
        raise NoPumpForConsumable(article=name, pumps="", fields=field)
    raise IncompatibleSystem(article=name, pumps=pumps.names() or "–", fields=field)

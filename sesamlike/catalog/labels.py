"""Swedish display names for catalogue codes, translated per request."""

from __future__ import annotations

from sesamlike.common.i18n import N_, _

CATEGORY_NAMES = {
    "pump": N_("Insulinpump"),
    "cgm_reader": N_("CGM-läsare"),
    "cgm_transmitter": N_("CGM-sändare"),
    "cgm_sensor": N_("CGM-sensor"),
    "infusion_set": N_("Infusionsset"),
    "reservoir": N_("Reservoar"),
    "pod": N_("Pod"),
    "battery": N_("Batteri"),
    "accessory": N_("Tillbehör"),
}
CHANNEL_NAMES = {
    "central": N_("Hjälpmedelscentral"),
    "supplier": N_("Leverantör"),
    "pharmacy": N_("Apotek"),
}


def category_labels() -> dict[str, str]:
    """Category code to display name, in catalogue order."""
    return {code: _(name) for code, name in CATEGORY_NAMES.items()}


def channel_labels() -> dict[str, str]:
    return {code: _(name) for code, name in CHANNEL_NAMES.items()}


def category_label(code: str) -> str:
    """One category's name (translates that one only: pages call it per row)."""
    name = CATEGORY_NAMES.get(code)
    return _(name) if name is not None else code


def channel_label(code: str) -> str:
    name = CHANNEL_NAMES.get(code)
    return _(name) if name is not None else code

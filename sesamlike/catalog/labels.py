"""Swedish display names for catalogue codes, translated per request."""

from __future__ import annotations

from sesamlike.common.i18n import _


def category_labels() -> dict[str, str]:
    """Category code to display name, in catalogue order."""
    return {
        "pump": _("Insulinpump"),
        "cgm_reader": _("CGM-läsare"),
        "cgm_transmitter": _("CGM-sändare"),
        "cgm_sensor": _("CGM-sensor"),
        "infusion_set": _("Infusionsset"),
        "reservoir": _("Reservoar"),
        "pod": _("Pod"),
        "battery": _("Batteri"),
        "accessory": _("Tillbehör"),
    }


def channel_labels() -> dict[str, str]:
    return {
        "central": _("Hjälpmedelscentral"),
        "supplier": _("Leverantör"),
        "pharmacy": _("Apotek"),
    }


def category_label(code: str) -> str:
    return category_labels().get(code, code)


def channel_label(code: str) -> str:
    return channel_labels().get(code, code)

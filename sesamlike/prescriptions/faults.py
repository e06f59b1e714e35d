"""A prescription's field faults that need no patient, said with the API schema's.

A request body that fails its schema is answered with the schema's faults and
these, of the fields that passed it (`api.routing`), so one answer names every
bad field: the article (known, in contract), the terms, a device's single
withdrawal, the reason and the cost centre. What hangs on the patient (pumps,
clinics, the first-time right) is judged once the body loads, by `prescribe`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

from sesamlike.catalog import services as catalog
from sesamlike.common.errors import Invalid
from sesamlike.common.time import region_today
from sesamlike.prescriptions import checks, compatibility, rules, services

TERMS = ("packs_per_withdrawal", "withdrawals", "period_days", "valid_from",
         "valid_to", "lock_days")  # fmt: skip


def prescription_faults(
    data: Mapping[str, object],
    unchecked: Collection[str] = (),
    today: date | None = None,
) -> dict[str, list[str]]:
    """The field faults `services.prescribe` would refuse `data` for without
    reading a patient; fields in `unchecked` (found wrong already) are not
    judged again."""
    today = today or region_today()
    given = {name: data.get(name) for name in TERMS}
    code, text = data.get("reason_code"), data.get("reason_text")
    found: dict[str, list[str]] = {}
    article = None
    if "article_no" not in unchecked:
        try:
            article = services.find_article(data.get("article_no"))
        except Invalid as error:
            found.update(error.fields)
    if article is None:
        found.update(rules.errors_whatever_the_article(given))
        faults = [lambda: rules.check_reason("", True, 1, code, text)]
    else:
        faults = [
            lambda: rules.check_contract(
                article, today, catalog.is_prescribable(article, today)
            ),
            lambda: rules.resolve_terms(article.category, **given),
            lambda: compatibility.check_device_terms(
                article.category,
                article.name,
                given["packs_per_withdrawal"],
                given["withdrawals"],
            ),
            lambda: rules.check_reason(
                article.article_no,
                article.procured,
                checks.reason_rank(article, today),
                code,
                text,
            ),
        ]
    try:
        rules.collect(
            *faults, lambda: rules.clean_cost_centre(data.get("cost_centre"), "")
        )
    except Invalid as error:
        for name, messages in error.fields.items():
            found.setdefault(name, []).extend(messages)
    return {name: m for name, m in found.items() if name not in unchecked}

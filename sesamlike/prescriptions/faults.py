"""A prescription's field faults that need no patient, said with the API schema's.

A request body that fails its schema is answered with the schema's faults and
these, of the fields that passed it (`api.routing`), so one answer names every
bad field: the article (known, in contract), the terms, a device's single
withdrawal, the reason and the cost centre. What hangs on the patient (pumps,
clinics, the first-time right) is judged once the body loads, by `prescribe`.

A renewal and a kit are judged by their use cases' own checks, with the
fields that failed the schema left out (`renewal_faults`, `kit_faults`): they
read the prescription or patient they are about, and a refusal logs that read
as the use case's does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date

from sesamlike.accounts.models import User
from sesamlike.catalog import services as catalog
from sesamlike.common.errors import DomainError, Invalid
from sesamlike.common.time import region_today
from sesamlike.patients import access
from sesamlike.prescriptions import (
    checks,
    compatibility,
    kits,
    renewals,
    rules,
    services,
)

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
                article_name=article.name,
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


def renewal_faults(
    user: User,
    data: Mapping[str, object],
    unchecked: Collection[str],
    prescription_id: int,
) -> dict[str, list[str]]:
    """The field faults `renewals.renew` would refuse `data` for, the fields
    in `unchecked` left out (the old prescription's terms judged in their
    place). Nothing for a prescription out of reach or not renewable."""
    try:
        old = services.load_prescription(user, prescription_id)
        renewals.check_renewable(old)
    except DomainError:
        return {}
    given = {name: value for name, value in data.items() if name not in unchecked}
    if "period_days" in unchecked:  # a lock is judged against the period sent
        given.pop("lock_days", None)
    return _refused_fields(
        user,
        old.patient_id,
        "refused renewal",
        lambda: renewals.checked_renewal(user, old, region_today(), given),
        unchecked,
    )


def kit_faults(
    user: User, data: Mapping[str, object], unchecked: Collection[str]
) -> dict[str, list[str]]:
    """The field faults `kits.prescribe_kit` would refuse `data` for, the
    fields in `unchecked` left out. Nothing for a patient out of reach."""
    patient_id = data.get("patient_id")
    if "patient_id" in unchecked or not isinstance(patient_id, int):
        return {}
    if access.visible_patient(user, patient_id) is None:
        return {}
    lines = data.get("lines")
    choices = None
    if isinstance(lines, list):
        choices = [
            kits.KitChoice(
                **{
                    name: None
                    if f"lines.{index}.{name}" in unchecked
                    else line.get(name)
                    for name in kits.KIT_LINE_FIELDS
                }
            )
            for index, line in enumerate(lines)
            if isinstance(line, dict)
        ]
    return _refused_fields(
        user,
        patient_id,
        "refused kit",
        lambda: kits.check_kit(
            user,
            patient_id,
            None if "system" in unchecked else data.get("system"),
            None if "valid_from" in unchecked else data.get("valid_from"),
            choices,
            clinic_code=data.get("clinic_code"),
            cost_centre=data.get("cost_centre"),
        ),
        unchecked,
    )


def _refused_fields(
    user: User,
    patient_id: int,
    detail: str,
    check: Callable[[], object],
    unchecked: Collection[str],
) -> dict[str, list[str]]:
    """The field faults `check` refuses with, but those of `unchecked`; a
    refusal logs the read of the patient (`access.refusal_logs_read`)."""
    try:
        with access.refusal_logs_read(user, patient_id, detail):
            check()
    except DomainError as error:
        if error.status not in (409, 422):
            return {}
        return {n: m for n, m in error.fields.items() if n not in unchecked}
    return {}

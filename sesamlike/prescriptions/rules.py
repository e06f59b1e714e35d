"""Prescription rules that need no database: defaults, limits, reasons, rights.

Every check collects field-level messages (Swedish source text without
parameters, so pages and API can translate them next to the field) and raises
one domain error naming everything that is wrong at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sesamlike.accounts.models import Clinic
from sesamlike.catalog.models import Article, Category
from sesamlike.common.errors import Invalid
from sesamlike.common.formatting import ReadersDate
from sesamlike.common.i18n import N_
from sesamlike.prescriptions.errors import (
    ArticleNotYetInContract,
    ArticlePhasedOut,
    FirstPrescriptionRightRequired,
    NotFirstChoiceReasonRequired,
    NotProcuredReasonRequired,
    PrescriptionInvalid,
    StartToConfirm,
)
from sesamlike.prescriptions.models import ReasonCode

# What a first prescription starts: the first pump, or CGM (reader, transmitter or
# sensors alike: a phone can read a sensor, so sensors alone start CGM too).
START_KINDS = {
    Category.PUMP.value: "pump",
    Category.CGM_READER.value: "cgm",
    Category.CGM_TRANSMITTER.value: "cgm",
    Category.CGM_SENSOR.value: "cgm",
}
MAX_VALIDITY_YEARS = 1
# CGM sensors may be prescribed for two years (public regional routines).
LONG_VALIDITY_YEARS = {Category.CGM_SENSOR.value: 2}
MAX_PACKS_PER_WITHDRAWAL = 999
MAX_WITHDRAWALS = 99
MAX_PERIOD_DAYS = 730
MAX_REASON_TEXT = 500
MAX_COST_CENTRE = 20

# The calendar ends with the year 9999 (Python's dates and the databases'): a
# year or two of validity added to a later start, and a renewal's after that,
# would fall past its end. Such a start is refused on its field, with room to
# spare: no prescription starts anywhere near it.
CALENDAR_END_START = date(9000, 12, 31)
BEYOND_CALENDAR = N_("Datumet ligger för långt fram i tiden.")

REQUIRED = "Obligatoriskt."
NOT_AN_INTEGER = "Ange ett heltal."
INVALID_MESSAGE = PrescriptionInvalid.message


@dataclass(frozen=True)
class Terms:
    """The quantities and dates of one prescription, defaults filled in."""

    packs_per_withdrawal: int
    withdrawals: int
    period_days: int
    lock_days: int
    valid_from: date
    valid_to: date


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def max_validity_years(category: str) -> int:
    return LONG_VALIDITY_YEARS.get(category, MAX_VALIDITY_YEARS)


def max_valid_to(valid_from: date, category: str) -> date:
    """Last allowed day: one year (two for CGM sensors) from valid_from, minus a day."""
    return add_years(valid_from, max_validity_years(category)) - timedelta(days=1)


def default_valid_to(valid_from: date) -> date:
    """One year minus a day, for every category."""
    return add_years(valid_from, 1) - timedelta(days=1)


def default_lock_days(period_days: int) -> int:
    """Two thirds of the period, rounded to the nearest day (integer arithmetic)."""
    return (2 * period_days + 1) // 3


def _integer(
    errors: dict[str, list[str]],
    name: str,
    value: object,
    low: int,
    high: int,
    out_of_range: str,
) -> int | None:
    if value is None or value == "":
        errors[name] = [REQUIRED]
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = [NOT_AN_INTEGER]
        return None
    if not low <= value <= high:
        errors[name] = [out_of_range]
        return None
    return value


def resolve_terms(
    category: str,
    packs_per_withdrawal: object,
    withdrawals: object,
    period_days: object,
    valid_from: date | None,
    valid_to: date | None = None,
    lock_days: object = None,
) -> Terms:
    """Validate quantities and dates, fill in defaults; Invalid with fields if wrong."""
    errors: dict[str, list[str]] = {}
    packs = _integer(
        errors,
        "packs_per_withdrawal",
        packs_per_withdrawal,
        1,
        MAX_PACKS_PER_WITHDRAWAL,
        N_("Ange 1–999 förpackningar per uttag."),
    )
    count = _integer(
        errors, "withdrawals", withdrawals, 1, MAX_WITHDRAWALS, N_("Ange 1–99 uttag.")
    )
    period = _integer(
        errors,
        "period_days",
        period_days,
        1,
        MAX_PERIOD_DAYS,
        N_("Ange en period på 1–730 dagar."),
    )
    lock = None
    if lock_days is None or lock_days == "":
        lock = default_lock_days(period) if period else None
    else:
        # A wrong period still bounds the lock: none is longer than the longest.
        lock = _integer(
            errors,
            "lock_days",
            lock_days,
            0,
            period or MAX_PERIOD_DAYS,
            N_("Spärrtiden ska vara 0 dagar till hela perioden."),
        )
    if not isinstance(valid_from, date):
        errors["valid_from"] = [REQUIRED]
    elif valid_from > CALENDAR_END_START:
        errors["valid_from"] = [BEYOND_CALENDAR]
    elif valid_to is None:
        valid_to = default_valid_to(valid_from)
    elif valid_to < valid_from:
        errors["valid_to"] = [N_("Giltig till får inte vara före giltig från.")]
    elif valid_to > max_valid_to(valid_from, category):
        errors["valid_to"] = [
            N_(
                "Giltigheten får vara högst två år för CGM-sensorer. Välj ett tidigare "
                "slutdatum."
            )
            if max_validity_years(category) == 2
            else N_("Giltigheten får vara högst ett år. Välj ett tidigare slutdatum.")
        ]
    if not errors and count and lock is not None:
        # Otherwise the time lock would leave some withdrawals impossible to make.
        if (count - 1) * lock > (valid_to - valid_from).days:
            errors["withdrawals"] = [
                N_(
                    "Alla uttag hinner inte göras inom giltighetstiden med den "
                    "spärrtiden. Minska antalet uttag, korta spärrtiden eller förläng "
                    "giltigheten."
                )
            ]
    if errors:
        raise PrescriptionInvalid(fields=errors)
    return Terms(packs, count, period, lock, valid_from, valid_to)


def errors_whatever_the_article(given: Mapping[str, object]) -> dict[str, list[str]]:
    """`resolve_terms`'s field errors that hold for any article: all but the
    last day's, whose limit is the category's (two years for CGM sensors)."""
    try:
        resolve_terms("", **given)
    except PrescriptionInvalid as error:
        return {name: m for name, m in error.fields.items() if name != "valid_to"}
    return {}


DUPLICATE_IN_FORCE = N_("Patienten har redan en aktuell förskrivning av artikeln.")
ALREADY_ENDED = N_(
    "Förskrivningen skulle redan ha gått ut. Välj en start så att den gäller i dag "
    "eller senare."
)
# A start further ahead than this is unusual: the prescription counts among the
# current ones but cannot be ordered on until then. The prescriber confirms it.
FAR_START_DAYS = 90
FAR_START = N_("Mer än 90 dagar fram i tiden.")
# No page writes a prescription to start later than this (a renewal starts at
# most one validity ahead, two years for CGM sensors).
LATEST_START_YEARS = 2
TOO_FAR_AHEAD = N_(
    "Förskrivningen får börja gälla högst två år fram i tiden. Välj ett tidigare "
    "startdatum."
)


def check_latest_start(valid_from: object, today: date) -> None:
    """No prescription is written to start more than two years ahead (the
    API's renewals too, which may otherwise start when they like)."""
    if isinstance(valid_from, date) and valid_from <= CALENDAR_END_START:
        if valid_from > add_years(today, LATEST_START_YEARS):
            raise PrescriptionInvalid(fields={"valid_from": [TOO_FAR_AHEAD]})


def check_start(
    valid_from: object, valid_to: object, today: date, confirmed: bool
) -> None:
    """A prescription written on a page is for use: not one ended already (its
    last day given, or the default a year on), nor one starting more than two
    years ahead; one starting more than 90 days ahead is confirmed
    (StartToConfirm). Dates that are no dates, and starts past
    `CALENDAR_END_START`, are told by `resolve_terms`."""
    if not isinstance(valid_from, date) or valid_from > CALENDAR_END_START:
        return
    last = valid_to if isinstance(valid_to, date) else default_valid_to(valid_from)
    if last < today:
        raise PrescriptionInvalid(fields={"valid_from": [ALREADY_ENDED]})
    check_latest_start(valid_from, today)
    days = (valid_from - today).days
    if days > FAR_START_DAYS and not confirmed:
        raise StartToConfirm(
            valid_from=ReadersDate.of(valid_from),
            days=days,
            fields={"valid_from": [FAR_START]},
        )


def deviation(procured: bool, first_choice_rank: int | None) -> str | None:
    """Why a reason is needed: 'not_procured', 'not_first_choice', or None."""
    if not procured:
        return "not_procured"
    if first_choice_rank != 1:
        return "not_first_choice"
    return None


DEVIATION_ERRORS = {
    "not_procured": NotProcuredReasonRequired,
    "not_first_choice": NotFirstChoiceReasonRequired,
}


def check_reason(
    article_no: str,
    procured: bool,
    first_choice_rank: int | None,
    reason_code: str | None,
    reason_text: str | None,
    *,
    keep: bool = False,
    article_name: str | None = None,
) -> tuple[str | None, str | None]:
    """The reason to store: required for deviations, dropped when not needed
    (a refusal names the article by `article_name`, else its number)."""
    why = deviation(procured, first_choice_rank)
    code = (reason_code or "").strip() or None
    text = " ".join((reason_text or "").split()) or None
    # Without a deviation a reason is still kept when it justifies something else
    # (an article that fits none of the patient's pumps).
    errors: dict[str, list[str]] = {}
    if code is not None and code not in set(ReasonCode):
        errors["reason_code"] = [
            N_(
                "Okänd orsakskod. Välj medicinska skäl, fungerar inte för patienten, "
                "patientens önskemål eller annat."
            )
        ]
    if text is not None and len(text) > MAX_REASON_TEXT:
        errors["reason_text"] = [N_("Motiveringen får vara högst 500 tecken.")]
    if why is None:
        if errors:
            raise PrescriptionInvalid(fields=errors)
        return (code, text) if keep and code else (None, None)
    if code is None:
        errors["reason_code"] = [N_("Välj en orsakskod.")]
    if text is None:
        errors["reason_text"] = [N_("Skriv en motivering.")]
    if errors:
        raise DEVIATION_ERRORS[why](
            article=article_name or article_no, article_no=article_no, fields=errors
        )
    return code, text


def needs_first_time_right(category: str, has_earlier_of_kind: bool) -> bool:
    """A first pump, or starting CGM, needs the first-time right."""
    return category in START_KINDS and not has_earlier_of_kind


def check_first_time_right(category: str, has_earlier: bool, has_right: bool) -> None:
    """`has_earlier`: a prescription (not cancelled) or device of the same kind."""
    if needs_first_time_right(category, has_earlier) and not has_right:
        raise FirstPrescriptionRightRequired(
            fields={
                "article_no": [
                    N_(
                        "Be en förskrivare med rätt till nyförskrivning att göra den "
                        "första förskrivningen."
                    )
                ]
            }
        )


def check_contract(article: Article, day: date, prescribable: bool) -> None:
    """Refuse an article outside its contract, saying since or until when."""
    if prescribable:
        return
    choose = {"article_no": [N_("Välj en artikel som ingår i gällande avtal.")]}
    if article.is_phased_out_on(day):
        raise ArticlePhasedOut(
            article=article.name,
            article_no=article.article_no,
            valid_to=ReadersDate.of(article.valid_to),
            fields=choose,
        )
    raise ArticleNotYetInContract(
        article=article.name,
        article_no=article.article_no,
        valid_from=ReadersDate.of(article.valid_from),
        fields=choose,
    )


def choose_clinic(
    clinics: Sequence[Clinic], patient_clinic_ids: set[int], code: str | None
) -> Clinic:
    """The prescriber's clinic caring for the patient: the one named, else the first."""
    shared = [c for c in clinics if c.id in patient_clinic_ids]
    code = (code or "").strip()
    if code:
        shared = [c for c in shared if c.code == code]
    if not shared:
        raise PrescriptionInvalid(
            fields={
                "clinic_code": [
                    N_("Välj en av dina vårdenheter där patienten har vårdrelation.")
                ]
            },
        )
    return shared[0]


def collect(*checks: Callable[[], Any]) -> list[Any]:
    """Run every check; raise one error carrying every field's messages."""
    results, errors = [], []
    for check in checks:
        try:
            results.append(check())
        except Invalid as error:
            errors.append(error)
    if not errors:
        return results
    # The most specific refusal names the error; the fields come from all of them.
    error = next((e for e in errors if e.code != Invalid.code), errors[0])
    merged: dict[str, list[str]] = {}
    for each in errors:
        for name, messages in each.fields.items():
            merged.setdefault(name, []).extend(messages)
    error.fields = merged
    raise error


def clean_cost_centre(value: str | None, default: str) -> str:
    """The paying cost centre: the clinic's unless another is given."""
    value = (value or "").strip()
    if not value:
        return default
    if len(value) > MAX_COST_CENTRE or not all(c.isalnum() or c in "-_" for c in value):
        raise PrescriptionInvalid(
            fields={
                "cost_centre": [
                    N_(
                        "Kostnadsstället ska vara högst 20 tecken: bokstäver, siffror, "
                        "bindestreck."
                    )
                ]
            },
        )
    return value


def renewal_start(today: date, old_valid_to: date, old_still_active: bool) -> date:
    """A renewal of a live prescription starts when the old one ends, else today."""
    if old_still_active and old_valid_to >= today:
        return old_valid_to + timedelta(days=1)
    return today


def renewal_end(
    valid_from: date, old_valid_from: date, old_valid_to: date, category: str
) -> date | None:
    """As long as the old one, but never past the category's limit: as many
    whole years where the old one was (whatever leap days fall in), else as
    many days. None for a start past `CALENDAR_END_START` (`resolve_terms`
    refuses it)."""
    if valid_from > CALENDAR_END_START:
        return None
    years = (old_valid_to + timedelta(1)).year - old_valid_from.year
    if years > 0 and old_valid_to == add_years(old_valid_from, years) - timedelta(1):
        end = add_years(valid_from, years) - timedelta(1)
    else:
        end = valid_from + (old_valid_to - old_valid_from)
    return min(end, max_valid_to(valid_from, category))

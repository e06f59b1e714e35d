"""One synthetic patient's devices, prescriptions and delivered history. Pure.

A patient has a pump track and a CGM track. Each track is a current segment (a
system since a date) and, when that date falls inside the history window, the
segment before it (the same system renewed, or an older system). Devices are lent
at a segment's start and returned at its end; consumables are withdrawn about
every 91 days against one-year prescriptions of four withdrawals, in packs that
follow the article's expected use times the patient's own consumption.

Some devices fail and are swapped under warranty (a replacement line with no
prescription of its own, `replaces`), a few deliveries of the aids centre's
consumables partly come back to stock unused within 14 days, and a patient who
moves clinic (`moves_on`) has the prescriptions running then ended at the move
and renewed from it: the new clinic writes, and pays for, those.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sesamlike.demo.kits import (
    CGM_WITH,
    CGMS,
    NOT_WORKING_CATEGORIES,
    PREVIOUS_PUMP,
    PUMP_SHARES,
    PUMPS,
    REASONS,
    SERIAL_PREFIX,
    Kit,
    pick,
)
from sesamlike.orders.history import add_years
from sesamlike.stock import devices

YEAR = 365
WITHDRAWAL_DAYS = 91
LOCK_DAYS = 60
FAULT_SHARE = 0.08  # devices in use that fail and are swapped under warranty
RETURN_SHARE = 0.02  # central consumable deliveries partly returned to stock
RETURN_DAYS = 14
WARRANTY_YEARS = 4
NO_PUMP = ""
# The mean of what scales a patient's expected use: their own consumption
# (spread 0.18, one in 14 using 1.45 times as much), each article group's spread
# (0.12) and one withdrawal in ten a quarter larger. Use is divided by it, so the
# region as a whole withdraws what the articles' expected use says (MiniMed 640G
# without CGM: a little over 30,000 SEK a year, as TLV estimates).
USAGE_MEAN = math.exp((0.18**2 + 0.12**2) / 2) * (1 + 0.07 * 0.45) * (1 + 0.1 * 0.25)
# Day offsets up to a withdrawal schedule's last day, made once: planning adds
# millions of them.
_DAYS = tuple(timedelta(days=n) for n in range(4 * WITHDRAWAL_DAYS + 20))
_YEAR_LESS_A_DAY = timedelta(days=YEAR - 1)
_FAR = date.max


@dataclass(frozen=True)
class ArticleInfo:
    id: int
    article_no: str
    category: str
    pack_size: int
    units_per_day: float | None
    procured: bool
    first_choice_rank: int | None
    channel: str
    valid_from: date
    first_choice: bool = False  # in its category, for one of its systems


@dataclass
class Rx:
    """A planned prescription; `renews` is the index of the one it renews."""

    article_no: str
    valid_from: date
    valid_to: date
    packs_per_withdrawal: int
    withdrawals: int
    device: bool = False
    status: str = "active"
    withdrawals_used: int = 0
    last_withdrawal_on: date | None = None
    cancelled_on: date | None = None
    renews: int | None = None
    reason: tuple[str, str] | None = None


@dataclass
class Delivery:
    article_no: str
    packs: int
    ordered_on: date
    delivered_on: date
    rx: int | None  # None: a warranty replacement, on no prescription
    serial_no: str | None = None
    returned_on: date | None = None
    return_reason: str | None = None
    replaces: int | None = None  # the swapped device's delivery (index)
    packs_restocked: int = 0  # packs back on stock unused (on `returned_on`)
    prescription_id: int | None = None  # set when written


@dataclass
class PatientPlan:
    pump_system: str | None = None
    cgm_system: str | None = None
    prescriptions: list[Rx] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass
class _Segment:
    kit: Kit
    start: date
    end: date | None  # the day the next segment starts (its devices come back)
    reason: str = "renewal"


class Planner:
    def __init__(self, articles: dict[str, ArticleInfo], today: date, years: int):
        self.articles = articles
        self.today = today
        self.history_start = today - timedelta(days=YEAR * years)
        self._reasons = {no: self._reason(a) for no, a in articles.items()}
        self._valid_from: dict[tuple[str, ...], date] = {}

    def plan(
        self,
        rng: random.Random,
        group: str,
        birth_date: date,
        serial_tag: str,
        *,
        animas: bool = False,
        pump: str | None = None,
        moves_on: date | None = None,
    ) -> PatientPlan:
        """`group`: child, type1 or other; `serial_tag` makes serials unique;
        `pump` the pump system to use (NO_PUMP: none; None: drawn from the
        group's shares); `moves_on` the day the patient moves clinic.
        """
        plan = PatientPlan()
        self._serials = (serial_tag, iter(range(10)))
        self._moves_on = moves_on
        earliest = max(birth_date + timedelta(days=200), date(2015, 1, 1))
        usage = math.exp(rng.gauss(0, 0.18)) * (1.45 if rng.random() < 0.07 else 1)
        usage /= USAGE_MEAN
        drawn = pick(rng, PUMP_SHARES[group])
        pump = "t:slim X2" if animas else (drawn if pump is None else pump or None)
        cgm = pick(rng, CGM_WITH[pump])
        if pump:
            plan.pump_system = pump
            segments = self._track(rng, PUMPS[pump], earliest, previous=PREVIOUS_PUMP)
            if animas:
                segments = self._animas_history(segments)
            self._lay_out(rng, plan, segments, usage, reader=True)
        if cgm:
            plan.cgm_system = cgm
            kit = CGMS[cgm]
            segments = self._track(rng, kit, earliest, previous={})
            reader = kit.device is not None and rng.random() < kit.device_share
            self._lay_out(rng, plan, segments, usage, reader=reader)
        return plan

    # Segments -------------------------------------------------------------------

    def _track(self, rng, kit: Kit, earliest: date, previous: dict) -> list[_Segment]:
        start_floor = max(earliest, self._kit_start(kit) + timedelta(days=30))
        span = (self.today - timedelta(days=20) - start_floor).days
        if span <= 0:
            return [_Segment(kit, self.today - timedelta(days=20), None)]
        since = self.today - timedelta(days=20 + rng.randrange(min(span, 4 * YEAR)))
        segments = [_Segment(kit, since, None)]
        if since > self.history_start and kit.system in previous:
            old = PUMPS[previous[kit.system]] if rng.random() < 0.35 else kit
            old_start = add_years(since, -4) + timedelta(days=rng.randrange(-30, 90))
            old_start = max(old_start, self._kit_start(old), earliest)
            if old_start < since - timedelta(days=120):
                reason = "renewal" if old is kit else "switch"
                segments.insert(0, _Segment(old, old_start, since))
                segments[1].reason = reason
        elif since > self.history_start and rng.random() < 0.5:
            old_start = max(add_years(since, -2), self._kit_start(kit), earliest)
            if old_start < since - timedelta(days=120):
                segments.insert(0, _Segment(kit, old_start, since))
        return segments

    def _animas_history(self, segments: list[_Segment]) -> list[_Segment]:
        """Animas Vibe until its 2018 phase-out, then t:slim X2, renewed once."""
        kit, since = segments[-1].kit, date(2023, 3, 15)
        return [
            _Segment(PUMPS["Animas Vibe"], date(2015, 2, 2), date(2019, 3, 15)),
            _Segment(kit, date(2019, 3, 15), since, reason="phased_out"),
            _Segment(kit, since, None),
        ]

    def _kit_start(self, kit: Kit) -> date:
        """When the system entered the contract: its device, else its first parts."""
        numbers = [kit.device] if kit.device else list(kit.groups[0][0][0])
        return max(self.articles[no].valid_from for no in numbers)

    # Devices and consumables ----------------------------------------------------

    def _lay_out(self, rng, plan, segments, usage: float, *, reader: bool) -> None:
        for index, segment in enumerate(segments):
            end = segment.end
            returned = segments[index + 1].reason if end else None
            if segment.kit.device and reader:
                self._devices(rng, plan, segment, end, returned)
            if (end or self.today) > self.history_start:
                self._consumables(rng, plan, segment, usage)

    def _devices(self, rng, plan, segment, end, returned_reason) -> None:
        """The segment's device; one in 12 fails within its warranty and is
        swapped for a new one (no new prescription: the supplier replaces it)."""
        article_no = segment.kit.device
        ordered_on = segment.start - timedelta(days=10)
        rx = self._rx(plan, article_no, ordered_on, 1, 1)
        rx.device, rx.status, rx.withdrawals_used = True, "used_up", 1
        rx.last_withdrawal_on = ordered_on
        delivery = Delivery(
            article_no, 1, ordered_on, segment.start, len(plan.prescriptions) - 1
        )
        delivery.serial_no = self._serial(article_no)
        delivery.returned_on, delivery.return_reason = end, returned_reason
        plan.deliveries.append(delivery)
        warranty_end = devices.warranty_end(segment.start, WARRANTY_YEARS)
        room = (min(self.today, warranty_end) - segment.start).days - 70
        if end is None and room > 0 and rng.random() < FAULT_SHARE:
            fault_on = segment.start + timedelta(days=60 + rng.randrange(room))
            delivery.returned_on, delivery.return_reason = fault_on, "faulty"
            swap = Delivery(article_no, 1, fault_on, fault_on, None,
                            replaces=len(plan.deliveries) - 1)  # fmt: skip
            swap.serial_no = self._serial(article_no)
            plan.deliveries.append(swap)

    def _consumables(self, rng, plan, segment, usage: float) -> None:
        schedule = self._schedule(rng, segment)
        for group in segment.kit.groups:
            options = [(c, w) for c, w in group if self._valid(c, segment.start)]
            choice = pick(rng, options or list(group))
            factor = usage * math.exp(rng.gauss(0, 0.12))
            for article_no in choice:
                article = self.articles[article_no]
                self._withdrawals(rng, plan, segment, article, factor, schedule)

    def _schedule(self, rng, segment: _Segment) -> list[tuple[date, list, date]]:
        """One-year prescription periods, each with four withdrawal days (ordered,
        delivered) that all the segment's articles share: one order a quarter,
        and the day the period ends early (a move of clinic) or None.

        An open segment gets the next period too when it starts within 90 days,
        so a used-up prescription already has its renewal. A move inside the
        segment ends the period running then; the next starts on the move.
        """
        if segment.end:
            horizon = segment.end - timedelta(days=1)
        else:
            horizon = self.today + timedelta(days=90)
        move = self._moves_on
        if move is not None and not segment.start < move <= horizon:
            move = None
        periods, start = [], segment.start
        while start <= horizon:
            days = []
            for k in range(4):
                ordered = start + _DAYS[k * WITHDRAWAL_DAYS + rng.randrange(15)]
                days.append((ordered, ordered + _DAYS[rng.randrange(2, 6)]))
            cut = move if move is not None and start < move < start + timedelta(
                days=YEAR) else None  # fmt: skip
            periods.append((start, days, cut))
            start = cut or start + timedelta(days=YEAR)
        return periods

    def _withdrawals(self, rng, plan, segment, article, factor, schedule) -> None:
        rate = (article.units_per_day or 0) * factor
        need = rate * WITHDRAWAL_DAYS / article.pack_size
        per_withdrawal = max(1, math.ceil(need * 1.2))
        stop = min(segment.end or self.today, self.today)
        cumulative, delivered, previous = 0.0, 0, None
        today, history_start = self.today, self.history_start
        random, add = rng.random, plan.deliveries.append
        article_no, central = article.article_no, article.channel == "central"
        for period_start, days, cut in schedule:
            if period_start > stop and (
                previous is None or plan.prescriptions[previous].status != "used_up"
            ):
                break  # no renewal ahead of time needed
            if period_start + _YEAR_LESS_A_DAY < history_start:
                continue
            rx = self._rx(plan, article_no, period_start, per_withdrawal, 4)
            rx.renews = previous
            previous = len(plan.prescriptions) - 1
            used, last = 0, None
            for ordered_on, delivered_on in days:
                if ordered_on >= stop or delivered_on > today:
                    break
                if cut is not None and ordered_on >= cut:
                    break
                # A withdrawal covers a quarter, or up to the segment's end or the
                # move when that comes sooner: the next segment or clinic's
                # prescription supplies the days after it.
                end = min(segment.end or _FAR, cut or _FAR)
                covered = min(WITHDRAWAL_DAYS, (end - ordered_on).days)
                cumulative += (
                    need * covered / WITHDRAWAL_DAYS * (1.25 if random() < 0.1 else 1)
                )
                packs = min(per_withdrawal, round(cumulative) - delivered)
                if packs <= 0:
                    continue
                delivered += packs
                used += 1
                last = ordered_on
                if ordered_on < history_start:
                    continue  # happened, but before the history we hold
                delivery = Delivery(
                    article_no, packs, ordered_on, delivered_on, previous
                )
                if central and packs > 1 and random() < RETURN_SHARE:
                    back_on = delivered_on + _DAYS[rng.randrange(2, RETURN_DAYS)]
                    if back_on <= today:
                        delivery.returned_on = back_on
                        delivery.packs_restocked = rng.randrange(1, packs)
                add(delivery)
            if used:
                rx.withdrawals_used, rx.last_withdrawal_on = used, last
            if cut is not None:  # the new clinic renews it from the move
                rx.status, rx.cancelled_on = "cancelled", cut
            else:
                rx.status = self._status(rx, segment)

    def _status(self, rx: Rx, segment: _Segment) -> str:
        if segment.end is not None and segment.end <= rx.valid_to:
            rx.cancelled_on = segment.end
            return "cancelled"
        if rx.withdrawals_used >= rx.withdrawals:
            return "used_up"
        return "active" if rx.valid_to >= self.today else "expired"

    def _rx(self, plan, article_no: str, valid_from: date, packs: int, times: int):
        rx = Rx(article_no, valid_from, valid_from + _YEAR_LESS_A_DAY, packs, times,
                reason=self._reasons[article_no])  # fmt: skip
        plan.prescriptions.append(rx)
        return rx

    def _reason(self, article: ArticleInfo) -> tuple[str, str] | None:
        if not article.procured:
            return REASONS["not_procured"]
        if article.first_choice:
            return None
        if article.category == "pump":
            return REASONS["pump"]
        if article.category in NOT_WORKING_CATEGORIES:
            return REASONS["not_working"]
        return REASONS["other"]

    def _valid(self, choice, day: date) -> bool:
        """Every article of the choice is on contract that day."""
        since = self._valid_from.get(choice)
        if since is None:
            since = max(self.articles[no].valid_from for no in choice)
            self._valid_from[choice] = since
        return since <= day

    def _serial(self, article_no: str) -> str:
        tag, counter = self._serials
        return f"{SERIAL_PREFIX[article_no]}{tag}{next(counter)}"

"""The outcome measures funders request, computed over plain records.

Every measure starts from the same selection (:class:`CohortDefinition`):
participants of the chosen cohorts who completed the program within the
period. Outcome measures count only completers whose follow-up window
(``follow_up_days`` after completion) closed on or before ``as_of``, so an
early cohort and a late one are measured over the same length of time.

A participant's placement is their earliest outcome with a placement status
(:data:`PLACED_STATUSES`) that was reported on or before ``as_of`` and
started no later than the end of their follow-up window. A placement that
started before completion counts, with a time to employment of zero days.

The measures return raw tables. :func:`vcwork.outcomes.build_report`
suppresses small cells before anything is published.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ._privacy import Cell, MeasureTable
from ._records import OutcomeRecord, OutcomesInputError, ParticipantRecord

__all__ = [
    "LEVEL_ORDER",
    "TIME_TO_EMPLOYMENT_BUCKETS",
    "CohortDefinition",
    "employer_verification_rate",
    "employment_rate_by_credential",
    "pathway_placement_change",
    "placement_of",
    "time_to_employment",
    "wages_by_credential",
    "wages_by_level",
]

# Pathway levels from lowest to highest; "none" is for participants who hold
# no leveled credential.
LEVEL_ORDER = ("entry", "intermediate", "advanced")
NO_LEVEL = "none"

# Time to employment buckets: label, first day, last day (None: open ended).
TIME_TO_EMPLOYMENT_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("before completion", -(10**6), -1),
    ("0-30 days", 0, 30),
    ("31-90 days", 31, 90),
    ("91-180 days", 91, 180),
    ("181-365 days", 181, 365),
    ("over 365 days", 366, None),
)


@dataclass(frozen=True, kw_only=True)
class CohortDefinition:
    """The participants a report covers and the date their outcomes are read.

    ``cohorts`` lists cohort names (empty: every cohort).
    ``completed_from`` and ``completed_to`` bound the completion date, both
    inclusive (None: unbounded). Outcomes reported after ``as_of`` are
    ignored. ``follow_up_days`` is the time after completion in which a
    placement counts.
    """

    as_of: date
    cohorts: tuple[str, ...] = ()
    completed_from: date | None = None
    completed_to: date | None = None
    follow_up_days: int = 180

    def __post_init__(self) -> None:
        if self.follow_up_days < 0:
            raise OutcomesInputError(
                f"follow_up_days must be 0 or more, got {self.follow_up_days}",
                property="follow_up_days",
                value=self.follow_up_days,
            )
        if (
            self.completed_from is not None
            and self.completed_to is not None
            and self.completed_from > self.completed_to
        ):
            raise OutcomesInputError(
                f"completed_from {self.completed_from} is after completed_to "
                f"{self.completed_to}",
                property="completed_from",
            )

    def describe(self) -> str:
        """Return the definition as one sentence for the printed report."""
        cohorts = ", ".join(self.cohorts) if self.cohorts else "all cohorts"
        end = (self.completed_to or self.as_of).isoformat()
        if self.completed_from is not None:
            completed = f"from {self.completed_from.isoformat()} to {end}"
        else:
            completed = f"by {end}"
        return (
            f"Participants of {cohorts} who completed the program {completed}. "
            f"A placement counts when it starts within {self.follow_up_days} days "
            f"of completion and was reported by {self.as_of.isoformat()}."
        )

    def selects(self, participant: ParticipantRecord) -> bool:
        """Return whether ``participant`` completed within the cohort selection."""
        if self.cohorts and participant.cohort not in self.cohorts:
            return False
        completed = participant.completed_on
        if completed is None or completed > self.as_of:
            return False
        if self.completed_from is not None and completed < self.completed_from:
            return False
        return self.completed_to is None or completed <= self.completed_to

    def window_end(self, participant: ParticipantRecord) -> date:
        assert participant.completed_on is not None  # only called on completers
        return participant.completed_on + timedelta(days=self.follow_up_days)

    def followed_up(self, participant: ParticipantRecord) -> bool:
        """Return whether the participant's follow-up window closed by ``as_of``."""
        return self.window_end(participant) <= self.as_of


def select_completers(
    participants: Iterable[ParticipantRecord], definition: CohortDefinition
) -> list[ParticipantRecord]:
    return [p for p in participants if definition.selects(p)]


def followed_up_completers(
    participants: Iterable[ParticipantRecord], definition: CohortDefinition
) -> list[ParticipantRecord]:
    return [
        p for p in participants if definition.selects(p) and definition.followed_up(p)
    ]


def placement_of(
    participant: ParticipantRecord, definition: CohortDefinition
) -> OutcomeRecord | None:
    """Return the participant's placement under ``definition``, or None."""
    window_end = definition.window_end(participant)
    placements = [
        o
        for o in participant.outcomes
        if o.is_placement
        and o.reported_on <= definition.as_of
        and o.start_date is not None
        and o.start_date <= window_end
    ]
    if not placements:
        return None
    return min(placements, key=lambda o: (o.start_date, o.reported_on))


def _percent(part: int, whole: int) -> float | None:
    if whole == 0:
        return None
    return round(100.0 * part / whole, 1)


def _holders(participants: Iterable[ParticipantRecord]) -> dict[str, set[str]]:
    """Map each achievement, in name order, to the ids of the participants holding it."""
    holders: dict[str, set[str]] = {}
    for participant in participants:
        for credential in participant.credentials:
            holders.setdefault(credential.achievement, set()).add(
                participant.participant_id
            )
    return dict(sorted(holders.items()))


Placements = Mapping[str, OutcomeRecord | None]


def _placements(
    completers: Iterable[ParticipantRecord], definition: CohortDefinition
) -> Placements:
    """Find each completer's placement once, keyed by participant id."""
    return {p.participant_id: placement_of(p, definition) for p in completers}


def _rate_cell(
    group: str,
    members: Sequence[ParticipantRecord],
    placements: Placements,
    *,
    partition: str | None = None,
) -> Cell:
    placed = sum(1 for p in members if placements[p.participant_id] is not None)
    return Cell(
        group=group,
        participants=len(members),
        values={"placed": placed, "rate_percent": _percent(placed, len(members))},
        partition=partition,
    )


def employment_rate_by_credential(
    participants: Iterable[ParticipantRecord], *, definition: CohortDefinition
) -> MeasureTable:
    """Compute the placement rate of completers holding each achievement and not.

    The rate is placed completers over completers in the group, in percent.
    """
    completers = followed_up_completers(participants, definition)
    placements = _placements(completers, definition)
    cells = [_rate_cell("all completers", completers, placements)]
    for achievement, ids in _holders(completers).items():
        holders = [p for p in completers if p.participant_id in ids]
        others = [p for p in completers if p.participant_id not in ids]
        partition = f"credential:{achievement}"
        cells.append(
            _rate_cell(f"holds {achievement}", holders, placements, partition=partition)
        )
        cells.append(
            _rate_cell(
                f"does not hold {achievement}",
                others,
                placements,
                partition=partition,
            )
        )
    return MeasureTable(
        key="employment_rate_by_credential",
        title="Employment rate by credential earned",
        description=(
            "Share of completers placed in a job, apprenticeship or "
            "self-employment within the follow-up window, for holders of each "
            "credential and for completers without it."
        ),
        statistics=("placed", "rate_percent"),
        cells=tuple(cells),
    )


def _days_to_placement(participant: ParticipantRecord, placement: OutcomeRecord) -> int:
    assert participant.completed_on is not None and placement.start_date is not None
    return (placement.start_date - participant.completed_on).days


def time_to_employment(
    participants: Iterable[ParticipantRecord], *, definition: CohortDefinition
) -> MeasureTable:
    """Compute days from completion to placement: median, quartiles, distribution.

    A placement that started before completion counts as zero days in the
    median and in its own "before completion" bucket.
    """
    days: list[int] = []
    for participant in followed_up_completers(participants, definition):
        placement = placement_of(participant, definition)
        if placement is not None:
            days.append(_days_to_placement(participant, placement))
    clamped = sorted(max(0, d) for d in days)
    summary = _summary(clamped)
    cells = [
        Cell(
            group="all placed completers",
            participants=len(days),
            values={
                "median_days": summary[1],
                "q1_days": summary[0],
                "q3_days": summary[2],
            },
        )
    ]
    for label, first, last in TIME_TO_EMPLOYMENT_BUCKETS:
        if first > definition.follow_up_days:
            break  # no placement can fall in a range after the window
        count = sum(1 for d in days if d >= first and (last is None or d <= last))
        cells.append(
            Cell(
                group=label,
                participants=count,
                values={"share_percent": _percent(count, len(days))},
                partition="time-to-employment",
            )
        )
    return MeasureTable(
        key="time_to_employment",
        title="Time to employment after completion",
        description=(
            "Days from program completion to the start of the placement, for "
            "placed completers: median, quartiles and the share in each range."
        ),
        statistics=("median_days", "q1_days", "q3_days", "share_percent"),
        cells=tuple(cells),
    )


def _summary(
    values: Sequence[float],
) -> tuple[float | None, float | None, float | None]:
    """Return (first quartile, median, third quartile) of ``values``.

    Quartiles use :func:`statistics.quantiles` with ``method="inclusive"``
    (linear interpolation between order statistics, the method of
    spreadsheet QUARTILE.INC).
    """
    if not values:
        return None, None, None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def _wage_cell(
    group: str,
    members: Iterable[ParticipantRecord],
    placements: Placements,
    *,
    partition: str | None = None,
) -> Cell:
    wages: list[float] = []
    for participant in members:
        placement = placements[participant.participant_id]
        if placement is None:
            continue
        wage = placement.hourly_wage_equivalent
        if wage is not None:
            wages.append(wage)
    q1, median, q3 = _summary(sorted(wages))
    return Cell(
        group=group,
        participants=len(wages),
        values={
            "median_hourly": _round_money(median),
            "q1_hourly": _round_money(q1),
            "q3_hourly": _round_money(q3),
        },
        partition=partition,
    )


def _round_money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


_WAGE_STATISTICS = ("median_hourly", "q1_hourly", "q3_hourly")
_WAGE_NOTE = (
    "Hourly wage at placement; an annual salary counts as salary / 2080 "
    "hours (a full-time year)."
)


def wages_by_credential(
    participants: Iterable[ParticipantRecord], *, definition: CohortDefinition
) -> MeasureTable:
    """Compute the median and quartiles of placement wages for holders of each achievement."""
    completers = followed_up_completers(participants, definition)
    placements = _placements(completers, definition)
    cells = [_wage_cell("all placed completers", completers, placements)]
    for achievement, ids in _holders(completers).items():
        holders = [p for p in completers if p.participant_id in ids]
        cells.append(_wage_cell(f"holds {achievement}", holders, placements))
    return MeasureTable(
        key="wages_by_credential",
        title="Wages at placement by credential",
        description=_WAGE_NOTE + " Counts are placed completers with a wage.",
        statistics=_WAGE_STATISTICS,
        cells=tuple(cells),
    )


def highest_level(participant: ParticipantRecord) -> str:
    """Return the highest pathway level among the participant's credentials."""
    ranks = [
        LEVEL_ORDER.index(c.level)
        for c in participant.credentials
        if c.level in LEVEL_ORDER
    ]
    return LEVEL_ORDER[max(ranks)] if ranks else NO_LEVEL


def wages_by_level(
    participants: Iterable[ParticipantRecord], *, definition: CohortDefinition
) -> MeasureTable:
    """Compute placement wages grouped by the highest pathway level each completer holds."""
    completers = followed_up_completers(participants, definition)
    placements = _placements(completers, definition)
    groups: dict[str, list[ParticipantRecord]] = {}
    for participant in completers:
        groups.setdefault(highest_level(participant), []).append(participant)
    cells = [
        _wage_cell(
            f"highest level {level}", groups[level], placements, partition="level"
        )
        for level in (*LEVEL_ORDER, NO_LEVEL)
        if level in groups
    ]
    return MeasureTable(
        key="wages_by_level",
        title="Wages at placement by pathway level",
        description=_WAGE_NOTE
        + " Each completer counts once, at the highest level of credential held.",
        statistics=_WAGE_STATISTICS,
        cells=tuple(cells),
    )


def employer_verification_rate(
    participants: Iterable[ParticipantRecord],
    *,
    verification_counts: Mapping[str, int],
    definition: CohortDefinition,
) -> MeasureTable:
    """Compute the share of credentials verified at least once, overall and per achievement.

    ``verification_counts`` maps a credential id to the number of times
    verifiers checked it. Credentials of every selected completer count
    (the follow-up window does not apply); cells are suppressed by the
    number of distinct holders.
    """
    completers = select_completers(participants, definition)
    by_achievement: dict[str, list[tuple[str, str]]] = {}
    for participant in completers:
        for credential in participant.credentials:
            if (
                credential.issued_on is not None
                and credential.issued_on > definition.as_of
            ):
                continue
            by_achievement.setdefault(credential.achievement, []).append(
                (participant.participant_id, credential.credential_id)
            )

    def cell(group: str, items: Sequence[tuple[str, str]]) -> Cell:
        counts = [
            verification_counts.get(credential_id, 0) for _, credential_id in items
        ]
        verified = sum(1 for c in counts if c > 0)
        return Cell(
            group=group,
            participants=len({participant_id for participant_id, _ in items}),
            values={
                "credentials": len(items),
                "verified": verified,
                "rate_percent": _percent(verified, len(items)),
                "verifications": sum(counts),
            },
        )

    every = [item for items in by_achievement.values() for item in items]
    cells = [cell("all credentials", every)]
    cells.extend(cell(name, by_achievement[name]) for name in sorted(by_achievement))
    return MeasureTable(
        key="employer_verification_rate",
        title="Employer verification rate",
        description=(
            "Share of credentials held by completers that a verifier checked at "
            "least once, from the verification counts verifiers report (counts "
            "only, never who verified). The participant count is the number of "
            "holders."
        ),
        statistics=("credentials", "verified", "rate_percent", "verifications"),
        cells=tuple(cells),
    )


def pathway_placement_change(
    participants: Iterable[ParticipantRecord],
    *,
    pathway: str,
    cohort_date: date,
    definition: CohortDefinition,
) -> MeasureTable:
    """Compare placement of pathway holders in cohorts before and after ``cohort_date``.

    "Before" is cohorts that started before ``cohort_date``; "after" is
    cohorts that started on or after it. The change cell gives the
    difference in percentage points and the relative change in percent.
    """
    holders = [
        p for p in followed_up_completers(participants, definition) if p.holds(pathway)
    ]
    before = [p for p in holders if p.cohort_start < cohort_date]
    after = [p for p in holders if p.cohort_start >= cohort_date]
    before_label = f"cohorts before {cohort_date.isoformat()}"
    after_label = f"cohorts from {cohort_date.isoformat()}"
    placements = _placements(holders, definition)
    before_cell = _rate_cell(before_label, before, placements)
    after_cell = _rate_cell(after_label, after, placements)
    cells = [before_cell, after_cell, _change_cell(before_cell, after_cell)]
    return MeasureTable(
        key=f"pathway_placement_change:{pathway}",
        title=f"Placement after the {pathway} pathway, before and after {cohort_date.isoformat()}",
        description=(
            f"Placement rate of completers holding {pathway}, for cohorts that "
            f"started before {cohort_date.isoformat()} and on or after it."
        ),
        statistics=("placed", "rate_percent", "change_points", "change_percent"),
        cells=tuple(cells),
    )


def _change_cell(before: Cell, after: Cell) -> Cell:
    # The change is computed from the counts, not from the rounded rates.
    points: float | None = None
    relative: float | None = None
    statement: str | None = None
    before_placed = int(before.values["placed"] or 0)
    after_placed = int(after.values["placed"] or 0)
    if before.participants and after.participants:
        before_rate = before_placed / before.participants
        after_rate = after_placed / after.participants
        points = round(100.0 * (after_rate - before_rate), 1)
        if before_rate > 0:
            relative = round(100.0 * (after_rate - before_rate) / before_rate, 1)
        if points > 0:
            direction = "up"
        elif points < 0:
            direction = "down"
        else:
            direction = "unchanged"
        change = f" {abs(relative):g} %" if relative is not None and points else ""
        statement = (
            f"Placement {direction}{change}: {after_placed} of "
            f"{after.participants} placed ({after.values['rate_percent']:g} %) "
            f"against {before_placed} of {before.participants} "
            f"({before.values['rate_percent']:g} %)."
        )
    return Cell(
        group="change",
        participants=None,
        values={"change_points": points, "change_percent": relative},
        derived_from=(before.group, after.group),
        statement=statement,
    )

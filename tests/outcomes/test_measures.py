"""Every measure against values computed by hand on small cohorts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import COMPLETED, participant, placement

from vcwork.outcomes import (
    CohortDefinition,
    EmploymentStatus,
    OutcomeRecord,
    OutcomesInputError,
    OutcomeSource,
    employer_verification_rate,
    employment_rate_by_credential,
    pathway_placement_change,
    placement_of,
    time_to_employment,
    wages_by_credential,
    wages_by_level,
)

AS_OF = date(2025, 1, 1)
DEFINITION = CohortDefinition(as_of=AS_OF)


def test_employment_rate_by_credential() -> None:
    records = [
        participant("a", "osha", outcomes=(placement("a", 10),)),
        participant("b", "osha", outcomes=(placement("b", 40),)),
        participant("c", "osha"),
        participant("d", "tools", outcomes=()),
        participant("e"),
    ]
    table = employment_rate_by_credential(records, definition=DEFINITION)

    everyone = table.cell("all completers")
    assert everyone.participants == 5
    assert everyone.values["placed"] == 2
    assert everyone.values["rate_percent"] == 40.0
    holders = table.cell("holds osha")
    assert holders.participants == 3
    assert holders.values["placed"] == 2
    assert holders.values["rate_percent"] == 66.7
    others = table.cell("does not hold osha")
    assert others.participants == 2
    assert others.values["rate_percent"] == 0.0
    assert table.cell("holds tools").values["rate_percent"] == 0.0
    assert table.cell("does not hold tools").values["placed"] == 2


def test_selection_excludes_out_of_scope_participants() -> None:
    records = [
        participant("in", outcomes=(placement("in", 5),)),
        participant("not-completed", completed_on=None),
        participant("other-cohort", cohort="Cohort 2"),
        # Completed 100 days before as_of: the 180-day window is still open.
        participant("in-follow-up", completed_on=AS_OF - timedelta(days=100)),
    ]
    definition = CohortDefinition(as_of=AS_OF, cohorts=("Cohort 1",))
    table = employment_rate_by_credential(records, definition=definition)
    assert table.cell("all completers").participants == 1
    assert table.cell("all completers").values["placed"] == 1


def test_completion_period_bounds_are_inclusive() -> None:
    records = [
        participant("first", completed_on=date(2024, 1, 1)),
        participant("last", completed_on=date(2024, 1, 31)),
        participant("after", completed_on=date(2024, 2, 1)),
        participant("before", completed_on=date(2023, 12, 31)),
    ]
    definition = CohortDefinition(
        as_of=AS_OF, completed_from=date(2024, 1, 1), completed_to=date(2024, 1, 31)
    )
    table = employment_rate_by_credential(records, definition=definition)
    assert table.cell("all completers").participants == 2


def test_placement_rules() -> None:
    late_report = placement("p", 10, reported_after=400)
    outside_window = placement("p", 181)
    on_window_end = placement("p", 180)
    earliest = placement("p", 30)
    unemployed = OutcomeRecord(
        participant_id="p",
        status=EmploymentStatus.UNEMPLOYED,
        source=OutcomeSource.SELF_REPORT,
        reported_on=COMPLETED,
    )
    assert placement_of(participant("p", outcomes=(late_report,)), DEFINITION) is None
    assert (
        placement_of(participant("p", outcomes=(outside_window,)), DEFINITION) is None
    )
    assert placement_of(participant("p", outcomes=(unemployed,)), DEFINITION) is None
    found = placement_of(
        participant("p", outcomes=(on_window_end, earliest, unemployed)), DEFINITION
    )
    assert found is earliest


def test_time_to_employment_median_and_distribution() -> None:
    days = [-5, 10, 20, 40, 100]
    records = [
        participant(f"p{i}", outcomes=(placement(f"p{i}", d),))
        for i, d in enumerate(days)
    ]
    records.append(participant("unplaced"))
    table = time_to_employment(records, definition=DEFINITION)

    summary = table.cell("all placed completers")
    assert summary.participants == 5
    # Clamped to [0, 10, 20, 40, 100], so the inclusive quartiles are order statistics.
    assert summary.values["median_days"] == 20
    assert summary.values["q1_days"] == 10
    assert summary.values["q3_days"] == 40
    assert table.cell("before completion").participants == 1
    assert table.cell("0-30 days").participants == 2
    assert table.cell("0-30 days").values["share_percent"] == 40.0
    assert table.cell("31-90 days").participants == 1
    assert table.cell("91-180 days").participants == 1
    groups = [c.group for c in table.cells]
    assert "181-365 days" not in groups


def test_time_to_employment_interpolates_quartiles() -> None:
    records = [
        participant(f"p{d}", outcomes=(placement(f"p{d}", d),))
        for d in (10, 20, 30, 40)
    ]
    summary = time_to_employment(records, definition=DEFINITION).cell(
        "all placed completers"
    )
    assert summary.values["q1_days"] == 17.5
    assert summary.values["median_days"] == 25
    assert summary.values["q3_days"] == 32.5


def test_wages_by_credential_and_salary_conversion() -> None:
    records = [
        participant("a", "osha", outcomes=(placement("a", 1, hourly_wage=15),)),
        participant("b", "osha", outcomes=(placement("b", 1, hourly_wage=18),)),
        participant("c", "osha", outcomes=(placement("c", 1, hourly_wage=20),)),
        # 41,600 a year over 2,080 hours is 20.00 an hour.
        participant("d", outcomes=(placement("d", 1, annual_salary=41_600),)),
        participant("e", "osha", outcomes=(placement("e", 1, hourly_wage=24),)),
        participant("f", "osha", outcomes=(placement("f", 1),)),
    ]
    table = wages_by_credential(records, definition=DEFINITION)
    everyone = table.cell("all placed completers")
    assert everyone.participants == 5
    assert everyone.values["median_hourly"] == 20.0
    assert everyone.values["q1_hourly"] == 18.0
    assert everyone.values["q3_hourly"] == 20.0
    holders = table.cell("holds osha")
    assert holders.participants == 4
    assert holders.values["median_hourly"] == 19.0
    assert holders.values["q1_hourly"] == 17.25
    assert holders.values["q3_hourly"] == 21.0


def test_wages_by_highest_level() -> None:
    levels = {"cert": "intermediate"}
    records = [
        participant("a", "osha", outcomes=(placement("a", 1, hourly_wage=16),)),
        participant("b", "osha", outcomes=(placement("b", 1, hourly_wage=18),)),
        participant(
            "c",
            "osha",
            "cert",
            levels=levels,
            outcomes=(placement("c", 1, hourly_wage=22),),
        ),
        participant("d", outcomes=(placement("d", 1, hourly_wage=14),)),
    ]
    table = wages_by_level(records, definition=DEFINITION)
    assert table.cell("highest level entry").participants == 2
    assert table.cell("highest level entry").values["median_hourly"] == 17.0
    assert table.cell("highest level intermediate").values["median_hourly"] == 22.0
    assert table.cell("highest level none").values["median_hourly"] == 14.0


def test_employer_verification_rate() -> None:
    records = [
        participant("a", "osha", "tools"),
        participant("b", "osha"),
        participant("c", "tools"),
        participant("not-completed", "osha", completed_on=None),
    ]
    counts = {
        "urn:uuid:a-osha": 2,
        "urn:uuid:c-tools": 1,
        "urn:uuid:b-osha": 0,
        "urn:uuid:not-completed-osha": 5,
    }
    table = employer_verification_rate(
        records, verification_counts=counts, definition=DEFINITION
    )
    everything = table.cell("all credentials")
    assert everything.participants == 3
    assert everything.values["credentials"] == 4
    assert everything.values["verified"] == 2
    assert everything.values["rate_percent"] == 50.0
    assert everything.values["verifications"] == 3
    osha = table.cell("osha")
    assert osha.participants == 2
    assert osha.values["verified"] == 1
    assert osha.values["rate_percent"] == 50.0


def test_pathway_placement_change() -> None:
    cutoff = date(2024, 1, 1)
    before = [
        participant(
            f"b{i}",
            "certificate",
            cohort_start=date(2023, 6, 1),
            outcomes=(placement(f"b{i}", 10),) if i < 4 else (),
        )
        for i in range(10)
    ]
    after = [
        participant(
            f"a{i}",
            "certificate",
            cohort_start=cutoff,
            outcomes=(placement(f"a{i}", 10),) if i < 6 else (),
        )
        for i in range(10)
    ]
    without_pathway = [participant("x", outcomes=(placement("x", 1),))]
    table = pathway_placement_change(
        before + after + without_pathway,
        pathway="certificate",
        cohort_date=cutoff,
        definition=DEFINITION,
    )
    assert table.cell("cohorts before 2024-01-01").values["rate_percent"] == 40.0
    assert table.cell("cohorts from 2024-01-01").values["rate_percent"] == 60.0
    change = table.cell("change")
    assert change.values["change_points"] == 20.0
    assert change.values["change_percent"] == 50.0
    assert change.statement == (
        "Placement up 50 %: 6 of 10 placed (60 %) against 4 of 10 (40 %)."
    )


def test_cohort_definition_rejects_bad_values() -> None:
    with pytest.raises(OutcomesInputError, match="follow_up_days"):
        CohortDefinition(as_of=AS_OF, follow_up_days=-1)
    with pytest.raises(OutcomesInputError, match="after completed_to"):
        CohortDefinition(
            as_of=AS_OF, completed_from=date(2024, 2, 1), completed_to=date(2024, 1, 1)
        )


def test_outcome_record_checks() -> None:
    with pytest.raises(OutcomesInputError, match="needs a start_date"):
        OutcomeRecord(
            participant_id="p",
            status=EmploymentStatus.EMPLOYED,
            source=OutcomeSource.WAGE_RECORD,
            reported_on=AS_OF,
        )
    with pytest.raises(OutcomesInputError, match="not both"):
        placement("p", 1, hourly_wage=20, annual_salary=40_000)
    with pytest.raises(OutcomesInputError, match="positive"):
        placement("p", 1, hourly_wage=0)

"""``vcwork report`` commands and the synthetic cohort."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from typer.testing import CliRunner

from vcwork.outcomes import (
    PLACED_STATUSES,
    generate_synthetic_cohort,
    load_records,
    records_to_json,
    write_demo_report,
)
from vcwork.outcomes.cli import report_app

runner = CliRunner()


def test_synthetic_cohort_is_deterministic_and_plausible() -> None:
    cohort = generate_synthetic_cohort(participants=600, cohorts=6, seed=1)
    again = generate_synthetic_cohort(participants=600, cohorts=6, seed=1)
    assert cohort == again
    assert len(cohort.participants) == 600
    assert len({p.cohort for p in cohort.participants}) == 6
    completers = [p for p in cohort.participants if p.completed_on is not None]
    assert 0.7 < len(completers) / 600 < 0.9
    wages = [
        o.hourly_wage_equivalent
        for p in completers
        for o in p.outcomes
        if o.status in PLACED_STATUSES and o.hourly_wage_equivalent is not None
    ]
    assert 15 < statistics.median(wages) < 25
    assert cohort.verification_counts


def test_records_file_round_trip() -> None:
    cohort = generate_synthetic_cohort(participants=50, cohorts=2, seed=9)
    data = json.loads(
        json.dumps(records_to_json(cohort.participants, cohort.verification_counts))
    )
    participants, counts = load_records(data)
    assert tuple(participants) == cohort.participants
    assert counts == cohort.verification_counts


def test_report_synthetic_then_build(tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    result = runner.invoke(
        report_app,
        ["synthetic", "--out", str(records), "--participants", "300", "--cohorts", "4"],
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "report"
    result = runner.invoke(
        report_app,
        [
            "build",
            "--records",
            str(records),
            "--out",
            str(out),
            "--as-of",
            "2024-06-01",
            "--cohort-date",
            "2023-07-10",
            "--format",
            "csv,json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "outcomes-report.csv",
        "outcomes-report.json",
    ]
    report = json.loads((out / "outcomes-report.json").read_text())
    assert report["cohortDefinition"]["asOf"] == "2024-06-01"
    assert any(
        m["key"].startswith("pathway_placement_change") for m in report["measures"]
    )


def test_report_build_rejects_bad_input(tmp_path: Path) -> None:
    missing = runner.invoke(
        report_app, ["build", "--records", str(tmp_path / "none.json")]
    )
    assert missing.exit_code != 0
    assert "not found" in str(missing.exception)
    bad = tmp_path / "bad.json"
    bad.write_text('{"participants": [{"cohort": "A"}]}')
    result = runner.invoke(
        report_app, ["build", "--records", str(bad), "--out", str(tmp_path)]
    )
    assert "participants[0]" in str(result.exception)
    wrong_format = runner.invoke(
        report_app, ["build", "--records", str(bad), "--format", "pdf"]
    )
    assert "--format" in str(wrong_format.exception)


def test_demo_report_writes_three_files(tmp_path: Path) -> None:
    paths = write_demo_report(tmp_path)
    assert [p.suffix for p in paths] == [".csv", ".json", ".html"]
    html = paths[2].read_text()
    assert "Placement up" in html
    assert "synthetic" in html

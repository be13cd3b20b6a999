"""``vcwork report``: outcomes and impact reports from a records file, an agent or a synthetic cohort.

Errors are :class:`vcwork.errors.VcworkError` values, which the ``vcwork``
command turns into exit code 2 with the message on stderr.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from ._csv import parse_verification_counts_csv
from ._files import load_records, records_to_json
from ._measures import CohortDefinition
from ._privacy import DEFAULT_MINIMUM_CELL_SIZE
from ._records import OutcomesInputError, parse_date
from ._report import REPORT_FORMATS, build_report, write_report
from ._synthetic import generate_synthetic_cohort

__all__ = ["report_app"]

report_app = typer.Typer(
    help="Outcomes and impact reports for programs and funders: CSV, JSON and HTML.",
    no_args_is_help=True,
)


def _formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown or not formats:
        raise OutcomesInputError(
            f"--format {value!r} is not valid; give a comma-separated list of "
            + ", ".join(REPORT_FORMATS),
            property="format",
        )
    return formats


def _optional_date(value: str | None, option: str) -> date | None:
    return parse_date(value, name=option) if value else None


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise OutcomesInputError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise OutcomesInputError(f"cannot read {what} file {path}: {e}") from None


def _print_paths(paths: list[Path]) -> None:
    for path in paths:
        typer.echo(str(path))


@report_app.command("build")
def build(
    records: Path = typer.Option(
        ..., "--records", help="Records file (JSON) with participants and outcomes."
    ),
    out: Path = typer.Option(
        Path("outcomes-report"), "--out", "-o", help="Output folder."
    ),
    format: str = typer.Option("csv,json,html", "--format", help="Formats to write."),
    counts: Path | None = typer.Option(
        None,
        "--counts",
        help="CSV of credential_id,verifications; replaces the counts in the records file.",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Ignore outcomes reported after this date (YYYY-MM-DD); default today.",
    ),
    cohort: list[str] = typer.Option(
        [], "--cohort", help="Cohort to include; repeat for more (default: all)."
    ),
    completed_from: str | None = typer.Option(
        None, "--completed-from", help="First completion date included (YYYY-MM-DD)."
    ),
    completed_to: str | None = typer.Option(
        None, "--completed-to", help="Last completion date included (YYYY-MM-DD)."
    ),
    follow_up_days: int = typer.Option(
        180,
        "--follow-up-days",
        min=0,
        help="Days after completion in which a placement counts.",
    ),
    min_cell_size: int = typer.Option(
        DEFAULT_MINIMUM_CELL_SIZE,
        "--min-cell-size",
        min=1,
        help="Smallest group published; smaller cells are suppressed.",
    ),
    cohort_date: str | None = typer.Option(
        None,
        "--cohort-date",
        help="Compare pathway placement for cohorts before and from this date (YYYY-MM-DD).",
    ),
    pathway: list[str] = typer.Option(
        [],
        "--pathway",
        help="Pathway achievement to compare; repeat for more (default: all pathways).",
    ),
    program: str = typer.Option(
        "Workforce program", "--program", help="Program name printed on the report."
    ),
    source: list[str] = typer.Option(
        [], "--source", help="Data source line printed on the report; repeat for more."
    ),
) -> None:
    """Build a report from a records file and write it; prints the paths written."""
    formats = _formats(format)
    try:
        data = json.loads(_read_text(records, "records"))
    except json.JSONDecodeError as e:
        raise OutcomesInputError(
            f"records file {records} is not valid JSON (line {e.lineno}: {e.msg})"
        ) from None
    participants, verification_counts = load_records(data)
    if counts is not None:
        verification_counts, errors = parse_verification_counts_csv(
            _read_text(counts, "verification counts")
        )
        if errors:
            first = errors[0]
            raise OutcomesInputError(
                f"{counts}: {len(errors)} invalid row(s); row {first.row}: {first.message}"
            )
    definition = CohortDefinition(
        as_of=_optional_date(as_of, "--as-of") or datetime.now(UTC).date(),
        cohorts=tuple(cohort),
        completed_from=_optional_date(completed_from, "--completed-from"),
        completed_to=_optional_date(completed_to, "--completed-to"),
        follow_up_days=follow_up_days,
    )
    report = build_report(
        participants,
        definition=definition,
        verification_counts=verification_counts,
        pathways=pathway or None,
        cohort_date=_optional_date(cohort_date, "--cohort-date"),
        minimum_cell_size=min_cell_size,
        program=program,
        data_sources=tuple(source) or (f"Records file {records.name}",),
    )
    _print_paths(write_report(report, out, formats=formats))


@report_app.command("synthetic")
def synthetic(
    out: Path = typer.Option(
        Path("synthetic-records.json"), "--out", "-o", help="Records file to write."
    ),
    participants: int = typer.Option(
        600, "--participants", min=1, help="Number of invented participants."
    ),
    cohorts: int = typer.Option(
        6, "--cohorts", min=1, help="Number of quarterly cohorts."
    ),
    seed: int = typer.Option(
        1, "--seed", help="Random seed; the same seed gives the same cohort."
    ),
) -> None:
    """Write a synthetic cohort as a records file, and print the options to report on it."""
    cohort = generate_synthetic_cohort(
        participants=participants, cohorts=cohorts, seed=seed
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(records_to_json(cohort.participants, cohort.verification_counts))
        + "\n",
        "utf-8",
    )
    typer.echo(str(out))
    typer.echo(
        f"report on it with: vcwork report build --records {out} "
        f"--as-of {cohort.as_of.isoformat()} --cohort-date {cohort.cohort_date.isoformat()}",
        err=True,
    )


@report_app.command("demo")
def demo(
    out: Path = typer.Option(
        Path("outcomes-demo"), "--out", "-o", help="Output folder."
    ),
) -> None:
    """Generate a synthetic cohort and write its report (CSV, JSON, HTML)."""
    from ._demo import write_demo_report

    _print_paths(write_demo_report(out))


@report_app.command("fetch")
def fetch(
    agent_url: str = typer.Option(
        ..., "--agent-url", help="Base URL of the issuer agent."
    ),
    api_key_env: str = typer.Option(
        "VCWORK_ISSUER_API_KEY",
        "--api-key-env",
        help="Environment variable that contains the staff API key.",
    ),
    format: str = typer.Option("html", "--format", help="csv, json or html."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Outcomes reported by this date (YYYY-MM-DD)."
    ),
    cohort: list[str] = typer.Option(
        [], "--cohort", help="Cohort to include; repeat for more."
    ),
    cohort_date: str | None = typer.Option(
        None, "--cohort-date", help="Before/after date for pathway placement."
    ),
    min_cell_size: int | None = typer.Option(
        None, "--min-cell-size", min=1, help="Raise the agent's minimum cell size."
    ),
) -> None:
    """Download a report from an issuer agent's ``GET /outcomes/report``."""
    import httpx

    formats = _formats(format)
    if len(formats) != 1:
        raise OutcomesInputError(
            "--format takes one format for fetch", property="format"
        )
    api_key = os.environ.get(api_key_env)
    if not api_key:
        raise OutcomesInputError(
            f"environment variable {api_key_env} is not set; put the staff API key in it"
        )
    params: list[tuple[str, str | int | float | bool | None]] = [("format", formats[0])]
    params += [("cohort", c) for c in cohort]
    for name, value in (("as_of", as_of), ("cohort_date", cohort_date)):
        if value:
            params.append((name, parse_date(value, name=name).isoformat()))
    if min_cell_size is not None:
        params.append(("min_cell_size", str(min_cell_size)))
    url = agent_url.rstrip("/") + "/outcomes/report"
    try:
        response = httpx.get(
            url,
            params=params,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=120,
        )
    except httpx.HTTPError as e:
        raise OutcomesInputError(
            f"cannot reach the issuer agent at {url}: {e}"
        ) from None
    if response.status_code != 200:
        raise OutcomesInputError(
            f"the issuer agent returned HTTP {response.status_code}: {response.text[:300]}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(response.content)
    typer.echo(str(out))

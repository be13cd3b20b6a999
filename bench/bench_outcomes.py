"""Benchmark an outcomes report on a synthetic cohort of 100,000 participants.

Usage (from the repository root)::

    .venv/bin/python bench/bench_outcomes.py [--participants 100000] [--runs 3]

Measures, in one process and without a database:

1. generating the synthetic cohort (not part of a report; shown for scale);
2. ``build_report``: every measure, the before/after comparison and
   small-cell suppression;
3. rendering the built report as CSV, JSON and HTML (the HTML time is
   mostly matplotlib drawing the SVG charts).

Times are medians of ``--runs`` runs. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from vcwork.outcomes import (
    CohortDefinition,
    build_report,
    generate_synthetic_cohort,
    render_csv,
    render_html,
    render_json,
)


def _median_seconds(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--cohorts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    cohort = generate_synthetic_cohort(
        participants=args.participants, cohorts=args.cohorts, seed=1
    )
    generate_seconds = time.perf_counter() - started
    definition = CohortDefinition(as_of=cohort.as_of)

    def build() -> Any:
        return build_report(
            cohort.participants,
            definition=definition,
            verification_counts=cohort.verification_counts,
            pathways=[cohort.pathway],
            cohort_date=cohort.cohort_date,
        )

    report = build()
    rows = [
        ("generate synthetic cohort (once)", generate_seconds),
        ("build_report (measures + suppression)", _median_seconds(build, args.runs)),
        ("render CSV", _median_seconds(lambda: render_csv(report), args.runs)),
        ("render JSON", _median_seconds(lambda: render_json(report), args.runs)),
        (
            "render HTML with charts",
            _median_seconds(lambda: render_html(report), args.runs),
        ),
    ]
    print(
        f"{args.participants:,} participants in {args.cohorts} cohorts, "
        f"{sum(len(p.credentials) for p in cohort.participants):,} credentials; "
        f"Python {sys.version.split()[0]}, {platform.machine()} {platform.system()}"
    )
    print()
    print("| step | seconds |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()

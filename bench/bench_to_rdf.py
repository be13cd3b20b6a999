"""Throughput of vcwork's JSON-LD to RDF conversion against pyld's.

Usage: .venv/bin/python bench/bench_to_rdf.py [--seconds 2]

Converts two documents to RDF again and again, with contexts already loaded
and cached on both sides, and prints operations per second:

- the W3C Data Integrity EdDSA vector document (``common/unsigned.json``),
- an Open Badges 3.0 credential written for this benchmark (below).

Nothing is asserted; the numbers depend on the machine and Python version.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyld import jsonld

from vcwork.jsonld import default_loader
from vcwork.jsonld.to_rdf import to_rdf

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors"

OB_CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:a63a60be-f4af-491c-87fc-2c8fd3007a58",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Certified Welder, Level 1",
    "description": "Awarded for completing the structural welding program.",
    "issuer": {
        "id": "https://training.example.org/issuers/3",
        "type": ["Profile"],
        "name": "Riverside Workforce Training Center",
        "url": "https://training.example.org",
        "email": "credentials@training.example.org",
        "image": {
            "id": "https://training.example.org/logo.png",
            "type": "Image",
            "caption": "Riverside logo",
        },
    },
    "validFrom": "2024-06-01T00:00:00Z",
    "validUntil": "2029-06-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "type": ["AchievementSubject"],
        "activityStartDate": "2024-01-08T00:00:00Z",
        "activityEndDate": "2024-05-24T00:00:00Z",
        "creditsEarned": 12,
        "achievement": {
            "id": "https://training.example.org/achievements/welder-1",
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": "Structural Welder, Level 1",
            "description": "Performs fillet and groove welds on carbon steel plate.",
            "creditsAvailable": 12,
            "fieldOfStudy": "Welding Technology",
            "humanCode": "WLD-101",
            "inLanguage": "en",
            "tag": ["welding", "manufacturing", "construction"],
            "criteria": {
                "id": "https://training.example.org/achievements/welder-1/criteria",
                "narrative": "Pass the written exam and three observed practical "
                "welds judged against the AWS D1.1 visual acceptance criteria.",
            },
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Welders, Cutters, Solderers, and Brazers",
                    "targetFramework": "O*NET-SOC",
                    "targetCode": "51-4121.00",
                    "targetType": "ext:ONET",
                    "targetUrl": "https://www.onetonline.org/link/summary/51-4121.00",
                },
                {
                    "type": ["Alignment"],
                    "targetName": "Structural steel welding",
                    "targetFramework": "Regional skills framework",
                    "targetCode": "MFG-WLD-3",
                    "targetType": "CFItem",
                    "targetUrl": "https://skills.example.org/items/MFG-WLD-3",
                },
            ],
            "resultDescription": [
                {
                    "id": "urn:uuid:f6ab24cd-86e8-4eaf-b8c6-ded74e8fd41c",
                    "type": ["ResultDescription"],
                    "name": "Practical assessment score",
                    "resultType": "ScaledScore",
                    "valueMin": "0",
                    "valueMax": "100",
                    "requiredValue": "70",
                }
            ],
        },
        "result": [
            {
                "type": ["Result"],
                "resultDescription": "urn:uuid:f6ab24cd-86e8-4eaf-b8c6-ded74e8fd41c",
                "value": "86",
                "status": "Completed",
            }
        ],
    },
    "evidence": [
        {
            "id": "https://training.example.org/evidence/8812/practical",
            "type": ["Evidence"],
            "name": "Observed practical assessment",
            "description": "Three plate welds observed by a certified inspector.",
            "genre": "Observed demonstration",
            "audience": "Employers",
        },
        {
            "id": "https://training.example.org/evidence/8812/exam",
            "type": ["Evidence"],
            "name": "Written exam",
            "genre": "Exam",
        },
    ],
}


def measure(run: Callable[[], object], seconds: float) -> float:
    """Return calls per second of ``run`` over about ``seconds`` seconds."""
    run()
    calls = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
    return calls / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=2.0,
        help="time to spend on each measurement, in seconds (default 2)",
    )
    args = parser.parse_args()
    loader = default_loader()
    documents = {
        "W3C vector (unsigned.json)": json.loads(
            (VECTORS / "common" / "unsigned.json").read_text("utf-8")
        ),
        "Open Badges 3.0 credential": OB_CREDENTIAL,
    }
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print(f"{'document':<30} {'quads':>6} {'vcwork/s':>10} {'pyld/s':>10} {'ratio':>7}")
    for name, document in documents.items():
        quads = to_rdf(document, loader=loader)
        ours = measure(lambda d=document: to_rdf(d, loader=loader), args.seconds)
        theirs = measure(
            lambda d=document: jsonld.to_rdf(d, {"documentLoader": loader}),
            args.seconds,
        )
        print(
            f"{name:<30} {len(quads):>6} {ours:>10.0f} {theirs:>10.0f} "
            f"{ours / theirs:>6.1f}x"
        )


if __name__ == "__main__":
    main()

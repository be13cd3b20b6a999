"""The issuer agent's /outcomes routes over HTTP on loopback (minimum cell size 3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from conftest import RunningAgent

from vcwork.credentials import issue_credential
from vcwork.did import create_did_key
from vcwork.outcomes import employment_attestation_credential


def _enrol(
    client: httpx.Client, name: str, *, slug: str | None = "hand-tools"
) -> dict[str, Any]:
    response = client.post(
        "/participants", json={"name": name, "email": f"{name.lower()}@example.org"}
    )
    assert response.status_code == 201, response.text
    participant = dict(response.json())
    if slug is not None:
        record = client.post(
            f"/participants/{participant['id']}/records",
            json={
                "achievement": slug,
                "assessment_method": "observed demonstration",
                "assessor": "Jordan Smith",
                "assessed_on": "2024-01-10",
            },
        )
        assert record.status_code == 201, record.text
        participant["credential_id"] = record.json()["credential"]["id"]
    program = client.put(
        f"/outcomes/participants/{participant['id']}/program",
        json={
            "cohort": "Cohort A",
            "cohort_start": "2023-10-01",
            "completed_on": "2024-01-15",
        },
    )
    assert program.status_code == 200, program.text
    return participant


def _placement(
    client: httpx.Client, participant_id: str, wage: float
) -> httpx.Response:
    return client.post(
        f"/outcomes/participants/{participant_id}/outcomes",
        json={
            "status": "employed",
            "source": "wage_record",
            "reported_on": "2024-03-01",
            "start_date": "2024-02-01",
            "employer": "Northside Builders",
            "occupation_code": "47-2061.00",
            "hourly_wage": wage,
        },
    )


def test_routes_require_staff_key(agent: RunningAgent) -> None:
    with agent.client(staff=False) as client:
        assert client.get("/outcomes/report").status_code == 401
        assert (
            client.post(
                "/outcomes/verification-counts", json={"counts": []}
            ).status_code
            == 401
        )
        assert client.post("/outcomes/import", content=b"status\n").status_code == 401


def test_record_outcomes_and_report(agent: RunningAgent) -> None:
    with agent.client() as client:
        people = [_enrol(client, f"Person{i}") for i in range(4)]
        for index, person in enumerate(people[:3]):
            response = _placement(client, person["id"], 18.0 + 2 * index)
            assert response.status_code == 201, response.text
            assert response.json()["occupation_code_system"] == "O*NET-SOC"
        counts = client.post(
            "/outcomes/verification-counts",
            json={
                "counts": [
                    {"credentialId": people[0]["credential_id"], "verifications": 2}
                ]
            },
        )
        assert counts.status_code == 200, counts.text
        assert counts.json()["stored"] == 1

        report = client.get("/outcomes/report")
        assert report.status_code == 200, report.text
        measures = {m["key"]: m for m in report.json()["measures"]}
        rate = {
            c["group"]: c for c in measures["employment_rate_by_credential"]["cells"]
        }
        assert rate["all completers"]["participants"] == 4
        assert rate["all completers"]["values"] == {"placed": 3, "rate_percent": 75.0}
        wages = {c["group"]: c for c in measures["wages_by_credential"]["cells"]}
        assert wages["all placed completers"]["values"]["median_hourly"] == 20.0
        verification = {
            c["group"]: c for c in measures["employer_verification_rate"]["cells"]
        }
        assert verification["all credentials"]["values"]["verified"] == 1
        assert verification["all credentials"]["values"]["rate_percent"] == 25.0
        assert people[0]["id"] not in report.text

        raised = client.get("/outcomes/report", params={"min_cell_size": 5}).json()
        cells = raised["measures"][1]["cells"]
        assert cells[0]["suppressed"]
        lowered = client.get("/outcomes/report", params={"min_cell_size": 1}).json()
        assert lowered["minimumCellSize"] == 3

        csv_report = client.get("/outcomes/report", params={"format": "csv"})
        assert csv_report.headers["content-type"].startswith("text/csv")
        assert csv_report.text.startswith(
            "measure,group,participants,statistic,value,suppressed"
        )
        html_report = client.get("/outcomes/report", params={"format": "html"})
        assert html_report.headers["content-type"].startswith("text/html")
        assert "<svg" in html_report.text
        assert "Data sources" in html_report.text


def test_invalid_outcome_is_422(agent: RunningAgent) -> None:
    with agent.client() as client:
        person = _enrol(client, "Solo", slug=None)
        missing_start = client.post(
            f"/outcomes/participants/{person['id']}/outcomes",
            json={
                "status": "employed",
                "source": "self_report",
                "reported_on": "2024-03-01",
            },
        )
        assert missing_start.status_code == 422
        assert "start_date" in missing_start.json()["detail"]
        bad_code = client.post(
            f"/outcomes/participants/{person['id']}/outcomes",
            json={
                "status": "unemployed",
                "source": "self_report",
                "reported_on": "2024-03-01",
                "occupation_code": "12-34",
            },
        )
        assert bad_code.status_code == 422
        assert "occupation_code" in bad_code.json()["detail"]
        unknown = client.post(
            "/outcomes/participants/nobody/outcomes",
            json={
                "status": "unemployed",
                "source": "self_report",
                "reported_on": "2024-03-01",
            },
        )
        assert unknown.status_code == 404


def test_csv_import_reports_each_row(agent: RunningAgent) -> None:
    with agent.client() as client:
        person = _enrol(client, "Importer", slug=None)
        body = (
            "email,status,start_date,hourly_wage,source,reported_on,cohort,cohort_start,completed_on\n"
            "importer@example.org,employed,2024-02-01,19.5,self_report,2024-02-20,Cohort B,2023-10-01,2024-01-20\n"
            "importer@example.org,employed,,19.5,self_report,2024-02-20,,,\n"
            "nobody@example.org,unemployed,,,self_report,2024-02-20,,,\n"
            "importer@example.org,unemployed,,,self_report,2024-13-01,,,\n"
        )
        response = client.post(
            "/outcomes/import",
            content=body.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["rows"] == 4
        assert result["recorded"] == 1
        assert result["failed"] == 3
        rows = {r["row"]: r for r in result["results"]}
        assert rows[2]["ok"]
        assert rows[3]["column"] == "start_date"
        assert "no participant with email" in rows[4]["error"]
        assert rows[5]["column"] == "reported_on"

        stored = client.get(f"/outcomes/participants/{person['id']}/outcomes").json()
        assert stored["program"]["cohort"] == "Cohort B"
        assert len(stored["outcomes"]) == 1

        bad_header = client.post("/outcomes/import", content=b"status,source\n")
        assert bad_header.status_code == 422
        assert "reported_on" in bad_header.json()["detail"]


def test_verification_counts_csv(agent: RunningAgent) -> None:
    with agent.client() as client:
        response = client.post(
            "/outcomes/verification-counts",
            content=b"credential_id,verifications\nurn:uuid:x,3\nurn:uuid:y,lots\n",
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["stored"] == 1
        assert body["errors"] == [
            {
                "row": 3,
                "ok": False,
                "error": "verifications 'lots' is not a whole number",
                "column": "verifications",
            }
        ]
        again = client.post(
            "/outcomes/verification-counts",
            json={"counts": [{"credentialId": "urn:uuid:x", "verifications": 5}]},
        )
        assert again.status_code == 200
        bad = client.post(
            "/outcomes/verification-counts", json={"counts": [{"credentialId": "x"}]}
        )
        assert bad.status_code == 422


def test_employment_attestation_is_recorded(agent: RunningAgent) -> None:
    with agent.client() as client:
        person = _enrol(client, "Hired", slug=None)
        key_pair, employer = create_did_key()
        credential = issue_credential(
            employment_attestation_credential(
                employer=employer,
                employer_name="Keystone Carpentry Co.",
                subject_id=f"urn:uuid:{person['id']}",
                status="apprenticeship",
                start_date=date(2024, 2, 5),
                occupation_code="47-2031.00",
                hourly_wage=19.0,
            ),
            key_pair,
        )
        response = client.post("/outcomes/employment-attestations", json=credential)
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["source"] == "employer_confirmation"
        assert stored["employer"] == "Keystone Carpentry Co."
        assert stored["employerId"] == employer
        assert stored["attestation_id"] == credential["id"]

        duplicate = client.post("/outcomes/employment-attestations", json=credential)
        assert duplicate.status_code == 409

        tampered = {
            **credential,
            "credentialSubject": {**credential["credentialSubject"], "hourlyWage": 40},
        }
        rejected = client.post("/outcomes/employment-attestations", json=tampered)
        assert rejected.status_code == 422
        assert "does not verify" in rejected.json()["detail"]

        stranger_key, stranger_employer = create_did_key()
        stranger = issue_credential(
            employment_attestation_credential(
                employer=stranger_employer,
                employer_name="Elsewhere",
                subject_id="urn:uuid:not-a-participant",
                status="employed",
                start_date=date(2024, 2, 5),
            ),
            stranger_key,
        )
        unknown = client.post("/outcomes/employment-attestations", json=stranger)
        assert unknown.status_code == 404

"""The portfolio view: credentials grouped by program and pathway, with levels and occupations.

Everything here reads the Open Badges 3.0 JSON of stored credentials. The
program is the issuer, the pathway is the achievement's ``fieldOfStudy``
(or "Other achievements"), the level comes from
:func:`vcwork.badges.achievement_level`, and progress toward a stacked
achievement comes from the ``related`` ids it lists
(:func:`vcwork.badges.stacked_achievement_ids`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vcwork.badges import achievement_level, stacked_achievement_ids
from vcwork.credentials.model import types_of

from .store import StoredCredential

__all__ = [
    "LEVEL_ORDER",
    "CredentialSummary",
    "Occupation",
    "PathwayGroup",
    "ProgramGroup",
    "build_portfolio",
    "criteria_sections",
    "summarize",
]

LEVEL_ORDER = ("entry", "intermediate", "advanced")
_OCCUPATION_CODE = re.compile(r"^\d{2}-\d{4}(\.\d{2})?$")
_SECTION_HEADING = re.compile(r"^\*\*(.+?)\*\*\s*$")


@dataclass(frozen=True)
class Occupation:
    """An occupation a credential is aligned to (an O*NET-SOC code, for example)."""

    code: str
    name: str
    url: str | None
    framework: str


@dataclass(frozen=True)
class CredentialSummary:
    """The fields of one stored credential that the portfolio and detail pages show."""

    id: str
    name: str
    description: str
    issuer_id: str
    issuer_name: str
    achievement_id: str | None
    achievement_type: str | None
    level: str | None
    pathway: str
    is_endorsement: bool
    occupations: tuple[Occupation, ...]
    stacked_ids: tuple[str, ...]
    valid_from: str | None
    valid_until: str | None
    verified_at_receipt: bool


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _issuer(credential: dict[str, Any]) -> tuple[str, str]:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer_id = _text(issuer.get("id"))
        return issuer_id, _text(issuer.get("name")) or issuer_id
    return _text(issuer), _text(issuer)


def achievement_of(credential: dict[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return achievement if isinstance(achievement, dict) else {}


def _occupations(achievement: dict[str, Any]) -> tuple[Occupation, ...]:
    alignments = achievement.get("alignment")
    found = []
    for alignment in alignments if isinstance(alignments, list) else []:
        if not isinstance(alignment, dict):
            continue
        code = _text(alignment.get("targetCode"))
        framework = _text(alignment.get("targetFramework"))
        if _OCCUPATION_CODE.match(code) or "O*NET" in framework:
            found.append(
                Occupation(
                    code=code,
                    name=_text(alignment.get("targetName")) or code,
                    url=_text(alignment.get("targetUrl")) or None,
                    framework=framework,
                )
            )
    return tuple(found)


def summarize(item: StoredCredential) -> CredentialSummary:
    """Summarize a stored credential for display."""
    credential = item.credential
    achievement = achievement_of(credential)
    issuer_id, issuer_name = _issuer(credential)
    is_endorsement = "EndorsementCredential" in types_of(credential)
    name = (
        _text(achievement.get("name"))
        or _text(credential.get("name"))
        or "Unnamed credential"
    )
    pathway = _text(achievement.get("fieldOfStudy")) or (
        "Endorsements" if is_endorsement else "Other achievements"
    )
    return CredentialSummary(
        id=item.id,
        name=name,
        description=_text(achievement.get("description"))
        or _text(credential.get("description")),
        issuer_id=issuer_id,
        issuer_name=issuer_name or "Unknown issuer",
        achievement_id=_text(achievement.get("id")) or None,
        achievement_type=_text(achievement.get("achievementType")) or None,
        level=achievement_level(achievement),
        pathway=pathway,
        is_endorsement=is_endorsement,
        occupations=_occupations(achievement),
        stacked_ids=tuple(stacked_achievement_ids(achievement)),
        valid_from=_text(credential.get("validFrom")) or None,
        valid_until=_text(credential.get("validUntil")) or None,
        verified_at_receipt=bool(item.verification.get("verified")),
    )


@dataclass
class PathwayGroup:
    """The credentials of one pathway of a program, by level, with progress."""

    name: str
    levels: dict[str, list[CredentialSummary]] = field(default_factory=dict)
    other: list[CredentialSummary] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)

    @property
    def summaries(self) -> list[CredentialSummary]:
        """Every credential of the pathway, lowest level first."""
        ranked = [s for level in LEVEL_ORDER for s in self.levels.get(level, [])]
        return [*ranked, *self.other]

    @property
    def highest_level(self) -> str | None:
        held = [level for level in LEVEL_ORDER if self.levels.get(level)]
        return held[-1] if held else None

    @property
    def next_level(self) -> str | None:
        highest = self.highest_level
        if highest is None:
            return LEVEL_ORDER[0]
        index = LEVEL_ORDER.index(highest)
        return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


@dataclass
class ProgramGroup:
    """The credentials one issuer (a program) awarded, by pathway."""

    issuer_id: str
    issuer_name: str
    pathways: dict[str, PathwayGroup] = field(default_factory=dict)


@dataclass
class Portfolio:
    programs: list[ProgramGroup]
    endorsements: list[CredentialSummary]
    occupations: list[tuple[Occupation, list[str]]]
    count: int


def _progress(group: PathwayGroup, held_ids: set[str]) -> list[str]:
    """Describe progress: parts held of each stacked achievement, and the next level."""
    lines = []
    for level in LEVEL_ORDER:
        for summary in group.levels.get(level, []):
            if summary.stacked_ids:
                have = sum(1 for i in summary.stacked_ids if i in held_ids)
                lines.append(
                    f"{summary.name}: earned; it stacks {len(summary.stacked_ids)} "
                    f"achievements, {have} of them are in this wallet"
                )
    next_level = group.next_level
    entry_count = len(group.levels.get("entry", []))
    if next_level is None:
        lines.append("Highest level reached: advanced")
    elif next_level != "entry":
        # NOTE: the wallet learns a program's pathway only from the stacked
        # achievements it contains, so progress toward a level not yet earned
        # is a count of the badges below it, not a fraction.
        lines.append(
            f"Next level: {next_level}. Earned so far: {entry_count} entry-level "
            f"badge{'s' if entry_count != 1 else ''}"
            + (
                f" and {len(group.levels.get('intermediate', []))} intermediate"
                if next_level == "advanced"
                else ""
            )
        )
    return lines


def build_portfolio(items: list[StoredCredential]) -> Portfolio:
    """Group credentials by program and pathway and list the occupations they support."""
    summaries = [summarize(item) for item in items]
    programs: dict[str, ProgramGroup] = {}
    endorsements = []
    occupations: dict[str, tuple[Occupation, list[str]]] = {}
    for summary in summaries:
        if summary.is_endorsement:
            endorsements.append(summary)
            continue
        program = programs.setdefault(
            summary.issuer_id, ProgramGroup(summary.issuer_id, summary.issuer_name)
        )
        group = program.pathways.setdefault(
            summary.pathway, PathwayGroup(summary.pathway)
        )
        if summary.level is None:
            group.other.append(summary)
        else:
            group.levels.setdefault(summary.level, []).append(summary)
        for occupation in summary.occupations:
            entry = occupations.setdefault(occupation.code, (occupation, []))
            entry[1].append(summary.name)
    held_ids = {s.achievement_id for s in summaries if s.achievement_id}
    for program in programs.values():
        for group in program.pathways.values():
            group.progress = _progress(group, held_ids)
    return Portfolio(
        programs=sorted(programs.values(), key=lambda p: p.issuer_name.lower()),
        endorsements=endorsements,
        occupations=sorted(occupations.values(), key=lambda o: o[0].name),
        count=len(summaries),
    )


def criteria_sections(achievement: dict[str, Any]) -> list[tuple[str, str]]:
    """Split a criteria narrative into (heading, text) sections.

    vcwork's competency statements write headings such as ``**What the
    holder can do**`` on their own line; a narrative without headings is one
    section called "Criteria".
    """
    criteria = achievement.get("criteria")
    narrative = criteria.get("narrative") if isinstance(criteria, dict) else None
    if not isinstance(narrative, str) or not narrative.strip():
        return []
    sections: list[tuple[str, list[str]]] = []
    for line in narrative.splitlines():
        heading = _SECTION_HEADING.match(line.strip())
        if heading:
            sections.append((heading.group(1), []))
        else:
            if not sections:
                sections.append(("Criteria", []))
            sections[-1][1].append(line)
    return [(title, "\n".join(lines).strip()) for title, lines in sections]

"""The construction pre-apprenticeship program as Open Badges 3.0 achievements.

Five entry-level badges, one per competency, stack into the intermediate
"Construction Pre-Apprenticeship Certificate". Each entry-level badge carries
a competency statement written for employers, the method used to assess it,
and alignments to public frameworks: O*NET-SOC occupations and, for the
safety course, OSHA's Outreach Training Program.

Ids are built from the issuer's base URL or DID, for example
``https://training.example.org/achievements/hand-tools`` or
``did:web:training.example.org/achievements/hand-tools``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import MalformedValueError
from ._achievement import Achievement, Criteria, ResultDescription
from ._common import Alignment, Profile, Related, require_uri
from ._competency import AssessmentMethod, CompetencyStatement
from ._levels import AchievementLevel, level_alignment

__all__ = [
    "CERTIFICATE_SLUG",
    "ENTRY_SLUGS",
    "CatalogEntry",
    "ProgramCatalog",
    "construction_pre_apprenticeship_catalog",
]

PROGRAM_NAME = "Construction Pre-Apprenticeship"
FIELD_OF_STUDY = "Construction trades"
ENTRY_SLUGS = (
    "osha-10-construction",
    "hand-tools",
    "jobsite-safety",
    "construction-math",
    "blueprint-reading",
)
CERTIFICATE_SLUG = "pre-apprenticeship-certificate"

_ONET = "O*NET-SOC 2019"

CONSTRUCTION_LABORERS = Alignment(
    target_name="Construction Laborers",
    target_url="https://www.onetonline.org/link/summary/47-2061.00",
    target_description="Occupation: general labor on construction sites.",
    target_framework=_ONET,
    target_code="47-2061.00",
)

CARPENTERS = Alignment(
    target_name="Carpenters",
    target_url="https://www.onetonline.org/link/summary/47-2031.00",
    target_description="Occupation: building and repairing wooden structures.",
    target_framework=_ONET,
    target_code="47-2031.00",
)

OSHA_10_CONSTRUCTION = Alignment(
    target_name="Construction Industry 10-hour Outreach Training",
    target_url="https://www.osha.gov/training/outreach",
    target_description=(
        "Entry-level safety and health training for construction workers, "
        "taught by an OSHA-authorized trainer."
    ),
    target_framework="OSHA Outreach Training Program",
    target_code="construction-10",
)


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """One achievement of the program with the data staff need to award it."""

    slug: str
    level: AchievementLevel
    achievement: Achievement
    competency: CompetencyStatement | None = None

    @property
    def assessment_method(self) -> AssessmentMethod | None:
        """How the competency is assessed; None for a stacked certificate."""
        return None if self.competency is None else self.competency.assessment_method


@dataclass(frozen=True, kw_only=True)
class ProgramCatalog:
    """A program's achievements, entry-level parts first, in award order."""

    program_name: str
    entries: tuple[CatalogEntry, ...]

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, slug: str) -> CatalogEntry:
        """Return the entry named ``slug``; raise MalformedValueError if unknown."""
        for entry in self.entries:
            if entry.slug == slug:
                return entry
        known = ", ".join(entry.slug for entry in self.entries)
        raise MalformedValueError(
            f"no achievement {slug!r} in the {self.program_name} catalog; "
            f"known: {known}",
            property="slug",
            value=slug,
        )

    def at_level(self, level: AchievementLevel) -> list[CatalogEntry]:
        """Return the entries at ``level``, in catalog order."""
        return [entry for entry in self.entries if entry.level == level]


def construction_pre_apprenticeship_catalog(
    *, issuer_base: str, creator: Profile | None = None
) -> ProgramCatalog:
    """Build the construction pre-apprenticeship catalog for one issuer.

    ``issuer_base`` is the issuer's base URL or DID, without a trailing slash,
    query or fragment. ``creator``, when given, is recorded as the creator of
    every achievement.
    """
    base = _check_base(issuer_base)
    levels_url = f"{base}/levels"
    entries = [
        _entry_badge(base, levels_url, creator, slug, spec)
        for slug, spec in _ENTRY_BADGES.items()
    ]
    entries.append(_certificate(base, levels_url, creator, entries))
    return ProgramCatalog(program_name=PROGRAM_NAME, entries=tuple(entries))


def _check_base(issuer_base: str) -> str:
    require_uri(issuer_base, property="issuer_base")
    if issuer_base.endswith("/") or "?" in issuer_base or "#" in issuer_base:
        raise MalformedValueError(
            "issuer_base must not end with '/' or contain a query or fragment, "
            f"got {issuer_base!r}; pass e.g. https://training.example.org",
            property="issuer_base",
            value=issuer_base,
        )
    return issuer_base


@dataclass(frozen=True, kw_only=True)
class _EntryBadge:
    name: str
    description: str
    achievement_type: str
    human_code: str
    competency: CompetencyStatement
    alignment: tuple[Alignment, ...]
    tag: tuple[str, ...]
    exam_pass_percent: str | None = None


def _entry_badge(
    base: str,
    levels_url: str,
    creator: Profile | None,
    slug: str,
    spec: _EntryBadge,
) -> CatalogEntry:
    achievement_id = f"{base}/achievements/{slug}"
    results: list[ResultDescription] = []
    if spec.exam_pass_percent is not None:
        results.append(
            ResultDescription(
                id=f"{achievement_id}/results/exam-score",
                name="Exam score",
                result_type="Percent",
                value_min="0",
                value_max="100",
                required_value=spec.exam_pass_percent,
            )
        )
    level = AchievementLevel.ENTRY
    achievement = Achievement(
        id=achievement_id,
        name=spec.name,
        description=spec.description,
        criteria=Criteria.from_competency(spec.competency),
        achievement_type=spec.achievement_type,
        alignment=(*spec.alignment, level_alignment(level, levels_url=levels_url)),
        result_description=results,
        tag=(*spec.tag, level.label),
        field_of_study=FIELD_OF_STUDY,
        human_code=spec.human_code,
        creator=creator,
    )
    return CatalogEntry(
        slug=slug, level=level, achievement=achievement, competency=spec.competency
    )


def _certificate(
    base: str,
    levels_url: str,
    creator: Profile | None,
    parts: list[CatalogEntry],
) -> CatalogEntry:
    level = AchievementLevel.INTERMEDIATE
    part_lines = "\n".join(f"- {entry.achievement.name}" for entry in parts)
    narrative = (
        "**What the holder has shown**\n\n"
        "The holder earned every badge of the Construction Pre-Apprenticeship "
        "program, each for a competency assessed on its own:\n\n"
        f"{part_lines}\n\n"
        "**What this means for an employer**\n\n"
        "The holder is ready to start a registered apprenticeship or an "
        "entry-level job on a construction site: they work safely, use basic "
        "hand tools, do the math of the trade and read simple drawings."
    )
    achievement = Achievement(
        id=f"{base}/achievements/{CERTIFICATE_SLUG}",
        name="Construction Pre-Apprenticeship Certificate",
        description=(
            "Completion of the construction pre-apprenticeship program: five "
            "entry-level competencies in safety, tools, math and drawings."
        ),
        criteria=Criteria(narrative=narrative),
        achievement_type="Certificate",
        alignment=(
            CONSTRUCTION_LABORERS,
            CARPENTERS,
            level_alignment(level, levels_url=levels_url),
        ),
        tag=("construction", "pre-apprenticeship", level.label),
        field_of_study=FIELD_OF_STUDY,
        human_code="CPA-CERT",
        creator=creator,
        related=[Related(id=entry.achievement.id) for entry in parts],
    )
    return CatalogEntry(slug=CERTIFICATE_SLUG, level=level, achievement=achievement)


_ENTRY_BADGES = {
    "osha-10-construction": _EntryBadge(
        name="OSHA 10-Hour Construction Safety",
        description=(
            "Completed the 10-hour OSHA Outreach course for the construction "
            "industry and passed its knowledge check."
        ),
        achievement_type="CertificateOfCompletion",
        human_code="CPA-101",
        competency=CompetencyStatement(
            can_do=[
                (
                    "Name the four leading causes of death on construction sites "
                    "(falls, struck-by, caught-in or between, electrocution) and how "
                    "each is prevented."
                ),
                (
                    "Explain a worker's rights under OSHA, including the right to "
                    "report a hazard without retaliation."
                ),
                "Pick the personal protective equipment a task calls for.",
            ],
            assessment_method=AssessmentMethod.EXAM,
            assessment_details=(
                "attended all 10 hours of the course and passed the trainer's "
                "end-of-course knowledge check."
            ),
            context=(
                "Classroom course taught by an OSHA-authorized outreach trainer. "
                "The official course completion card comes from the trainer; "
                "this badge records that the holder completed the course within "
                "the program."
            ),
        ),
        alignment=(OSHA_10_CONSTRUCTION, CONSTRUCTION_LABORERS),
        tag=("safety", "OSHA 10", "construction"),
    ),
    "hand-tools": _EntryBadge(
        name="Hand Tool Proficiency",
        description=(
            "Selects, inspects and safely uses the basic hand tools of the "
            "construction trades."
        ),
        achievement_type="Competency",
        human_code="CPA-102",
        competency=CompetencyStatement(
            can_do=[
                (
                    "Choose the right hand tool for measuring, marking, cutting, "
                    "fastening and demolition tasks."
                ),
                (
                    "Use a tape measure, speed square, framing hammer, hand saw, "
                    "utility knife, level and pry bar safely and accurately."
                ),
                "Inspect tools before use and take a damaged tool out of service.",
                "Clean, maintain and store tools at the end of a shift.",
            ],
            assessment_method=AssessmentMethod.OBSERVED_DEMONSTRATION,
            assessment_details=(
                "an instructor watched the holder complete a set of measuring, "
                "cutting and fastening tasks and scored each on a checklist; every "
                "safety item had to be met."
            ),
            context="Training shop of the program, working with standard lumber.",
        ),
        alignment=(CARPENTERS, CONSTRUCTION_LABORERS),
        tag=("hand tools", "carpentry", "construction"),
    ),
    "jobsite-safety": _EntryBadge(
        name="Jobsite Safety Awareness",
        description=(
            "Recognizes common construction hazards and follows basic jobsite "
            "safety rules."
        ),
        achievement_type="Competency",
        human_code="CPA-103",
        competency=CompetencyStatement(
            can_do=[
                (
                    "Spot fall, struck-by, caught-in and electrical hazards during a "
                    "walk-through of a work area."
                ),
                (
                    "Put on, adjust and check hard hat, eye and hearing protection, "
                    "high-visibility vest, gloves and safety boots."
                ),
                "Keep a work area clear of trip hazards and store materials safely.",
                "Know when to stop work and whom to tell about a hazard.",
            ],
            assessment_method=AssessmentMethod.SKILLS_ASSESSMENT,
            assessment_details=(
                "a hazard-recognition walk-through of a staged work area, scored "
                "against a list of planted hazards, and a personal protective "
                "equipment check."
            ),
            context="Mock jobsite set up at the program's training center.",
        ),
        alignment=(CONSTRUCTION_LABORERS,),
        tag=("safety", "hazard recognition", "construction"),
    ),
    "construction-math": _EntryBadge(
        name="Math for Construction",
        description=(
            "Does the measurement and quantity math used every day on a "
            "construction site."
        ),
        achievement_type="Competency",
        human_code="CPA-104",
        competency=CompetencyStatement(
            can_do=[
                (
                    "Add, subtract, multiply and divide fractions and decimals, "
                    "including measurements to 1/16 inch."
                ),
                (
                    "Convert between inches, feet and yards, and between square and "
                    "cubic units."
                ),
                (
                    "Work out area, perimeter and volume, such as the cubic yards of "
                    "concrete for a slab."
                ),
                "Check a corner for square with the 3-4-5 method.",
                "Estimate material quantities with an allowance for waste.",
            ],
            assessment_method=AssessmentMethod.EXAM,
            assessment_details=(
                "a written exam of applied jobsite problems; a calculator is "
                "allowed and the pass mark is 80 percent."
            ),
            context="Classroom, after the program's construction math unit.",
        ),
        alignment=(CARPENTERS, CONSTRUCTION_LABORERS),
        tag=("math", "measurement", "construction"),
        exam_pass_percent="80",
    ),
    "blueprint-reading": _EntryBadge(
        name="Blueprint Reading Basics",
        description=("Reads basic construction drawings and lays out work from them."),
        achievement_type="Competency",
        human_code="CPA-105",
        competency=CompetencyStatement(
            can_do=[
                (
                    "Tell site, floor, elevation, section and detail drawings apart "
                    "and read the title block, scale and legend."
                ),
                "Recognize common symbols and abbreviations on residential plans.",
                "Take dimensions from a floor plan using the drawing scale.",
                (
                    "Lay out a wall on the floor from a plan, with door and window "
                    "openings in the right place."
                ),
            ],
            assessment_method=AssessmentMethod.PROJECT_COMPLETION,
            assessment_details=(
                "the holder laid out and framed a small wall section from a "
                "drawing set; an instructor checked dimensions and openings "
                "against the drawings."
            ),
            context="Training shop of the program, working from a residential plan set.",
        ),
        alignment=(CARPENTERS,),
        tag=("blueprints", "layout", "construction"),
    ),
}

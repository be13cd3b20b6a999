"""Open Badges 3.0 micro-credentials: builders, levels, pathways and validation.

Build an :class:`Achievement` per competency (its criteria narrative rendered
from a :class:`CompetencyStatement`), wrap it with :func:`open_badge_credential`,
and check any received badge with :func:`validate_open_badge_credential`.
The documents are unsigned; ``vcwork.proofs`` adds the proof.
"""

from __future__ import annotations

from ._achievement import Achievement, Criteria, ResultDescription, RubricCriterionLevel
from ._common import Alignment, Image, Profile, Related
from ._competency import AssessmentMethod, CompetencyStatement
from ._credentials import (
    OB_CONTEXT,
    VC_CONTEXT,
    AchievementSubject,
    EndorsementSubject,
    Evidence,
    Result,
    endorsement_credential,
    open_badge_credential,
)
from ._levels import (
    LEVEL_FRAMEWORK,
    LEVEL_TARGET_TYPE,
    AchievementLevel,
    achievement_level,
    level_alignment,
    stacked_achievement_ids,
)
from ._validation import (
    OB_SCHEMA_ID,
    validate_endorsement_credential,
    validate_open_badge_credential,
)

__all__ = [
    "LEVEL_FRAMEWORK",
    "LEVEL_TARGET_TYPE",
    "OB_CONTEXT",
    "OB_SCHEMA_ID",
    "VC_CONTEXT",
    "Achievement",
    "AchievementLevel",
    "AchievementSubject",
    "Alignment",
    "AssessmentMethod",
    "CompetencyStatement",
    "Criteria",
    "EndorsementSubject",
    "Evidence",
    "Image",
    "Profile",
    "Related",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "achievement_level",
    "endorsement_credential",
    "level_alignment",
    "open_badge_credential",
    "stacked_achievement_ids",
    "validate_endorsement_credential",
    "validate_open_badge_credential",
]

"""Achievement levels and stacking (pathways) in standard Open Badges 3.0 terms.

Open Badges 3.0 has no ``level`` property on ``Achievement``. vcwork records
the level as one ``Alignment`` entry, because an alignment is the spec's way
to place an achievement on an external framework, and a level scale is such a
framework. The alternatives fit worse. ``tag`` is free text that software
cannot rely on, and ``achievementType`` names the kind of achievement
(``Competency``, ``Certificate``), not its rank. ``resultDescription`` levels
describe how well one holder performed, not where the achievement sits in a
pathway. The alignment uses these fields:

* ``targetType``: ``ext:AchievementLevel``, an extension value in the form
  the spec prescribes for its extensible AlignmentTargetType vocabulary;
* ``targetCode``: ``entry``, ``intermediate`` or ``advanced``, the value read back;
* ``targetName``: "Entry level" (and so on), shown by wallets that list alignments;
* ``targetFramework``: "vcwork achievement levels";
* ``targetUrl``: the issuer's page that defines its levels, with the code as
  the fragment.

Stacking uses ``related``: an intermediate or advanced achievement lists the
ids of the achievements it is built from, one ``Related`` entry each.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from ..errors import MalformedValueError
from ._common import Alignment, require_uri

__all__ = [
    "LEVEL_FRAMEWORK",
    "LEVEL_TARGET_TYPE",
    "AchievementLevel",
    "achievement_level",
    "level_alignment",
    "parse_level",
    "stacked_achievement_ids",
]

LEVEL_TARGET_TYPE = "ext:AchievementLevel"
LEVEL_FRAMEWORK = "vcwork achievement levels"


class AchievementLevel(StrEnum):
    """A rung of a program's pathway; the value is the alignment's ``targetCode``."""

    ENTRY = "entry"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @property
    def label(self) -> str:
        """The level as shown to people, such as "Entry level"."""
        return f"{self.value.capitalize()} level"


def level_alignment(level: AchievementLevel | str, *, levels_url: str) -> Alignment:
    """Build the ``Alignment`` that records ``level`` on an achievement.

    ``levels_url`` is where the issuer publishes what its levels mean; the
    alignment's ``targetUrl`` is that URL with the level code as fragment.
    """
    level = parse_level(level)
    require_uri(levels_url, property="levels_url")
    base = levels_url.split("#", 1)[0]
    return Alignment(
        target_name=level.label,
        target_url=f"{base}#{level.value}",
        target_description=_DESCRIPTIONS[level],
        target_framework=LEVEL_FRAMEWORK,
        target_code=level.value,
        target_type=LEVEL_TARGET_TYPE,
    )


def parse_level(value: AchievementLevel | str) -> AchievementLevel:
    """Return ``value`` as an AchievementLevel, or raise MalformedValueError."""
    try:
        return AchievementLevel(value)
    except ValueError:
        allowed = ", ".join(repr(level.value) for level in AchievementLevel)
        raise MalformedValueError(
            f"achievement level {value!r} is not supported; expected one of {allowed}",
            property="level",
            value=value,
        ) from None


_DESCRIPTIONS = {
    AchievementLevel.ENTRY: "A single foundational competency.",
    AchievementLevel.INTERMEDIATE: "A set of related competencies earned together.",
    AchievementLevel.ADVANCED: "Independent performance across a trade's tasks.",
}


_LEVEL_CODES = frozenset(level.value for level in AchievementLevel)


def achievement_level(achievement: Mapping[str, Any]) -> str | None:
    """Return the level (``entry``, ``intermediate``, ``advanced``) of an Achievement.

    ``achievement`` is the Achievement's JSON, for example
    ``credential["credentialSubject"]["achievement"]``. Returns None when no
    alignment carries a level, or when its code is not entry, intermediate
    or advanced.
    """
    alignments = (
        achievement.get("alignment") if isinstance(achievement, Mapping) else None
    )
    if not isinstance(alignments, list):
        return None
    for alignment in alignments:
        if not isinstance(alignment, Mapping):
            continue
        if alignment.get("targetType") != LEVEL_TARGET_TYPE:
            continue
        code = alignment.get("targetCode")
        if code in _LEVEL_CODES:
            return str(code)
    return None


def stacked_achievement_ids(achievement: Mapping[str, Any]) -> list[str]:
    """Return the ids of the achievements an Achievement's ``related`` entries name.

    For a vcwork pathway achievement these are the parts it stacks.
    """
    related = achievement.get("related") if isinstance(achievement, Mapping) else None
    if not isinstance(related, list):
        return []
    ids = []
    for entry in related:
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            ids.append(entry["id"])
    return ids

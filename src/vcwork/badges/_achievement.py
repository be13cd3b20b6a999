"""The Open Badges 3.0 ``Achievement`` and the objects it contains.

An Achievement is what a badge is awarded for; Open Badges 2.0 called it a
BadgeClass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import MalformedValueError
from ._common import (
    ACHIEVEMENT_TYPES,
    RESULT_TYPES,
    Alignment,
    Image,
    Profile,
    Related,
    as_tuple,
    check_vocabulary,
    put,
    require_text,
    require_uri,
)
from ._competency import CompetencyStatement

__all__ = [
    "Achievement",
    "Criteria",
    "ResultDescription",
    "RubricCriterionLevel",
]


@dataclass(frozen=True, kw_only=True)
class Criteria:
    """The requirements a holder meets to earn the achievement.

    ``narrative`` is Markdown, and ``id`` is the URL of a page that describes the
    criteria. At least one of them must be given, so a verifier always has
    something to show.
    """

    narrative: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if self.narrative is None and self.id is None:
            raise MalformedValueError(
                "criteria needs a narrative or an id (the URL of a criteria page)",
                property="criteria",
            )
        if self.narrative is not None:
            require_text(self.narrative, property="criteria.narrative")
        if self.id is not None:
            require_uri(self.id, property="criteria.id")

    @classmethod
    def from_competency(
        cls, statement: CompetencyStatement, *, id: str | None = None
    ) -> Criteria:
        """Build criteria whose narrative is the competency statement's Markdown."""
        return cls(narrative=statement.to_markdown(), id=id)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        put(data, "id", self.id)
        put(data, "narrative", self.narrative)
        return data


@dataclass(frozen=True, kw_only=True)
class RubricCriterionLevel:
    """One level of a rubric criterion, such as "Meets standard"."""

    id: str
    name: str
    description: str | None = None
    level: str | None = None
    points: str | None = None
    alignment: Sequence[Alignment] = ()

    def __post_init__(self) -> None:
        require_uri(self.id, property="rubricCriterionLevel.id")
        require_text(self.name, property="rubricCriterionLevel.name")
        object.__setattr__(self, "alignment", as_tuple(self.alignment))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": ["RubricCriterionLevel"],
            "name": self.name,
        }
        put(data, "description", self.description)
        put(data, "level", self.level)
        put(data, "points", self.points)
        put(data, "alignment", [a.to_json() for a in self.alignment])
        return data


@dataclass(frozen=True, kw_only=True)
class ResultDescription:
    """A possible result of an achievement, such as an exam score or a rubric.

    ``result_type`` is from the spec's ResultType vocabulary (``Percent``,
    ``RubricCriterionLevel``, ``Status`` ...) or an ``ext:`` value.
    """

    id: str
    name: str
    result_type: str
    allowed_value: Sequence[str] = ()
    required_level: str | None = None
    required_value: str | None = None
    rubric_criterion_level: Sequence[RubricCriterionLevel] = ()
    value_min: str | None = None
    value_max: str | None = None
    alignment: Sequence[Alignment] = ()

    def __post_init__(self) -> None:
        require_uri(self.id, property="resultDescription.id")
        require_text(self.name, property="resultDescription.name")
        check_vocabulary(
            self.result_type, RESULT_TYPES, property="resultDescription.resultType"
        )
        object.__setattr__(self, "allowed_value", as_tuple(self.allowed_value))
        levels = as_tuple(self.rubric_criterion_level)
        object.__setattr__(self, "rubric_criterion_level", levels)
        object.__setattr__(self, "alignment", as_tuple(self.alignment))
        level_ids = {level.id for level in levels}
        if self.required_level is not None and self.required_level not in level_ids:
            raise MalformedValueError(
                f"resultDescription.requiredLevel {self.required_level!r} is not "
                "the id of one of its rubricCriterionLevel entries",
                property="resultDescription.requiredLevel",
                value=self.required_level,
            )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": ["ResultDescription"],
            "name": self.name,
            "resultType": self.result_type,
        }
        put(data, "allowedValue", list(self.allowed_value))
        put(data, "requiredLevel", self.required_level)
        put(data, "requiredValue", self.required_value)
        put(
            data,
            "rubricCriterionLevel",
            [level.to_json() for level in self.rubric_criterion_level],
        )
        put(data, "valueMin", self.value_min)
        put(data, "valueMax", self.value_max)
        put(data, "alignment", [a.to_json() for a in self.alignment])
        return data


@dataclass(frozen=True, kw_only=True)
class Achievement:
    """An Open Badges 3.0 ``Achievement``: what the badge is awarded for.

    ``achievement_type`` is from the spec's AchievementType vocabulary
    (``Competency``, ``Certificate``, ``CertificateOfCompletion`` ...) or an
    ``ext:`` value. Record the level with ``level_alignment()`` in
    ``alignment``, and the parts of a stacked achievement in ``related``.
    """

    id: str
    name: str
    description: str
    criteria: Criteria
    achievement_type: str | None = None
    alignment: Sequence[Alignment] = ()
    result_description: Sequence[ResultDescription] = ()
    tag: Sequence[str] = ()
    field_of_study: str | None = None
    human_code: str | None = None
    creator: Profile | None = None
    related: Sequence[Related] = ()
    image: Image | None = None

    def __post_init__(self) -> None:
        require_uri(self.id, property="achievement.id")
        require_text(self.name, property="achievement.name")
        require_text(self.description, property="achievement.description")
        if not isinstance(self.criteria, Criteria):
            raise MalformedValueError(
                f"achievement.criteria must be a Criteria, got {self.criteria!r}",
                property="achievement.criteria",
            )
        if self.achievement_type is not None:
            check_vocabulary(
                self.achievement_type,
                ACHIEVEMENT_TYPES,
                property="achievement.achievementType",
            )
        for name in ("alignment", "result_description", "tag", "related"):
            object.__setattr__(self, name, as_tuple(getattr(self, name)))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": ["Achievement"],
            "name": self.name,
            "description": self.description,
            "criteria": self.criteria.to_json(),
        }
        put(data, "achievementType", self.achievement_type)
        put(data, "alignment", [a.to_json() for a in self.alignment])
        put(
            data,
            "resultDescription",
            [description.to_json() for description in self.result_description],
        )
        put(data, "tag", list(self.tag))
        put(data, "fieldOfStudy", self.field_of_study)
        put(data, "humanCode", self.human_code)
        if self.creator is not None:
            data["creator"] = self.creator.to_json()
        put(data, "related", [entry.to_json() for entry in self.related])
        if self.image is not None:
            data["image"] = self.image.to_json()
        return data

"""Competency statements: what a holder can do, how it was assessed, in what context.

A workforce program issues one badge per demonstrated competency. The
statement is rendered into the achievement's ``criteria.narrative`` as
Markdown, which Open Badges 3.0 allows there, so every wallet and verifier
that shows the criteria shows the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..errors import MalformedValueError
from ._common import as_tuple, require_text

__all__ = ["AssessmentMethod", "CompetencyStatement"]


class AssessmentMethod(StrEnum):
    """The method a program used to check that the holder has the competency."""

    SKILLS_ASSESSMENT = "skills assessment"
    PROJECT_COMPLETION = "project completion"
    OBSERVED_DEMONSTRATION = "observed demonstration"
    EXAM = "exam"

    @property
    def label(self) -> str:
        """The method as a sentence-case label, such as "Observed demonstration"."""
        return self.value[0].upper() + self.value[1:]


@dataclass(frozen=True, kw_only=True)
class CompetencyStatement:
    """A competency in plain language an employer understands.

    ``can_do`` lists what the holder can do, one action per item (a single
    string is accepted as a one-item list).
    ``assessment_details`` describes what the assessment consisted of and what
    counted as a pass. ``context`` names where and under what conditions.
    """

    can_do: Sequence[str]
    assessment_method: AssessmentMethod
    context: str
    assessment_details: str | None = None

    def __post_init__(self) -> None:
        items = (self.can_do,) if isinstance(self.can_do, str) else self.can_do
        items = as_tuple(items)
        if not items:
            raise MalformedValueError(
                "can_do must list at least one thing the holder can do",
                property="can_do",
            )
        for index, item in enumerate(items):
            require_text(item, property=f"can_do[{index}]")
        object.__setattr__(self, "can_do", items)
        method = _parse_method(self.assessment_method)
        object.__setattr__(self, "assessment_method", method)
        require_text(self.context, property="context")
        if self.assessment_details is not None:
            require_text(self.assessment_details, property="assessment_details")

    def to_markdown(self) -> str:
        """Render the statement as the Markdown used for ``criteria.narrative``."""
        lines = ["**What the holder can do**", ""]
        lines.extend(f"- {item.strip()}" for item in self.can_do)
        how = self.assessment_method.label
        if self.assessment_details:
            how = f"{how}: {self.assessment_details.strip()}"
        lines += ["", "**How competency was assessed**", "", how]
        lines += ["", "**Context**", "", self.context.strip()]
        return "\n".join(lines)


def _parse_method(value: AssessmentMethod | str) -> AssessmentMethod:
    try:
        return AssessmentMethod(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in AssessmentMethod)
        raise MalformedValueError(
            f"assessment_method {value!r} is not supported; expected one of {allowed}",
            property="assessment_method",
            value=value,
        ) from None

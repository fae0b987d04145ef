"""The one error the engine raises for a file it cannot analyse."""

from __future__ import annotations


class AnalysisError(Exception):
    """A file the engine cannot analyse, with a reason written for the student.

    `code` is a stable machine-readable slug (for logs, tests and the JSON error);
    `reason` is a sentence a student understands and can act on.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "reason": self.reason}

"""Problems found while reading a run: what is wrong, in which file, at which place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    """One finding about a file of the run, phrased for the person reading CI output.

    ``source`` says which kind of data the file feeds ("tensorboard", "log", "json",
    "layout"), so that a rule can tell whether a damaged file could have held its data.
    """

    file: str
    place: str
    message: str
    severity: Severity = "error"
    source: str = "layout"

    def __str__(self) -> str:
        where = f"{self.file}:{self.place}" if self.place else self.file
        return f"{where}: {self.message}"

"""JSON files of a run (test_report.json, run_metadata.json, checkpoint sidecars).

The trainer writes bare ``NaN`` / ``Infinity`` (Python's ``json.dump`` default); the
standard library parser accepts them as non-finite floats, which is what they mean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..problems import Problem

MAX_JSON_BYTES = 64 * 1024 * 1024


@dataclass
class JsonFile:
    path: str
    data: Any = None
    problem: Problem | None = None


def read_json(path: Path, display: str) -> JsonFile:
    result = JsonFile(display)
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            result.problem = _problem(display, "", f"is larger than {MAX_JSON_BYTES} bytes")
            return result
        raw = path.read_bytes()
    except OSError as exc:
        result.problem = _problem(display, "", f"cannot be read: {exc.strerror or exc}")
        return result
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        result.problem = _problem(display, f"byte {exc.start}", "is not UTF-8 text")
        return result
    try:
        result.data = json.loads(text)
    except json.JSONDecodeError as exc:
        result.problem = _problem(display, f"{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}")
    except RecursionError:
        result.problem = _problem(display, "", "invalid JSON: nested too deeply")
    return result


def _problem(file: str, place: str, message: str) -> Problem:
    return Problem(file, place, message, severity="error", source="json")

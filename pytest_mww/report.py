"""The terminal summary: one compact table per run (criterion, observed, threshold, verdict).

Built from the test reports' user properties, so it also works when pytest-xdist runs the
items on workers: only the reports travel back to the controller.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICT_MARKUP = {"passed": {"green": True}, "failed": {"red": True, "bold": True},
                  "skipped": {"yellow": True}, "warned": {"yellow": True, "bold": True}}


@dataclass
class Row:
    run: str
    criterion: str
    observed: str
    threshold: str
    verdict: str
    rests_on: str


def row_from_properties(properties: dict[str, str], outcome: str) -> Row | None:
    if "mww_run" not in properties:
        return None
    rests_on = ""
    if "hours" in properties:
        try:
            hours = f"{float(properties['hours']):.4g}"
        except ValueError:
            hours = properties["hours"]
        rests_on = f"{properties.get('events', '?')} events / {hours} h"
    if properties.get("verdict") == "warned" and outcome == "passed":
        outcome = "warned"
    return Row(properties["mww_run"], properties.get("mww_criterion", "?"),
               properties.get("display", properties.get("observed", "—")),
               properties.get("threshold", ""), outcome, rests_on)


def table_lines(rows: list[Row]) -> list[tuple[str, str]]:
    """Lines of one run's table, each with the verdict that colours it ('' for the header)."""
    header = ("criterion", "observed", "threshold", "verdict", "rests on")
    cells = [header] + [(r.criterion, r.observed, r.threshold, r.verdict.upper(), r.rests_on)
                        for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = []
    for index, cell in enumerate(cells):
        text = "  ".join(v.ljust(w) for v, w in zip(cell, widths, strict=False)).rstrip()
        lines.append((text, "" if index == 0 else rows[index - 1].verdict))
    return lines

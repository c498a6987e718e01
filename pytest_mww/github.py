"""GitHub Actions output: workflow-command annotations and the job summary (Markdown).

Plain Python (no pytest): both are built from report rows, so they work the same when
pytest-xdist ran the items on workers.
"""

from __future__ import annotations

from dataclasses import dataclass

SUMMARY_LIMIT = 1024 * 1024  # GitHub refuses a step summary over 1 MiB
SUMMARY_BUDGET = SUMMARY_LIMIT - 16 * 1024  # room for the closing note
MAX_ANNOTATIONS = 10
FAH_BANDS = ((0.5, "🟢 green"), (2.0, "🟡 yellow"), (float("inf"), "🔴 red"))


@dataclass
class Result:
    """One judged item as the reports carry it."""

    run: str
    name: str
    outcome: str  # passed | failed | skipped | warned
    observed: str
    threshold: str
    message: str
    metric: str = ""
    value: float | None = None
    file: str = ""
    line: int | None = None


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF are escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(results: list[Result]) -> list[str]:
    """``::error`` lines for failures (``::warning`` for warned), at most ten, then a notice."""
    flagged = [r for r in results if r.outcome in ("failed", "warned")]
    lines = []
    for r in flagged[:MAX_ANNOTATIONS]:
        kind = "error" if r.outcome == "failed" else "warning"
        props = [f"title={escape_property(f'mww {r.run}::{r.name}')}"]
        if r.file:
            props.insert(0, f"file={escape_property(r.file)}")
            if r.line:
                props.insert(1, f"line={r.line}")
        lines.append(f"::{kind} {','.join(props)}::{escape_data(r.message)}")
    rest = len(flagged) - MAX_ANNOTATIONS
    if rest > 0:
        lines.append(f"::notice title=mww::{rest} more gate finding(s) not annotated; see the "
                     "job summary or the JUnit report")
    return lines


def fah_band(value: float | None) -> str:
    """The guide's colours: < 0.5 green, 0.5–2.0 yellow, > 2.0 red."""
    if value is None or value != value:
        return ""
    return next(label for limit, label in FAH_BANDS if value < limit or (
        limit == 2.0 and value == 2.0))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_ICON = {"passed": "✅ pass", "failed": "❌ fail", "skipped": "⏭️ skip", "warned": "⚠️ warn"}


def summary_markdown(results: list[Result], notes: dict[str, list[str]] | None = None,
                     plots: dict[str, str] | None = None, budget: int = SUMMARY_BUDGET) -> str:
    """The job summary: a table per run, FA/h colour bands, failures' first lines."""
    notes, plots = notes or {}, plots or {}
    runs = list(dict.fromkeys(r.run for r in results))
    failed = sum(r.outcome == "failed" for r in results)
    head = [f"# microWakeWord gate: {len(runs)} run(s), {len(results)} checks, {failed} failed",
            ""]
    parts = ["\n".join(head)]
    size = len(parts[0].encode())
    cut_runs, cut_rows = 0, 0
    for index, run in enumerate(runs):
        section, dropped = _run_section(run, [r for r in results if r.run == run],
                                        notes.get(run, []), plots.get(run), budget - size)
        if section is None:
            cut_runs = len(runs) - index
            break
        parts.append(section)
        size += len(section.encode())
        cut_rows += dropped
    if cut_runs or cut_rows:
        parts.append(f"\n> Cut to stay under GitHub's 1 MiB summary limit: {cut_runs} run(s) "
                     f"and {cut_rows} passing row(s) not shown. The JUnit report has them "
                     "all.\n")
    return "".join(parts)


def _run_section(run: str, rows: list[Result], notes: list[str], plot: str | None,
                 room: int) -> tuple[str | None, int]:
    failed = [r for r in rows if r.outcome == "failed"]
    verdict = "❌ failed" if failed else "✅ passed"
    lines = [f"## {run}: {verdict}", "", "| criterion | observed | threshold / baseline | "
             "verdict |", "|---|---|---|---|"]
    table = []
    for r in rows:
        observed = r.observed
        band = fah_band(r.value) if r.metric.startswith("ambient_fa_per_hour") else ""
        if band:
            observed = f"{observed} {band}"
        table.append(f"| {_cell(r.name)} | {_cell(observed)} | {_cell(r.threshold)} | "
                     f"{_ICON.get(r.outcome, r.outcome)} |")
    tail = [""]
    if failed:
        tail += ["**Failures**", ""] + [f"- `{_cell(r.name)}`: {_cell(r.message)}"
                                       for r in failed] + [""]
    if plot:
        tail += [f"Curves: `{plot}` (in the uploaded artifacts)", ""]
    if notes:
        tail += ["<details><summary>notes about this run</summary>", ""]
        tail += [f"- {_cell(n)}" for n in notes[:20]] + ["", "</details>", ""]
    fixed = "\n".join(lines + tail) + "\n"
    if len(fixed.encode()) > room:
        return None, 0
    # Keep every failing row; drop passing rows from the end if the table does not fit.
    dropped = 0
    while table and len(("\n".join(lines + table + tail) + "\n").encode()) > room:
        victim = next((i for i in range(len(table) - 1, -1, -1)
                       if rows[i].outcome != "failed"), None)
        if victim is None:
            return None, 0
        del table[victim]
        del rows[victim]
        dropped += 1
    return "\n".join(lines + table + tail) + "\n", dropped

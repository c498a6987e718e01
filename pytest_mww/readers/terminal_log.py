"""``logs/terminal_*.log`` → typed records with line numbers.

Accepts both the guide's documented forms (box tables, ``Phase 1 • 500/30000 • … loss=…``
progress lines, ``💾 Checkpoint:``) and what microwakeword_trainer v2.0.0 really writes
(ASCII tables with wrapped titles, glued lines, panels; run-format.md §2). Tables printed
after ``🏁 Training Complete`` are test data and are never mixed with validation data.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from ..problems import Problem
from ..series import NO_STEP
from . import log_tables

MAX_LOG_BYTES = 512 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024  # no line the trainer prints comes near this

# Numbers as printed; strict, so every capture converts ("1.2.3" or "," is no number).
_DIGITS = r"(?:\d+\.?\d*|\.\d+)"
DECIMAL = rf"{_DIGITS}(?![\d.])"
REAL = rf"(?:[-+]?{_DIGITS}(?:[eE][-+]?\d+)?(?![\d.eE])|nan|inf)"
_COUNT = r"\d[\d,]*"

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_RICH_MARKUP = re.compile(r"\[/?[a-z ]*\]")
_BAR = "|│┃"
_ROW2 = re.compile(rf"^\s*[{_BAR}]\s*(.+?)\s*[{_BAR}]\s*(.+?)\s*[{_BAR}]")
_ROW3 = re.compile(rf"^\s*[{_BAR}]\s*(.*?)\s*[{_BAR}]\s*(.+?)\s*[{_BAR}]\s*(.+?)\s*[{_BAR}]")
_BORDER = re.compile(r"[\s|│┃+┌┐└┘├┤┬┴┼┏┓┗┛┡┩╇┳┻╭╮╰╯]*[-=─━][\s\-=─━|│┃+┌┐└┘├┤┬┴┼┏┓┗┛┡┩╇┳┻╭╮╰╯]*")
_ROW_START = re.compile(rf"^\s*[{_BAR}]")

_STARTED = re.compile(r"Training Log Started:\s*(\S+)")
_ENDED = re.compile(r"Training Log Ended:\s*(\S+)")
_VAL_TITLE = re.compile(r"Validation Results\s*[—–-]+\s*Step\s*(?:(\d+)\s*/\s*(\d+))?\s*$")
_STEP_OF = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_CONFUSION_TITLE = re.compile(rf"Confusion Matrix\s*\(threshold=({DECIMAL})\)")
# (The gap before loss= is bounded: unbounded, a hostile line of "Phase 1 • 1/2 • " repeats
# made the search quadratic. Real progress lines put loss= within a few dozen characters.)
_PROGRESS = re.compile(
    r"Phase\s+(\d+)\s*•\s*(\d+)\s*/\s*(\d+)\s*•.{0,300}?loss=(\S+)(?:\s+acc=(\S+))?"
    r"(?:\s+lr=(\S+))?"
)
_BEST = re.compile(r"✅\s*BEST MODEL\b\s*(.*)")
_ARROW_PATH = re.compile(r"^\s*→\s*(\S.*?)\s*$")
_CHECKPOINT = re.compile(r"💾\s*Checkpoint:\s*(.*?)\s*$")
_FAH_FULL = re.compile(rf"FAH calculation enabled with ({DECIMAL}) hours of ambient audio")
_FAH_SCALED = re.compile(
    rf"Validation FAH uses scaled duration:\s*({DECIMAL})h\s*"
    rf"\(full=({DECIMAL})h\s*×\s*val_split=({DECIMAL})\)"
)
_TOTAL_STEPS = re.compile(rf"Total Steps\s+({_COUNT})")
_PHASE = re.compile(rf"Phase (\d+)\s+({_COUNT}) steps @ LR ({REAL})")
_PANEL_ROW = re.compile(
    rf"[{_BAR}]\s*(Total Time|Best FA/Hour|Best Recall|Best Weights)\s*[{_BAR}]\s*(.*?)\s*[{_BAR}]"
)
_STEP_IN_PATH = re.compile(r"step_(\d+)")
_TROUBLE = re.compile(
    r"(❌\s*Error:.*|Traceback \(most recent call last\)|\bWARNING\b.*|⚠️\s*Warning:.*)")

# The official microWakeWord trainer logs through absl (run-format.md §7).
_ABSL_TRAIN = re.compile(
    rf"Step #(\d+): rate ({REAL}), accuracy ({DECIMAL})%, recall ({DECIMAL})%, "
    rf"precision ({DECIMAL})%, cross entropy ({REAL})")
_ABSL_VALIDATION = re.compile(
    rf"Step (\d+) \(nonstreaming\): Validation: recall at no faph = ({DECIMAL}) with cutoff "
    rf"{DECIMAL}, accuracy = ({DECIMAL})%, recall = ({DECIMAL})%, precision = ({DECIMAL})%, "
    rf"ambient false positives = (\d+), estimated false positives per hour = ({REAL})"
    rf"(?:, loss = ({REAL}))?(?:, auc = ({REAL}))?(?:, average viable recall = ({REAL}))?")

_TEST_SECTION_MARKS = ("🏁 Training Complete", "Running Comprehensive Test Evaluation",
                       "Test Evaluation Results")


KINDS = ("progress", "Validation Results", "Basic Metrics", "Advanced Metrics")


@dataclass
class LogSeries:
    """Every value of one row name in one kind of table (or progress lines), in log order.

    ``lines`` holds the line of the value, or for validation tables the line of the table's
    title (the rows follow it directly).
    """

    split: str
    name: str
    kind: str
    steps: array = field(default_factory=lambda: array("q"))
    values: array = field(default_factory=lambda: array("d"))
    lines: array = field(default_factory=lambda: array("I"))

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class LogValue:
    """One number read from a table or progress line."""

    split: str  # "train" | "validation" | "test"
    name: str  # as printed: "F1 Score", "f1_score", "loss"
    value: float
    step: int | None
    line: int
    table: str


@dataclass(frozen=True)
class BestModel:
    line: int
    step: int | None
    reason: str
    path: str | None


@dataclass(frozen=True)
class Confusion:
    split: str
    step: int | None
    threshold: float
    counts: dict  # tp, fn, fp, tn
    line: int


@dataclass
class LogReport:
    path: str
    started: tuple[datetime, int] | None = None
    ended: tuple[datetime, int] | None = None
    completion_line: int | None = None
    success_line: int | None = None
    series: dict[tuple[str, str, str], LogSeries] = field(default_factory=dict)
    best_models: list[BestModel] = field(default_factory=list)
    checkpoints: list[tuple[int, str]] = field(default_factory=list)
    confusions: list[Confusion] = field(default_factory=list)
    panel: dict[str, tuple[str, int]] = field(default_factory=dict)
    ambient_hours: tuple[float, int] | None = None
    validation_hours: tuple[float, int] | None = None
    validation_formula: str = ""  # "full=1.00h × val_split=0.1"
    # (false activations, FA/h, line) of each official validation line: hours = K / FA/h
    absl_counts: list[tuple[int, float, int]] = field(default_factory=list)
    total_steps: tuple[int, int] | None = None
    phases: list[tuple[int, int, float, int]] = field(default_factory=list)
    validation_tables: int = 0
    test_section_line: int | None = None
    trouble: list[tuple[int, str]] = field(default_factory=list)
    lines: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def series_for(self, split: str, name: str, kind: str) -> LogSeries:
        series = self.series.get((split, name, kind))
        if series is None:
            series = self.series[(split, name, kind)] = LogSeries(split, name, kind)
        return series

    def add(self, split: str, name: str, kind: str, step: int | None, value: float,
            line: int) -> None:
        series = self.series_for(split, name, kind)
        series.steps.append(NO_STEP if step is None else step)
        series.values.append(value)
        series.lines.append(line)

    @property
    def values(self) -> list[LogValue]:
        """Every value as an object, in log order (for inspection and tests)."""
        out = [LogValue(s.split, s.name, v, None if st == NO_STEP else st, ln,
                        f"Validation Results — Step {st}" if s.kind == "Validation Results"
                        else s.kind)
               for s in self.series.values()
               for st, v, ln in zip(s.steps, s.values, s.lines, strict=True)]
        return sorted(out, key=lambda v: v.line)

    @property
    def duration_seconds(self) -> float | None:
        if self.started and self.ended:
            return (self.ended[0] - self.started[0]).total_seconds()
        return None

    @property
    def state(self) -> str:
        """finished | crashed | killed, following run-format.md §0.3."""
        if self.completion_line is not None:
            return "finished"
        return "crashed" if self.ended else "killed"


def read_terminal_log(path: Path, display: str) -> LogReport:
    """Read the log in chunks (memory stays bounded however long it is)."""
    report = LogReport(display)
    parser = _LogParser(report)
    try:
        if path.stat().st_size > MAX_LOG_BYTES:
            report.problems.append(_problem(display, "", f"is larger than {MAX_LOG_BYTES} bytes; "
                                            "not read"))
            return report
        with open(path, "rb") as handle:
            for piece, offset in _chunks(handle):  # pieces hold whole lines
                parser.feed_piece(piece, parser.lineno + 1, offset)
    except OSError as exc:
        report.problems.append(_problem(display, "", f"cannot be read: {exc.strerror or exc}"))
        return report
    parser.close()
    _finish(report)
    return report


CHUNK_BYTES = 4 * 1024 * 1024
_BLOCK_STARTS = (b"Validation Results", b"Basic Metrics", b"Advanced Metrics",
                 b"Confusion Matrix", b"BEST MODEL", b"Per-Class", b"Per-Category")
_TABLE_REACH = 64 * 1024  # no table is longer than this


def _chunks(handle):
    """Pieces of the log that never split a table, each as its lines behind a newline:
    ``b"\\nline 1\\nline 2"`` (the newline that ends a piece starts the next), with the
    byte offset of the first line. One copy of the bytes is made per piece."""
    carry, offset = b"\n", 0
    while True:
        data = handle.read(CHUNK_BYTES)
        if not data:
            if len(carry) > 1:
                yield (carry[:-1] if carry.endswith(b"\n") else carry), offset
            return
        buf = carry + data
        cut = _safe_cut(buf)
        if cut <= 0:
            carry = buf
            continue
        yield buf[:cut], offset
        carry = buf[cut:]
        offset += cut


def _safe_cut(buf: bytes) -> int:
    """The newline before the first line of the next piece: the last one, or the one before
    a table's title near the end (the table may go on in the next read)."""
    end = buf.rfind(b"\n")
    if end <= 0:
        return 0
    lowest = max(0, end - _TABLE_REACH)
    title = max(buf.rfind(mark, lowest, end) for mark in _BLOCK_STARTS)
    if title >= 0:
        return buf.rfind(b"\n", 0, title)
    return end


def _decode(raw: bytes, report: LogReport, first_line: int, offset: int, warned: bool) -> str:
    """UTF-8 text; bad bytes are replaced and the first one is reported once."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        if not warned:
            line = first_line + raw.count(b"\n", 0, exc.start)
            report.problems.append(Problem(
                report.path, f"line {line}",
                f"is not valid UTF-8 (first bad byte at offset {offset + exc.start}); bad bytes "
                "are replaced and the rest of the log is read", severity="warning",
                source="log"))
        return text


# A validation table in bulk: its title (the step may wrap onto the next line) and the
# table lines that follow. Rows: | name | value | (ASCII) or │ name │ value │ (the guide).
_VAL_BLOCK = re.compile(
    r"Validation Results[ \t]*[—–-]+[ \t]*Step[ \t]*(?:(\d+)[ \t]*/[ \t]*(\d+))?[^\n]*\n"
    r"(?:[ \t]*(\d+)[ \t]*/[ \t]*(\d+)[ \t]*\n)?"
    r"((?:[ \t]*[+|│┃┌├└┏┡┗][^\n]*(?:\n|\Z))*)")
_BLOCK_ROW = re.compile(
    r"^[ \t]*[|│┃][ \t]*([^|│┃\n]*[^|│┃\n \t])[ \t]*[|│┃][ \t]*([^|│┃\n \t]+)[ \t]*[|│┃]",
    re.M)
# Pieces of the log without carriage returns or colour codes take the bulk path for the
# validation tables of their dominant layout (log_tables.py); the switch is for tests.
FAST_COLUMNS = True
# A line that may add a value to a validation table's series: pending bulk tables go first.
_ROW_LINE = re.compile(rb"\n\s*(?:\||\xe2\x94[\x82\x83])")
_CUT_ROW = re.compile(r"^(?![^\n]*[-─━=]{3})[ \t]*[|│┃][^|│┃\n]*(?:[|│┃][^|│┃\n]*)?$",
                      re.M)


@dataclass
class _PendingTables:
    """Bulk tables whose rows are not yet in the series (they join them in log order)."""

    names: tuple[str, ...]
    tables: log_tables.Tables
    split: str
    start: int
    end: int
    lines: array


def _gap_start(data: bytes, layout: log_tables.Layout, index: int) -> int:
    """Where the text before table ``index`` starts in the piece (for a message about a bad
    byte in it): found again by matching the tables before it."""
    if index == 0:
        return 0
    table = next(islice(layout.pattern.finditer(data), index - 1, None))
    return table.end()  # the gap's newline, which is the piece's byte before it


class _LogParser:
    def __init__(self, report: LogReport) -> None:
        self.r = report
        self.table: str | None = None  # current table kind
        self.table_title = ""
        self.step: int | None = None  # step of the current validation table
        self.last_eval_step: int | None = None
        self.pending_title = False
        self.in_test = False
        self.best_open: tuple[int, str] | None = None
        self.best_path: str | None = None
        self.confusion: dict | None = None
        self.confusion_columns: list[str] = []
        self.lineno = 0  # lines handled so far
        self.table_line = 0  # line of the current validation table's title
        self.warned_utf8 = False
        self._pending: _PendingTables | None = None

    def feed_piece(self, data: bytes, first_line: int, offset: int) -> None:
        """``data``: whole lines, each behind its newline (see _chunks); ``offset``: where
        the first line starts in the file."""
        if FAST_COLUMNS and b"\r" not in data and b"\x1b" not in data:
            layout = log_tables.dominant_layout(data)
            if layout is not None:
                self._bulk(data, layout, first_line, offset)
                return
        self.feed(self._text(data[1:] + b"\n", first_line, offset), first_line)

    def _text(self, raw: bytes, first_line: int, offset: int) -> str:
        text = _decode(raw, self.r, first_line, offset, self.warned_utf8)
        self.warned_utf8 = self.warned_utf8 or any(
            p.message.startswith("is not valid UTF-8") for p in self.r.problems[-1:])
        return text

    def feed(self, text: str, first_line: int) -> None:
        self.lineno = first_line - 1
        if "\x1b" in text:
            text = _ANSI.sub("", text)
        if "\r" in text:  # redrawn lines: every segment on its own, the slow way
            self._lines(text)
            return
        pos = 0
        batch: list[tuple[int, int, str]] = []  # (step, title line, body) back to back
        for match in _VAL_BLOCK.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            if start < pos:
                continue
            step_text = match.group(1) or match.group(3)
            if start > pos or step_text is None:
                self._flush(batch)
                self._lines(text[pos:start])
                if step_text is None:  # "Validation Results" in prose, not a table
                    self._lines(text[start:match.end()])
                    pos = match.end()
                    continue
            self._table_starts(int(step_text))
            batch.append((int(step_text), self.lineno + 1, match.group(5)))
            self.lineno += text.count("\n", start, match.end())
            pos = match.end()
        self._flush(batch)
        self._lines(text[pos:])

    def _bulk(self, data: bytes, layout: log_tables.Layout, first_line: int,
              offset: int) -> None:
        """The piece's tables of ``layout`` in bulk; the text between them line by line, in
        log order."""
        tables = log_tables.split_tables(data, layout, parse_number)
        line, done, height = first_line, 0, layout.height
        for index in [i for i, gap in enumerate(tables.gaps) if gap]:
            if index > done:
                self._bulk_tables(layout, tables, done, index, line)
                line += (index - done) * height
                done = index
            gap = tables.gaps[index]
            if self._pending is not None and _ROW_LINE.search(gap):
                self._flush_pending()
            try:
                text = gap[1:].decode("utf-8") + "\n"
            except UnicodeDecodeError:
                text = self._text(gap[1:] + b"\n", line,
                                  offset + _gap_start(data, layout, index))
            self.feed(text, line)
            line += gap.count(b"\n")
        if done < len(tables):
            self._bulk_tables(layout, tables, done, len(tables), line)
            line += (len(tables) - done) * height
        self._flush_pending()
        self.lineno = line - 1

    def _bulk_tables(self, layout: log_tables.Layout, tables: log_tables.Tables, start: int,
                     end: int, line: int) -> None:
        """Tables ``start`` to ``end`` of a split, back to back from ``line``: the state
        changes of their titles, and their rows kept pending (runs of one split merge)."""
        self._table_starts(tables.steps[start])
        if not self.in_test:
            self.r.validation_tables += end - start - 1
            self.last_eval_step = tables.steps[end - 1]
        self.step = tables.steps[end - 1]
        split = "test" if self.in_test else "validation"
        lines = range(line, line + (end - start) * layout.height, layout.height)
        pending = self._pending
        if pending is not None and pending.split == split and pending.tables is tables \
                and pending.end == start:
            pending.lines.extend(lines)
            pending.end = end
            return
        self._flush_pending()
        for name in layout.names:  # the series exist from the first table on, as in a read
            self.r.series_for(split, name, "Validation Results")
        self._pending = _PendingTables(layout.names, tables, split, start, end,
                                       array("I", lines))

    def _flush_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        start, end = pending.start, pending.end
        steps = pending.tables.steps[start:end]
        for name, (values, keep) in zip(pending.names, pending.tables.columns, strict=True):
            if keep is None:
                values = values[start:end]
            else:  # the tables of these that have a number in this row
                low, high = bisect_left(keep, start), bisect_left(keep, end)
                values, keep = values[low:high], [i - start for i in keep[low:high]]
            self._extend_column(pending.split, name, steps, pending.lines, values, keep)

    def _table_starts(self, step: int) -> None:
        if self.best_open is not None:
            self._close_best()
        if self.confusion is not None:
            self._close_confusion()
        self.pending_title = False
        self.table = None
        self.step = step
        if not self.in_test:
            self.r.validation_tables += 1
            self.last_eval_step = step

    def _flush(self, batch: list[tuple[int, int, str]]) -> None:
        """Rows of consecutive validation tables. Tables with the same rows (nearly all
        of them) are gathered and their columns converted in bulk."""
        if not batch:
            return
        split = "test" if self.in_test else "validation"
        layout: tuple = ()
        steps: list[int] = []
        lines: list[int] = []
        cells: list[str] = []
        rows = 0
        find = _BLOCK_ROW.findall
        for step, line, body in batch:
            found = find(body)
            if not found:
                continue
            rows += len(found)
            names, values = zip(*found, strict=True)
            if names != layout:
                self._columns(split, layout, steps, lines, cells)
                layout, steps, lines, cells = names, [], [], []
            steps.append(step)
            lines.append(line)
            cells.extend(values)
        self._columns(split, layout, steps, lines, cells)
        # a row cut off mid-row is rare: look for it only when the bars do not add up
        # (a row has three bars, an ASCII separator |---+---| two)
        bodies = "".join(b for _, _, b in batch)
        if bodies.count("|") + bodies.count("│") != 3 * rows + 2 * bodies.count("|-"):
            for _, title_line, body in batch:
                for cut in _CUT_ROW.finditer(body):
                    where = title_line + 1 + body.count("\n", 0, cut.start())
                    self.r.problems.append(_problem(self.r.path, f"line {where}",
                                                    f"table row is cut off: "
                                                    f"{cut.group(0).strip()[:80]!r}",
                                                    "warning"))
        batch.clear()

    def _columns(self, split: str, names: tuple, steps: list[int], lines: list[int],
                 cells: list[str]) -> None:
        """Tables that share one row layout: each row name's values are a column."""
        width = len(names)
        for column, name in enumerate(names):
            if name in ("Metric", "Class", "Category", ""):
                continue
            values, keep = log_tables.numbers(cells[column::width], parse_number)
            self._extend_column(split, name, steps, lines, values, keep)

    def _extend_column(self, split: str, name: str, steps, lines, values: array,
                       keep: list[int] | None) -> None:
        """One row name's values, with the steps and title lines of their tables; ``keep``
        says which tables have a number in that row (None: all of them)."""
        if keep is not None:
            steps, lines = [steps[i] for i in keep], [lines[i] for i in keep]
        series = self.r.series_for(split, name, "Validation Results")
        series.steps.extend(steps)
        series.values.extend(values)
        series.lines.extend(lines)

    def close(self) -> None:
        self.r.lines = self.lineno
        self._close_best()
        self._close_confusion()

    def _lines(self, segment: str) -> None:
        if not segment:
            return
        parts = segment.split("\n")
        if segment.endswith("\n"):
            parts.pop()
        for physical in parts:
            self.lineno += 1
            if len(physical) > MAX_LINE_CHARS:
                self.r.problems.append(_problem(
                    self.r.path, f"line {self.lineno}",
                    f"is {len(physical):,} characters long (limit {MAX_LINE_CHARS:,}); the line "
                    "is skipped, the rest of the log is read", "warning"))
                continue
            # A carriage return redraws the line: every segment was shown once.
            for piece in physical.split("\r") if "\r" in physical else (physical,):
                self.line(piece, self.lineno)

    def line(self, text: str, number: int) -> None:
        stripped = text.strip()
        if self.pending_title:
            self.pending_title = False
            match = _STEP_OF.match(stripped)
            if match:
                self._open_validation_table(int(match.group(1)), number)
                return
        if self.best_open is not None and self._continue_best(stripped, number):
            return
        if self.table is not None and _BORDER.fullmatch(text):
            return
        if self.table is not None and _ROW_START.match(text):
            self._row(text, number)
            return
        self._close_confusion()
        self.table = None
        if stripped:
            self._statement(text, stripped, number)

    def _statement(self, text: str, stripped: str, number: int) -> None:
        r = self.r
        if any(mark in text for mark in _TEST_SECTION_MARKS) and not self.in_test:
            self.in_test = True
            r.test_section_line = number
        if "🏁 Training Complete" in text and r.completion_line is None:
            r.completion_line = number
        if "Training completed successfully!" in text:
            r.success_line = number
        for pattern, attr in ((_STARTED, "started"), (_ENDED, "ended")):
            match = pattern.search(text)
            if match:
                try:
                    setattr(r, attr, (datetime.fromisoformat(match.group(1)), number))
                except ValueError:
                    r.problems.append(_problem(r.path, f"line {number}",
                                               f"unreadable timestamp {match.group(1)!r}",
                                               "warning"))
        self._info(text, number)
        match = _VAL_TITLE.search(stripped)
        if match:
            if match.group(1) is None:
                self.pending_title = True
            else:
                self._open_validation_table(int(match.group(1)), number)
            return
        match = _CONFUSION_TITLE.search(text)
        if match:
            self._open_confusion(float(match.group(1)), number)
            return
        if stripped in ("Basic Metrics", "Advanced Metrics") and self.in_test:
            self.table, self.table_title, self.step = "metrics", stripped, None
            return
        match = _BEST.search(text)
        if match:
            self._close_best()
            self.best_open = (number, match.group(1).strip())
            return
        match = _CHECKPOINT.search(text)
        if match:
            r.checkpoints.append((number, match.group(1)))
            return
        match = _PROGRESS.search(text)
        if match:
            self._progress(match, number)
        if "Step" in text and "absl" in text:
            self._absl(text, number)
        match = _PANEL_ROW.search(text)
        if match:
            r.panel[match.group(1)] = (match.group(2), number)
        match = _TROUBLE.search(text)
        if match and len(r.trouble) < 50:
            r.trouble.append((number, stripped[:300]))

    def _info(self, text: str, number: int) -> None:
        r = self.r
        match = _FAH_FULL.search(text)
        if match:
            r.ambient_hours = (float(match.group(1)), number)
        match = _FAH_SCALED.search(text)
        if match:
            r.validation_hours = (float(match.group(1)), number)
            r.validation_formula = (f"ambient_duration_hours {match.group(2)} × val_split "
                                    f"{match.group(3)}")
        match = _TOTAL_STEPS.search(text)
        if match:
            r.total_steps = (int(match.group(1).replace(",", "")), number)
        for match in _PHASE.finditer(text):
            r.phases.append((int(match.group(1)), int(match.group(2).replace(",", "")),
                             float(match.group(3)), number))

    def _open_validation_table(self, step: int, number: int) -> None:
        self.table, self.step, self.table_line = "metrics", step, number
        self.table_title = f"Validation Results — Step {step}"
        if not self.in_test:
            self.r.validation_tables += 1
            self.last_eval_step = step

    def _open_confusion(self, threshold: float, number: int) -> None:
        self._close_confusion()
        self.table, self.table_title = "confusion", f"Confusion Matrix (threshold={threshold})"
        self.confusion = {"threshold": threshold, "line": number, "counts": {}}
        self.confusion_columns = []

    def _row(self, text: str, number: int) -> None:
        text = _RICH_MARKUP.sub("", text)
        if self.table == "confusion":
            self._confusion_row(text)
            return
        match = _ROW2.match(text)
        if not match:
            self.r.problems.append(_problem(self.r.path, f"line {number}",
                                            f"table row is cut off: {text.strip()[:80]!r}",
                                            "warning"))
            return
        name, cell = match.group(1), match.group(2)
        if name in ("Metric", "Class", "Category"):
            return
        value = parse_number(cell)
        if value is None:
            return
        split = "test" if self.in_test else "validation"
        kind = "Validation Results" if self.table_title.startswith("Validation") else \
            self.table_title
        line = self.table_line if kind == "Validation Results" else number
        self.r.add(split, name, kind, self.step, value, line)

    def _confusion_row(self, text: str) -> None:
        match = _ROW3.match(text)
        if not match or self.confusion is None:
            return
        label, first, second = (g.strip() for g in match.groups())
        if not label:
            self.confusion_columns = [first.lower(), second.lower()]
            return
        actual = label.lower()
        if "actual" not in actual:
            return
        columns = self.confusion_columns or ["predicted positive", "predicted negative"]
        for column, cell in zip(columns, (first, second), strict=False):
            value = parse_number(cell)
            if value is None:
                continue
            predicted_positive = "positive" in column
            actual_positive = "positive" in actual
            key = {(True, True): "tp", (True, False): "fn", (False, True): "fp",
                   (False, False): "tn"}[(actual_positive, predicted_positive)]
            self.confusion["counts"][key] = int(value)

    def _close_confusion(self) -> None:
        if self.confusion and len(self.confusion["counts"]) == 4:
            split = "test" if self.in_test else "validation"
            step = self.step if self.in_test else self.last_eval_step
            self.r.confusions.append(Confusion(split, step, self.confusion["threshold"],
                                               self.confusion["counts"], self.confusion["line"]))
        self.confusion = None

    def _continue_best(self, stripped: str, number: int) -> bool:
        """Lines after ``✅ BEST MODEL``: wrapped reason, then ``→ path``."""
        line, reason = self.best_open
        match = _ARROW_PATH.match(stripped)
        if match:
            self.best_path = match.group(1)
            self._close_best()
            return True
        if stripped and number - line <= 2 and not _BEST.search(stripped) \
                and not _ROW_START.match(stripped) and not _VAL_TITLE.search(stripped):
            self.best_open = (line, f"{reason} {stripped}")
            return True
        self._close_best()
        return False

    def _close_best(self) -> None:
        if self.best_open is None:
            return
        line, reason = self.best_open
        path = self.best_path
        step = self.last_eval_step
        found = _STEP_IN_PATH.search(path or "")
        if found:
            step = int(found.group(1))
        self.r.best_models.append(BestModel(line, step, reason, path))
        self.best_open, self.best_path = None, None

    def _absl(self, text: str, number: int) -> None:
        """``INFO:absl:Step …`` lines of the official trainer; percentages become fractions."""
        add = self.r.add
        match = _ABSL_TRAIN.search(text)
        if match:
            step = int(match.group(1))
            for name, cell, scale in (("learning_rate", match.group(2), 1),
                                      ("accuracy", match.group(3), 100),
                                      ("recall", match.group(4), 100),
                                      ("precision", match.group(5), 100),
                                      ("loss", match.group(6), 1)):
                add("train", name, "absl train", step, float(cell) / scale, number)
            return
        match = _ABSL_VALIDATION.search(text)
        if not match:
            return
        step = int(match.group(1))
        cells = (("recall_at_no_faph", 2, 100), ("accuracy", 3, 100), ("recall", 4, 100),
                 ("precision", 5, 100), ("false_positives", 6, 1),
                 ("ambient_fa_per_hour", 7, 1), ("loss", 8, 1), ("auc_roc", 9, 1),
                 ("average_viable_recall", 10, 1))
        for name, group, scale in cells:
            if match.group(group) is not None:
                add("validation", name, "absl validation", step,
                    float(match.group(group)) / scale, number)
        self.r.absl_counts.append((int(match.group(6)), float(match.group(7)), number))

    def _progress(self, match: re.Match, number: int) -> None:
        step = int(match.group(2))
        for name, cell in (("loss", match.group(4)), ("accuracy", match.group(5)),
                           ("learning_rate", match.group(6))):
            value = parse_number(cell) if cell else None
            if value is not None:
                self.r.add("train", name, "progress", step, value, number)


def _finish(report: LogReport) -> None:
    if report.absl_counts or any(s.kind.startswith("absl") for s in report.series.values()):
        return  # an official trainer's console: no markers, no panels, by design
    if report.validation_tables == 0 and (report.total_steps or report.completion_line):
        report.notes.append(
            "the log holds no validation tables: it was captured from a terminal, where the "
            "trainer's progress bar hides them (run-format.md §0.1); validation metrics come "
            "from TensorBoard only")
    if report.started is None and report.lines:
        report.problems.append(_problem(report.path, "line 1",
                                        "has no 'Training Log Started:' marker", "warning"))
    if report.ended is None and report.lines:
        report.notes.append("no 'Training Log Ended:' marker: the process was killed "
                            "(SIGKILL/OOM) before the logger closed")


def parse_number(cell: str | None) -> float | None:
    """A table cell as a float: ``1,000``, ``0.97``, ``inf``, ``-inf``, ``nan``; else None."""
    if cell is None:
        return None
    text = cell.strip().replace(",", "")
    if not text or len(text) > 40:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _problem(file: str, place: str, message: str, severity="error") -> Problem:
    return Problem(file, place, message, severity=severity, source="log")

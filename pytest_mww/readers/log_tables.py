"""Validation tables in bulk: one table layout compiled into a pattern over the raw bytes.

A long log is mostly validation tables of one layout (run-format.md §2). The layout is learned
from a table in the piece and compiled into one pattern that matches a whole table, title to
bottom border, so ``re.split`` does the per-line work in C: it returns the text between the
tables and each table's step and cells, and a cell column becomes an array at once.

The pattern is strict: ASCII table lines, spaces (no tabs), cells of plain ASCII, the step on
the title's own line, and no table line right after the bottom border. Anything else (other
layouts, wrapped titles, box-drawing tables, odd bytes) stays in the text between tables, where
the line parser reads it as before. Everything a pattern matches is valid UTF-8, so only that
text needs decoding.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

TITLE_MARK = b"Validation Results"
# "      📊 Validation Results — Step 40/120       " (the dash may be an en dash or hyphens)
_TITLE_TEXT = (rb" *(?:\xf0\x9f\x93\x8a *)?Validation Results *(?:\xe2\x80\x94|\xe2\x80\x93|-)+"
               rb" *Step *(\d+) */ *\d+ *")
_TITLE = re.compile(_TITLE_TEXT)
_BORDER = re.compile(rb" *\+-+\+ *")
_SEPARATOR = re.compile(rb" *\|-+\+-+\| *")
_ROW = re.compile(rb" *\| *([\x21-\x7b\x7d\x7e](?:[\x20-\x7b\x7d\x7e]*[\x21-\x7b\x7d\x7e])?) *\|"
                  rb" *([\x21-\x7b\x7d\x7e]+) *\| *")
_TABLE_LINE = re.compile(rb"[ \t]*(?:[+|]|\xe2\x94)")  # part of a table, in any style
SKIPPED_NAMES = (b"Metric", b"Class", b"Category")  # header rows: the line parser skips them
# The trainer's tables have about 40 rows of short names; a log could hold anything, and a
# compiled pattern grows with the table, so bigger tables are left to the line parser.
MAX_TABLE_LINES = 128
MAX_NAME_BYTES = 80

# A row's cell as the table prints it: a number, "nan", "inf", "1,000"; never a space or bar.
_CELL = rb" +([-+.,0-9A-Za-z]+)"
_ANY_CELL = rb" +[\x21-\x7b\x7d\x7e]+"


@dataclass(frozen=True)
class Layout:
    """One table layout, compiled."""

    names: tuple[str, ...]  # the rows whose cells are values, in order
    height: int  # lines per table, title included
    pattern: re.Pattern[bytes]


def layout_at(data: bytes, mark: int) -> Layout | None:
    """The layout of the table whose title holds ``TITLE_MARK`` at ``mark``, when it is plain
    enough to compile (else None: the line parser reads such tables)."""
    start = data.rfind(b"\n", 0, mark) + 1
    end = data.find(b"\n", mark)
    if end < 0 or not _TITLE.fullmatch(data, start, end):
        return None
    shape: list[bytes] = []
    while end < len(data):
        begin = end + 1
        end = data.find(b"\n", begin)
        if end < 0:
            end = len(data)
        if not _TABLE_LINE.match(data, begin, end):
            break
        if _BORDER.fullmatch(data, begin, end):
            shape.append(b"+")
        elif _SEPARATOR.fullmatch(data, begin, end):
            shape.append(b"-")
        else:
            row = _ROW.fullmatch(data, begin, end)
            if row is None or len(row.group(1)) > MAX_NAME_BYTES:
                return None
            shape.append(row.group(1))
        if len(shape) > MAX_TABLE_LINES:
            return None
    return compile_layout(tuple(shape))


@lru_cache(maxsize=64)
def compile_layout(shape: tuple[bytes, ...]) -> Layout | None:
    """A table's lines after its title (``+`` a border, ``-`` a separator, else a row name)
    as one pattern; None when a row name repeats or no row holds a value."""
    names = tuple(item for item in shape if item not in (b"+", b"-")
                  and item not in SKIPPED_NAMES)
    if not names or len(set(names)) != len(names):
        return None  # a repeated row name: the line parser keeps its order
    parts = [rb"\n" + _TITLE_TEXT]
    for item in shape:  # the lines exactly as rich's box.ASCII prints them
        if item == b"+":
            parts.append(rb"\n\+-+\+")
        elif item == b"-":
            parts.append(rb"\n\|-+\+-+\|")
        else:
            cell = _ANY_CELL if item in SKIPPED_NAMES else _CELL
            parts.append(rb"\n\| " + re.escape(item) + rb" +\|" + cell + rb" \|")
    parts.append(rb"(?=\n|\Z)(?!\n[ \t]*(?:[+|]|\xe2\x94))")
    return Layout(tuple(n.decode("ascii") for n in names), 1 + len(shape),
                  re.compile(b"".join(parts)))


def dominant_layout(data: bytes) -> Layout | None:
    """The layout of most of the piece's tables, judged from its first, middle and last."""
    marks = {data.find(TITLE_MARK), data.find(TITLE_MARK, len(data) // 2),
             data.rfind(TITLE_MARK)} - {-1}
    found = [layout for layout in (layout_at(data, m) for m in sorted(marks)) if layout]
    if not found:
        return None
    return max(reversed(found), key=found.count)


@dataclass
class Tables:
    """What one split of a piece gives: the text between tables and each table's cells."""

    gaps: list[bytes]  # gaps[i] comes before table i; the last one after the last table
    steps: array
    columns: list[tuple[array, list[int] | None]]  # values, and which tables have them

    def __len__(self) -> int:
        return len(self.steps)


def split_tables(data: bytes, layout: Layout, parse_number) -> Tables:
    """``data`` starts with a newline and holds whole lines, each preceded by its newline."""
    parts = layout.pattern.split(data)
    width = len(layout.names) + 2
    steps = array("q", map(int, parts[1::width]))
    columns = [numbers(parts[2 + j::width], parse_number) for j in range(len(layout.names))]
    return Tables(parts[0::width], steps, columns)


def numbers(cells: list[bytes] | list[str], parse_number) -> tuple[array, list[int] | None]:
    """A column of cells (bytes from the bulk pattern, or text) as floats. When some cell is
    not a plain float ("1,000", "n/a"), the cells are parsed one by one and the indices of
    those that are numbers come too."""
    values = fixed_point(cells) if cells and isinstance(cells[0], bytes) else None
    if values is not None:
        return values, None
    try:
        return array("d", map(float, cells)), None
    except ValueError:
        parsed = [parse_number(cell if isinstance(cell, str) else cell.decode("ascii"))
                  for cell in cells]
        keep = [i for i, value in enumerate(parsed) if value is not None]
        return array("d", (parsed[i] for i in keep)), keep


_POW10 = 10 ** np.arange(16, dtype=np.int64)
_SPACE, _MINUS, _PLUS, _POINT = b" -+."


def fixed_point(cells: list[bytes]) -> array | None:
    """Cells with the point in one place once right-aligned ("0.9000", "-12.50", "540", one
    decimal format per column as the trainer prints them), converted in a few array
    operations exactly as ``float`` reads them: the digits form an integer below 2**53 and one
    division by a power of ten rounds it once. None for any other column (then ``float``
    reads it cell by cell)."""
    if not cells:
        return array("d")
    widths = set(map(len, cells))
    width = max(widths)
    if width > 32:  # far beyond 15 digits (the limit checked below)
        return None
    if len(widths) > 1:  # a sign or a wider number in some tables: line them up
        cells = [cell.rjust(width) for cell in cells]
    raw = np.frombuffer(b"".join(cells), np.uint8).reshape(len(cells), width)
    point = cells[0].rfind(b".")
    digit = raw - np.uint8(48)  # wraps below "0": a digit is < 10
    is_digit = digit < 10
    body = raw != _SPACE
    sign = (raw == _MINUS) | (raw == _PLUS)
    starts = body.copy()
    starts[:, 1:] &= ~body[:, :-1]  # the first character of each number
    allowed = is_digit | (sign & starts)
    if point >= 0:
        allowed[:, point] |= raw[:, point] == _POINT
        if not (raw[:, point] == _POINT).all():
            return None
    counts = is_digit.sum(axis=1)
    if not (allowed | ~body).all() or not (body[:, 1:] >= body[:, :-1]).all() \
            or counts.min() < 1 or counts.max() > 15:
        return None
    columns = np.arange(width)
    power = width - 1 - columns - (columns < point)  # digits to the right, the point skipped
    if point >= 0:
        power[point] = 0
    power = np.minimum(power, 15)  # wider columns hold padding there, never a digit
    mantissa = np.where(is_digit, digit, 0).astype(np.int64) @ _POW10[power]
    decimals = width - 1 - point if point >= 0 else 0
    values = mantissa / float(10 ** decimals)
    values = np.where((raw == _MINUS).any(axis=1), -values, values)
    out = array("d")
    out.frombytes(values.tobytes())
    return out

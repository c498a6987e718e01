"""The bulk reader of validation tables: layouts, the table pattern, the cell columns."""

import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from pytest_mww.readers import log_tables
from pytest_mww.readers.log_tables import dominant_layout, fixed_point, layout_at, split_tables
from pytest_mww.readers.terminal_log import parse_number

TABLE = (b"      \xf0\x9f\x93\x8a Validation Results \xe2\x80\x94 Step %d/300       \n"
         b"+--------------------------+\n"
         b"| Metric          |  Value |\n"
         b"|-----------------+--------|\n"
         b"| Accuracy        | 0.9000 |\n"
         b"| F1 Score        | %s |\n"
         b"| Val Positives   |    540 |\n"
         b"+--------------------------+\n")


def table(step: int, f1: bytes = b"0.8000") -> bytes:
    return TABLE % (step, f1)


def piece(*parts: bytes) -> bytes:
    """A piece as the parser hands it over: behind a newline, without its last one."""
    text = b"".join(parts)
    return b"\n" + text[:-1]


def test_layout_of_a_rich_ascii_table():
    data = piece(table(100))
    layout = layout_at(data, data.find(log_tables.TITLE_MARK))
    assert layout.names == ("Accuracy", "F1 Score", "Val Positives")
    assert layout.height == 8  # the title and seven table lines


def test_tables_and_the_text_between_them():
    data = piece(b"before\n", table(100), table(200, b"0.8500"), b"between\n", table(300))
    tables = split_tables(data, dominant_layout(data), parse_number)
    assert list(tables.steps) == [100, 200, 300]
    assert tables.gaps == [b"\nbefore", b"", b"\nbetween", b""]
    f1, keep = tables.columns[1]
    assert list(f1) == [0.8, 0.85, 0.8] and keep is None


def test_cells_that_are_not_numbers_are_left_out_with_their_tables():
    data = piece(table(100, b"   nan"), table(200, b" 1,000"), table(300, b"   n/a"))
    assert dominant_layout(data) is not None
    f1, keep = split_tables(data, dominant_layout(data), parse_number).columns[1]
    assert math.isnan(f1[0]) and f1[1] == 1000.0 and keep == [0, 1]


def test_what_the_pattern_leaves_to_the_line_parser():
    odd = [table(1).replace(b"| F1 Score ", b"|\tF1 Score"),  # a tab
           table(2).replace(b"\xe2\x80\x94 Step 2/300", b"\xe2\x80\x94 Step\n2/300"),  # wrap
           table(3) + b"| Extra | 1 |\n",  # a row after the bottom border
           table(4).replace(b"0.9000", b"0.9\xc3\xa9"),  # a cell that is not plain ASCII
           table(5).replace(b"| Val Positives   |", b"| Val Positives   | 1 |")]
    data = piece(table(100), *odd, table(200))
    tables = split_tables(data, dominant_layout(data), parse_number)
    assert list(tables.steps) == [100, 200]
    assert b"".join(tables.gaps) == b"\n" + b"".join(odd)[:-1]


def test_layouts_that_are_not_compiled():
    box = ("📊 Validation Results — Step 5/10\n┏━━━━━━┳━━━━━┓\n┃ Metric ┃ Value ┃\n"
           "│ F1 Score │ 0.8 │\n└──────┴─────┘\n").encode()
    twice = table(1).replace(b"| Accuracy        |", b"| F1 Score        |")
    rows = b"".join(b"| row %d | 1 |\n" % i for i in range(log_tables.MAX_TABLE_LINES))
    huge = table(1).replace(b"| Val Positives   |    540 |\n", rows)
    long_name = table(1).replace(b"Val Positives  ", b"V" * (log_tables.MAX_NAME_BYTES + 1))
    for data in (piece(box), piece(twice), piece(b"Validation Results are below\n"),
                 piece(huge), piece(long_name)):
        assert layout_at(data, data.find(log_tables.TITLE_MARK)) is None
    hundred = rows[:rows.find(b"| row 100 ")]
    fits = piece(table(1).replace(b"| Val Positives   |    540 |\n", hundred))
    assert len(layout_at(fits, fits.find(log_tables.TITLE_MARK)).names) == 102


def test_the_dominant_layout_wins_over_the_first_table():
    first = table(1).replace(b"| Val Positives   |    540 |\n", b"")
    data = piece(first, *(table(step) for step in range(2, 40)))
    assert dominant_layout(data).names == ("Accuracy", "F1 Score", "Val Positives")


def right_aligned(values: list[str]) -> list[bytes]:
    width = max(map(len, values))
    return [(" " * (1 + width - len(v)) + v).encode() for v in values]


decimals = st.integers(0, 8)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50), decimals,
       st.booleans(), st.booleans())
def test_fixed_point_reads_what_float_reads(numbers, places, plus, padded):
    texts = [f"{x:+.{places}f}" if plus else f"{x:.{places}f}" for x in numbers]
    cells = right_aligned(texts) if padded else [t.encode() for t in texts]
    got = fixed_point(cells)
    want = [float(c) for c in cells]
    assert got is not None
    assert [struct.pack("<d", v) for v in got] == [struct.pack("<d", v) for v in want]


@given(st.lists(st.text("0123456789.-+, eE", min_size=1, max_size=8), min_size=1,
                max_size=20))
def test_fixed_point_declines_or_agrees_with_float(texts):
    cells = [t.replace(" ", "").encode() or b"0" for t in texts]  # as the pattern captures
    got = fixed_point(cells)
    if got is None:
        return
    assert [struct.pack("<d", v) for v in got] == [struct.pack("<d", float(c)) for c in cells]


def test_fixed_point_declines_columns_it_cannot_read_exactly():
    assert fixed_point([b"0.5", b"0.25"]) is None  # the points are not in one place
    assert fixed_point([b"  0.5", b" 0.25"]) is None  # one width, but points differ
    assert fixed_point([b" 12345678901234567"]) is None  # beyond 2**53
    assert fixed_point([b"   nan", b"0.9000"]) is None
    assert fixed_point([b"1-2"]) is None and fixed_point([b" 1,000"]) is None
    assert list(fixed_point([b"-0.00", b"1.50", b"+2.25", b"-12.75"])) == [-0.0, 1.5, 2.25, -12.75]
    assert math.copysign(1, fixed_point([b"-0.0"])[0]) == -1
    assert list(fixed_point([b"-1000000.00000000", b"0.00000001"])) == [-1e6, 1e-8]

"""cProfile ``.prof`` files → function statistics, without trusting the file.

A ``.prof`` file is a ``marshal`` dump of pstats' dictionary. ``marshal`` is not meant for
untrusted data (a crafted file can build code objects or exhaust memory), so this module
decodes the marshal format itself and accepts only what pstats writes: a dict of
``(file, line, function)`` → ``(primitive calls, calls, tottime, cumtime, callers)``.
"""

from __future__ import annotations

import fnmatch
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..problems import Problem

MAX_PROFILE_BYTES = 64 * 1024 * 1024
_MAX_DEPTH = 16
_FLAG_REF = 0x80


class MarshalError(ValueError):
    pass


class _Reader:
    """A decoder for the subset of marshal that pstats writes (versions 2 to 5)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.refs = data, 0, []

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise MarshalError(f"file ends inside a value at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def int32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def value(self, depth: int = 0):
        if depth > _MAX_DEPTH:
            raise MarshalError(f"nesting deeper than {_MAX_DEPTH} at byte {self.pos}")
        start = self.pos
        code = self.take(1)[0]
        slot = None
        if code & _FLAG_REF:
            slot = len(self.refs)
            self.refs.append(None)
        kind = chr(code & ~_FLAG_REF)
        result = self.decode(kind, depth, start)
        if slot is not None:
            self.refs[slot] = result
        return result

    def decode(self, kind: str, depth: int, start: int):
        if kind == "N":
            return None
        if kind in "TF":
            return kind == "T"
        if kind == "i":
            return self.int32()
        if kind == "l":
            return self.long()
        if kind == "g":
            return struct.unpack("<d", self.take(8))[0]
        if kind == "f":
            return float(self.take(self.take(1)[0]).decode("ascii"))
        if kind in "zZ":
            return self.take(self.take(1)[0]).decode("ascii")
        if kind in "aAtu":
            raw = self.take(self.int32())
            return raw.decode("ascii" if kind in "aA" else "utf-8", errors="strict")
        if kind == "s":
            return self.take(self.int32())
        if kind in ")(":
            count = self.take(1)[0] if kind == ")" else self.int32()
            return tuple(self.value(depth + 1) for _ in range(self.count(count)))
        if kind == "{":
            out = {}
            while self.data[self.pos : self.pos + 1] != b"0":
                key = self.value(depth + 1)
                try:
                    out[key] = self.value(depth + 1)
                except TypeError:
                    raise MarshalError(f"unhashable dict key at byte {start}") from None
            self.take(1)
            return out
        if kind == "r":
            index = self.int32()
            if not 0 <= index < len(self.refs) or self.refs[index] is None:
                raise MarshalError(f"bad back-reference {index} at byte {start}")
            return self.refs[index]
        raise MarshalError(f"unexpected marshal type {kind!r} at byte {start} "
                           "(a pstats dump holds only dicts, tuples, strings and numbers)")

    def count(self, count: int) -> int:
        if count < 0 or count > len(self.data) - self.pos:
            raise MarshalError(f"implausible item count {count} at byte {self.pos}")
        return count

    def long(self) -> int:
        size = self.int32()
        digits = [struct.unpack("<H", self.take(2))[0] for _ in range(self.count(abs(size)))]
        value = 0
        for digit in reversed(digits):
            value = (value << 15) | digit
        return -value if size < 0 else value


def safe_unmarshal(data: bytes):
    reader = _Reader(data)
    value = reader.value()
    if reader.pos != len(data):
        raise MarshalError(f"{len(data) - reader.pos} trailing bytes after the data")
    return value


@dataclass(frozen=True)
class FunctionStats:
    file: str
    line: int
    function: str
    primitive_calls: int
    calls: int
    tottime: float
    cumtime: float
    callers: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line}({self.function})"

    @property
    def percall(self) -> float:
        """Cumulative time per primitive call, as pstats prints it."""
        return self.cumtime / self.primitive_calls if self.primitive_calls else 0.0


@dataclass
class Profile:
    path: str
    functions: list[FunctionStats] = field(default_factory=list)
    problem: Problem | None = None

    @property
    def total_time(self) -> float:
        """pstats' total: the sum of every function's own time."""
        return sum(f.tottime for f in self.functions)

    @property
    def wall_time(self) -> float:
        """The time the profile spans: pstats' total can fall short of the outermost
        function's cumtime (timer overhead is charged there), so take the larger."""
        return max([self.total_time] + [f.cumtime for f in self.functions])

    def matching(self, pattern: str) -> list[FunctionStats]:
        return [f for f in self.functions if fnmatch.fnmatchcase(f.label, pattern)]

    def top(self, count: int = 5) -> list[FunctionStats]:
        return sorted(self.functions, key=lambda f: -f.cumtime)[:count]

    def callees(self, target: FunctionStats) -> list[FunctionStats]:
        return sorted((f for f in self.functions if target.label in f.callers),
                      key=lambda f: -f.cumtime)


def read_profile(path: Path, display: str) -> Profile:
    profile = Profile(display)
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise MarshalError(f"larger than {MAX_PROFILE_BYTES} bytes")
        data = path.read_bytes()
        profile.functions = _functions(safe_unmarshal(data))
    except OSError as exc:
        profile.problem = _problem(display, f"cannot be read: {exc.strerror or exc}")
    except (MarshalError, UnicodeDecodeError, ValueError) as exc:
        profile.problem = _problem(display, f"is not a cProfile/pstats file: {exc}")
    return profile


def _functions(stats) -> list[FunctionStats]:
    if not isinstance(stats, dict):
        raise MarshalError(f"holds a {type(stats).__name__}, not pstats' dictionary")
    out = []
    for index, (key, value) in enumerate(stats.items()):
        if not (_is_key(key) and isinstance(value, tuple) and len(value) == 5
                and all(_is_number(v) for v in value[:4]) and isinstance(value[4], dict)
                and all(_is_key(k) for k in value[4])):
            raise MarshalError(f"entry {index} is not (file, line, function) → "
                               "(calls, calls, tottime, cumtime, callers)")
        cc, nc, tt, ct, callers = value
        out.append(FunctionStats(key[0], key[1], key[2], int(cc), int(nc), float(tt),
                                 float(ct), tuple(f"{k[0]}:{k[1]}({k[2]})" for k in callers)))
    return out


def _is_key(key) -> bool:
    return (isinstance(key, tuple) and len(key) == 3 and isinstance(key[0], str)
            and isinstance(key[1], int) and not isinstance(key[1], bool)
            and isinstance(key[2], str))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _problem(file: str, message: str) -> Problem:
    return Problem(file, "", message, severity="error", source="profile")

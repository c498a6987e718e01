"""The criteria file: YAML → validated rules, each remembering its line.

Read with ``yaml.safe_load`` only. Every mistake is one ``CriteriaError`` that names the
file, the line and the key, so a typo gives one clear collection error instead of a
traceback or a row of confusing failures.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .metrics import SPLITS

MAX_CRITERIA_BYTES = 1024 * 1024
CHECKS = ("threshold", "gap", "trend", "stagnation", "lr_schedule", "finished", "duration",
          "streaming")
STREAMING_MEASURES = ("frr_at_faph", "faph_at_cutoff", "auc", "quantization_loss")
BOUND_KEYS = ("min", "max", "gt", "lt")
AGGREGATIONS = "final, best, min, max, step:N, last:N"
SEVERITIES = ("fail", "warn")
_COMMON_KEYS = ("check", "metric", "split", "on_missing", "severity", "description", "remedy")
_KEYS = {
    "threshold": _COMMON_KEYS + ("at", "confidence", "on_unresolvable") + BOUND_KEYS,
    "gap": _COMMON_KEYS + ("at",) + BOUND_KEYS,
    "trend": _COMMON_KEYS + ("window", "max_worsening", "max_spread"),
    "stagnation": _COMMON_KEYS + ("window", "above", "min_change"),
    "lr_schedule": _COMMON_KEYS + ("tolerance",),
    "finished": ("check", "on_missing", "severity", "description", "remedy"),
    "duration": ("check", "on_missing", "severity", "description", "remedy", "max_hours"),
    "streaming": ("check", "measure", "variant", "faph", "cutoff", "on_missing", "severity",
                  "description", "remedy") + BOUND_KEYS,
}
# The metric a check judges when the criterion names none.
_DEFAULT_METRIC = {"stagnation": "train_loss", "lr_schedule": "learning_rate"}
_TOP_KEYS = ("version", "defaults", "criteria", "profiles", "checkpoints", "regressions",
             "deploy")
DEPLOY_CHECKS = ("manifest", "cutoff_sane", "tflite", "input_quantized", "operators", "size",
                 "cutoff_agrees")
_DEPLOY_KEYS = ("on_missing", "severity", "description", "features", "max_kb")
_REGRESSION_KEYS = ("check", "metric", "split", "at", "direction", "allowed", "allowed_pct",
                    "significance", "on_missing", "severity", "description", "remedy",
                    "measure", "variant", "faph", "cutoff")
_DEFAULT_KEYS = ("split", "on_missing", "at", "severity")
PROFILE_LIMITS = ("max_cumtime", "max_tottime", "max_ncalls", "max_percall", "max_share",
                  "max_total")
_PROFILE_KEYS = ("files", "function", "combine", "on_missing", "severity", "description",
                 "remedy") + PROFILE_LIMITS
COMBINES = ("worst", "median", "each")
CHECKPOINT_CHECKS = ("best_finite", "best_path", "best_step", "final_exists", "weight_health")
_CHECKPOINT_KEYS = ("on_missing", "severity", "description", "remedy", "vanishing_below",
                    "exploding_above", "identical")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class CriteriaError(Exception):
    """A criteria file that cannot be used; ``str()`` is the whole message."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Bound:
    op: str  # min | max | gt | lt
    limit: float

    def holds(self, value: float) -> bool:
        if value != value:  # NaN never passes
            return False
        return {"min": value >= self.limit, "max": value <= self.limit,
                "gt": value > self.limit, "lt": value < self.limit}[self.op]

    def __str__(self) -> str:
        return {"min": "min", "max": "max", "gt": ">", "lt": "<"}[self.op] + f" {self.limit:g}"

    def violation(self) -> str:
        """How a failing value relates to the limit, as a complete phrase."""
        return {"min": f"< min {self.limit:g}", "max": f"> max {self.limit:g}",
                "gt": f"is not above {self.limit:g}", "lt": f"is not below {self.limit:g}"}[
            self.op]


@dataclass(frozen=True)
class Aggregation:
    kind: str  # final | best | min | max | step | last
    n: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.n}" if self.n is not None else self.kind


@dataclass(frozen=True)
class Criterion:
    name: str
    check: str
    metrics: tuple[str, ...]
    split: str
    at: Aggregation
    bounds: tuple[Bound, ...]
    on_missing: str
    file: str
    line: int
    window: int = 5
    max_worsening: float | None = None
    max_spread: float | None = None
    description: str = ""
    remedy: str = ""
    severity: str = "fail"
    options: dict = field(default_factory=dict, compare=False, hash=False)
    confidence: float | None = None  # judge a one-sided bound instead of the point value
    on_unresolvable: str = "fail"  # FA/h limit finer than one event: fail | skip | warn

    @property
    def threshold_text(self) -> str:
        if self.check == "stagnation":
            return (f"not above {self.options['above']:g} with change < "
                    f"{self.options['min_change']:g} over {self.window} evals")
        if self.check == "lr_schedule":
            return "<= each phase's LR"
        if self.check == "finished":
            return "completion panel present"
        if self.check == "duration":
            limit = self.options.get("max_hours")
            return f"finished in <= {limit:g} h" if limit is not None else "finished"
        if self.check == "trend":
            parts = []
            if self.max_worsening is not None:
                parts.append(f"worsening <= {self.max_worsening:g} over {self.window} evals")
            if self.max_spread is not None:
                parts.append(f"spread <= {self.max_spread:g}")
            return ", ".join(parts)
        return " and ".join(str(b) for b in self.bounds)


@dataclass(frozen=True)
class ProfileBudget:
    name: str
    files: tuple[str, ...]
    function: str | None
    combine: str
    limits: tuple[tuple[str, float], ...]
    on_missing: str
    severity: str
    file: str
    line: int
    remedy: str = ""

    @property
    def threshold_text(self) -> str:
        return ", ".join(f"{key} <= {limit:g}" for key, limit in self.limits)


@dataclass(frozen=True)
class NamedCheck:
    """A check of the ``checkpoints:`` or ``deploy:`` section, named by its key."""

    name: str
    on_missing: str
    severity: str
    file: str
    line: int
    options: dict = field(default_factory=dict, compare=False, hash=False)
    remedy: str = ""


@dataclass(frozen=True)
class Regression:
    """Not worse than the baseline: what is measured, which way is worse, how much is allowed.

    ``allowed`` is an absolute worsening, ``allowed_pct`` a relative one in percent of
    |baseline|; a worsening within either passes. An improvement never fails.
    """

    name: str
    criterion: Criterion
    direction: str | None  # "lower" | "higher" is better; None: the metric's default
    allowed: float | None
    allowed_pct: float | None
    significance: float | None
    file: str
    line: int

    @property
    def allowed_text(self) -> str:
        parts = []
        if self.allowed is not None:
            parts.append(f"{self.allowed:+g}")
        if self.allowed_pct is not None:
            parts.append(f"{self.allowed_pct:+g}%")
        return " / ".join(parts) or "+0"


@dataclass(frozen=True)
class CriteriaFile:
    path: str
    criteria: tuple[Criterion, ...]
    profiles: tuple[ProfileBudget, ...] = ()
    checkpoints: tuple[NamedCheck, ...] = ()
    regressions: tuple[Regression, ...] = ()
    deploy: tuple[NamedCheck, ...] = ()
    sha256: str = ""


def load_criteria(path: Path, display: str | None = None) -> CriteriaFile:
    display = display or str(path)
    try:
        if path.stat().st_size > MAX_CRITERIA_BYTES:
            raise CriteriaError(display, None, f"is larger than {MAX_CRITERIA_BYTES} bytes")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise CriteriaError(display, None, f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CriteriaError(display, None, f"is not UTF-8 text (byte {exc.start})") from None
    return parse_criteria(text, display)


def parse_criteria(text: str, display: str) -> CriteriaFile:
    parsed = _parse(text, display)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return dataclasses.replace(parsed, sha256=digest)


def _parse(text: str, display: str) -> CriteriaFile:
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise CriteriaError(display, mark.line + 1 if mark else None,
                            f"is not valid YAML: {problem}") from None
    except RecursionError:
        raise CriteriaError(display, None, "is not valid YAML: nested too deeply") from None
    lines = _LineIndex(display)
    lines.index(root_node)
    return _Parser(display, lines).parse(data)


class _LineIndex:
    """Line of every key up to three levels deep; finds duplicate keys on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[tuple, int] = {}

    def index(self, node, path: tuple = (), depth: int = 0) -> None:
        if not isinstance(node, yaml.MappingNode) or depth > 3:
            return
        self.lines.setdefault(path, node.start_mark.line + 1)
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                raise CriteriaError(self.file, line,
                                    f"duplicate key {key!r} (first at line {seen[key]})")
            seen[key] = line
            self.lines[path + (key,)] = line
            self.index(value_node, path + (key,), depth + 1)

    def line(self, *path) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


class _Parser:
    def __init__(self, file: str, lines: _LineIndex) -> None:
        self.file, self.lines = file, lines

    def fail(self, path: tuple, message: str) -> CriteriaError:
        return CriteriaError(self.file, self.lines.line(*path), message)

    def parse(self, data) -> CriteriaFile:
        if data is None:
            raise self.fail((), "is empty; expected a 'criteria:' mapping")
        if not isinstance(data, dict):
            raise self.fail((), f"must be a mapping with a 'criteria:' key, not {_kind(data)}")
        self.unknown_keys(data, _TOP_KEYS, (), "top-level key")
        defaults = data.get("defaults") or {}
        if not isinstance(defaults, dict):
            raise self.fail(("defaults",), "'defaults' must be a mapping")
        self.unknown_keys(defaults, _DEFAULT_KEYS, ("defaults",), "key in 'defaults'")
        sections = {key: data.get(key)
                    for key in ("criteria", "profiles", "checkpoints", "regressions", "deploy")}
        if all(value is None for value in sections.values()):
            raise self.fail((), "has no 'criteria:' section")
        for key, value in sections.items():
            if value is not None and (not isinstance(value, dict) or not value):
                raise self.fail((key,), f"'{key}' must be a non-empty mapping of name → "
                                        "settings")
        criteria = tuple(self.criterion(str(name), body, defaults)
                         for name, body in (sections["criteria"] or {}).items())
        profiles = tuple(self.profile(str(name), body, defaults)
                         for name, body in (sections["profiles"] or {}).items())
        checkpoints = tuple(self.checkpoint(str(name), body, defaults)
                            for name, body in (sections["checkpoints"] or {}).items()
                            if body is not False)
        regressions = tuple(self.regression(str(name), body, defaults)
                            for name, body in (sections["regressions"] or {}).items())
        deploy = tuple(self.deploy_check(str(name), body)
                       for name, body in (sections["deploy"] or {}).items() if body is not False)
        return CriteriaFile(self.file, criteria, profiles, checkpoints, regressions, deploy)

    def unknown_keys(self, mapping: dict, allowed: tuple, path: tuple, what: str) -> None:
        for key in mapping:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                guess = f"; did you mean {hint[0]!r}?" if hint else ""
                raise self.fail(path + (key,), f"unknown {what} {key!r} (expected one of "
                                               f"{', '.join(allowed)}){guess}")

    def criterion(self, name: str, body, defaults: dict) -> Criterion:
        path = ("criteria", name)
        self.check_name(name, path)
        if not isinstance(body, dict):
            raise self.fail(path, f"criterion {name!r} must be a mapping, not {_kind(body)}")
        check = body.get("check", "threshold")
        if check not in CHECKS:
            raise self.fail(path + ("check",), f"criterion {name!r}: unknown check {check!r} "
                                               f"(expected {', '.join(CHECKS)})")
        self.unknown_keys(body, _KEYS[check], path, f"key in criterion {name!r}")
        get = lambda key, default=None: body.get(key, defaults.get(key, default))  # noqa: E731
        metric = body.get("metric", _DEFAULT_METRIC.get(check))
        if check in ("finished", "duration"):
            metric = metric or "run"
        if check == "streaming":
            metric = self.streaming(name, body, path)
        metric_list = self.metric_names(name, metric, path)
        severity = self.severity(name, get("severity", "fail"), path)
        split = get("split", "validation")
        if split not in SPLITS:
            raise self.fail(path + ("split",), f"criterion {name!r}: unknown split {split!r} "
                                               f"(expected {', '.join(SPLITS)})")
        on_missing = self.on_missing(name, get("on_missing", "fail"), path)
        at = self.aggregation(name, get("at", "final"), path + ("at",))
        bounds = tuple(Bound(op, self.number(name, body[op], path + (op,)))
                       for op in BOUND_KEYS if op in body)
        extra = {}
        if check == "trend":
            extra = self.trend(name, body, path)
        elif check in ("stagnation", "lr_schedule", "finished", "duration"):
            extra = self.health(name, check, body, path)
        elif check == "streaming":
            extra = {"options": {k: body[k] for k in ("measure", "variant", "faph", "cutoff")
                                 if k in body}}
            if not bounds:
                raise self.fail(path, f"criterion {name!r} has no bound: give one of "
                                      f"{', '.join(BOUND_KEYS)}")
        elif not bounds:
            raise self.fail(path, f"criterion {name!r} has no bound: give one of "
                                  f"{', '.join(BOUND_KEYS)}")
        if "confidence" in body:
            confidence = self.number(name, body["confidence"], path + ("confidence",))
            if not 0 < confidence < 1:
                raise self.fail(path + ("confidence",), f"criterion {name!r}: confidence is a "
                                                        "level between 0 and 1, like 0.95")
            extra["confidence"] = confidence
        if "on_unresolvable" in body:
            if body["on_unresolvable"] not in ("fail", "skip", "warn"):
                raise self.fail(path + ("on_unresolvable",), f"criterion {name!r}: "
                                "on_unresolvable must be fail, skip or warn, not "
                                f"{body['on_unresolvable']!r}")
            extra["on_unresolvable"] = body["on_unresolvable"]
        return Criterion(name=name, check=check, metrics=metric_list, split=split, at=at,
                         bounds=bounds, on_missing=on_missing, file=self.file,
                         line=self.lines.line(*path) or 1,
                         description=str(body.get("description", "")),
                         remedy=str(body.get("remedy", "")), severity=severity, **extra)

    def severity(self, name: str, value, path: tuple) -> str:
        if value not in SEVERITIES:
            raise self.fail(path + ("severity",), f"{name!r}: severity must be fail or warn, "
                                                  f"not {value!r}")
        return value

    def on_missing(self, name: str, value, path: tuple) -> str:
        if value not in ("fail", "skip"):
            raise self.fail(path + ("on_missing",), f"{name!r}: on_missing must be fail or "
                                                    f"skip, not {value!r}")
        return value

    def health(self, name: str, check: str, body: dict, path: tuple) -> dict:
        """Options of the guide's training-health checks, with the guide's numbers."""
        defaults = {"stagnation": {"above": 0.3, "min_change": 0.05},
                    "lr_schedule": {"tolerance": 1e-3}, "finished": {},
                    "duration": {}}[check]
        options = dict(defaults)
        for key in defaults:
            if key in body:
                options[key] = self.number(name, body[key], path + (key,))
        if check == "duration":
            if "max_hours" not in body:
                raise self.fail(path, f"criterion {name!r}: a duration check needs max_hours")
            options["max_hours"] = self.number(name, body["max_hours"], path + ("max_hours",))
        extra: dict = {"options": options}
        if check == "stagnation":
            extra.update(self.trend(name, {"max_spread": 0, **body}, path))
            extra.pop("max_spread", None)
            extra.pop("max_worsening", None)
        return extra

    def entry(self, section: str, kind: str, name: str, body, keys: tuple) -> tuple:
        """A named mapping of a section: a valid test id, a mapping, known keys only."""
        path = (section, name)
        self.check_name(name, path)
        if not isinstance(body, dict):
            raise self.fail(path, f"{kind} {name!r} must be a mapping")
        self.unknown_keys(body, keys, path, f"key in {kind} {name!r}")
        return path

    def profile(self, name: str, body, defaults: dict) -> ProfileBudget:
        path = self.entry("profiles", "profile budget", name, body, _PROFILE_KEYS)
        files = body.get("files", "profiles/*.prof")
        files = files if isinstance(files, list) else [files]
        if not files or not all(isinstance(f, str) and f for f in files):
            raise self.fail(path + ("files",), f"profile budget {name!r}: 'files' must be a "
                                               "glob or a list of globs")
        if any(".." in Path(f).parts or Path(f).is_absolute() for f in files):
            raise self.fail(path + ("files",), f"profile budget {name!r}: 'files' must stay "
                                               "inside the run folder (no '..', no absolute "
                                               "paths)")
        function = body.get("function")
        if function is not None and not isinstance(function, str):
            raise self.fail(path + ("function",), f"profile budget {name!r}: 'function' must "
                                                  "be a pattern like '*trainer.py:*(train_step)'")
        limits = tuple((key, self.number(name, body[key], path + (key,)))
                       for key in PROFILE_LIMITS if key in body)
        if not limits:
            raise self.fail(path, f"profile budget {name!r} has no limit: give one of "
                                  f"{', '.join(PROFILE_LIMITS)}")
        if function is None and any(key != "max_total" for key, _ in limits):
            raise self.fail(path, f"profile budget {name!r}: limits other than max_total "
                                  "need a 'function' pattern")
        combine = body.get("combine", "worst")
        if combine not in COMBINES:
            raise self.fail(path + ("combine",), f"profile budget {name!r}: unknown combine "
                                                 f"{combine!r} (expected {', '.join(COMBINES)})")
        return ProfileBudget(
            name=name, files=tuple(files), function=function, combine=combine, limits=limits,
            on_missing=self.on_missing(name, body.get("on_missing", defaults.get(
                "on_missing", "fail")), path),
            severity=self.severity(name, body.get("severity", "fail"), path),
            file=self.file, line=self.lines.line(*path) or 1,
            remedy=str(body.get("remedy", "")))

    def named_check(self, section: str, kind: str, name: str, body, known: tuple,
                    keys: tuple) -> tuple[tuple, dict]:
        """A check named by its key, switched on by true or configured by a mapping."""
        path = (section, name)
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            guess = f"; did you mean {hint[0]!r}?" if hint else ""
            raise self.fail(path, f"unknown {kind} check {name!r} (expected one of "
                                  f"{', '.join(known)}){guess}")
        if body is True or body is None:
            body = {}
        if not isinstance(body, dict):
            raise self.fail(path, f"{kind} check {name!r} must be true, false or a mapping")
        self.unknown_keys(body, keys, path, f"key in {kind} check {name!r}")
        return path, body

    def make_check(self, name: str, path: tuple, body: dict, options: dict) -> NamedCheck:
        return NamedCheck(
            name=name, options=options,
            on_missing=self.on_missing(name, body.get("on_missing", "fail"), path),
            severity=self.severity(name, body.get("severity", "fail"), path),
            file=self.file, line=self.lines.line(*path) or 1,
            remedy=str(body.get("remedy", "")))

    def checkpoint(self, name: str, body, defaults: dict) -> NamedCheck:
        path, body = self.named_check("checkpoints", "checkpoint", name, body,
                                      CHECKPOINT_CHECKS, _CHECKPOINT_KEYS)
        options = {"vanishing_below": 1e-6, "exploding_above": 1000.0, "identical": True}
        for key in ("vanishing_below", "exploding_above"):
            if key in body:
                options[key] = self.number(name, body[key], path + (key,))
        if "identical" in body:
            if not isinstance(body["identical"], bool):
                raise self.fail(path + ("identical",), f"{name!r}: 'identical' must be true "
                                                       "or false")
            options["identical"] = body["identical"]
        return self.make_check(name, path, body, options)

    def regression(self, name: str, body, defaults: dict) -> Regression:
        path = self.entry("regressions", "regression", name, body, _REGRESSION_KEYS)
        check = body.get("check", "threshold")
        if check not in ("threshold", "gap", "streaming"):
            raise self.fail(path + ("check",), f"regression {name!r}: check must be "
                                               f"threshold, gap or streaming, not {check!r}")
        metric = body.get("metric")
        options: dict = {}
        if check == "streaming":
            metric = self.streaming(name, body, path)
            options = {k: body[k] for k in ("measure", "variant", "faph", "cutoff") if k in body}
        get = lambda key, default=None: body.get(key, defaults.get(key, default))  # noqa: E731
        split = get("split", "validation")
        if split not in SPLITS:
            raise self.fail(path + ("split",), f"regression {name!r}: unknown split {split!r} "
                                               f"(expected {', '.join(SPLITS)})")
        criterion = Criterion(
            name=name, check=check, metrics=self.metric_names(name, metric, path),
            split=split, at=self.aggregation(name, get("at", "final"), path + ("at",)),
            bounds=(), on_missing=self.on_missing(name, get("on_missing", "fail"), path),
            file=self.file, line=self.lines.line(*path) or 1,
            severity=self.severity(name, get("severity", "fail"), path),
            remedy=str(body.get("remedy", "")), options=options)
        direction = body.get("direction")
        if direction not in (None, "lower", "higher"):
            raise self.fail(path + ("direction",), f"regression {name!r}: direction must be "
                                                   f"lower or higher (is better), not "
                                                   f"{direction!r}")
        numbers = {}
        for key in ("allowed", "allowed_pct", "significance"):
            if key in body:
                numbers[key] = self.number(name, body[key], path + (key,))
                if numbers[key] < 0:
                    raise self.fail(path + (key,), f"regression {name!r}: {key} must not be "
                                                   "negative")
        if "significance" in numbers and not 0 < numbers["significance"] < 1:
            raise self.fail(path + ("significance",), f"regression {name!r}: significance is "
                                                      "a p-value level between 0 and 1")
        return Regression(name=name, criterion=criterion, direction=direction,
                          allowed=numbers.get("allowed"), allowed_pct=numbers.get("allowed_pct"),
                          significance=numbers.get("significance"), file=self.file,
                          line=criterion.line)

    def deploy_check(self, name: str, body) -> NamedCheck:
        path, body = self.named_check("deploy", "deploy", name, body, DEPLOY_CHECKS,
                                      _DEPLOY_KEYS)
        options = {key: self.number(name, body[key], path + (key,))
                   for key in ("features", "max_kb") if key in body}
        return self.make_check(name, path, body, options)

    def check_name(self, name: str, path: tuple) -> None:
        if not _NAME.match(name):
            raise self.fail(path, f"name {name!r} may hold only letters, digits, '_', '-' "
                                  "and '.' (it becomes the test id)")

    def streaming(self, name: str, body: dict, path: tuple) -> str:
        """A streaming-ROC criterion: which figure of which model variant."""
        measure = body.get("measure")
        if measure not in STREAMING_MEASURES:
            raise self.fail(path + ("measure",), f"criterion {name!r}: measure must be one of "
                                                 f"{', '.join(STREAMING_MEASURES)}, not "
                                                 f"{measure!r}")
        needs = {"frr_at_faph": "faph", "quantization_loss": "faph",
                 "faph_at_cutoff": "cutoff"}.get(measure)
        if needs and needs not in body:
            raise self.fail(path, f"criterion {name!r}: measure {measure} needs {needs!r}")
        if needs:
            self.number(name, body[needs], path + (needs,))
        variant = body.get("variant", "quant")
        if not isinstance(variant, str):
            raise self.fail(path + ("variant",), f"criterion {name!r}: variant must be a "
                                                 "model variant name like 'quant'")
        return f"streaming:{measure}"

    def metric_names(self, name: str, value, path: tuple) -> tuple[str, ...]:
        names = value if isinstance(value, list) else [value]
        if value is None or not names or not all(isinstance(n, str) and n for n in names):
            raise self.fail(path + ("metric",), f"criterion {name!r}: 'metric' must be a "
                                                "metric name or a list of names in order of "
                                                "preference")
        return tuple(names)

    def aggregation(self, name: str, value, path: tuple) -> Aggregation:
        text = str(value)
        if text in ("final", "best", "min", "max"):
            return Aggregation(text)
        match = re.fullmatch(r"(step|last):(\d+)", text)
        if match and (match.group(1) == "step" or int(match.group(2)) > 0):
            return Aggregation(match.group(1), int(match.group(2)))
        raise self.fail(path, f"criterion {name!r}: unknown aggregation {text!r} "
                              f"(expected {AGGREGATIONS})")

    def number(self, name: str, value, path: tuple) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.fail(path, f"criterion {name!r}: {path[-1]!r} must be a number, "
                                  f"not {value!r}")
        return float(value)

    def trend(self, name: str, body: dict, path: tuple) -> dict:
        window = body.get("window", 5)
        if isinstance(window, bool) or not isinstance(window, int) or window < 2:
            raise self.fail(path + ("window",), f"criterion {name!r}: 'window' must be a whole "
                                                f"number of evaluations >= 2, not {window!r}")
        out = {"window": window}
        for key in ("max_worsening", "max_spread"):
            if key in body:
                out[key] = self.number(name, body[key], path + (key,))
        if len(out) == 1:
            raise self.fail(path, f"criterion {name!r}: a trend check needs max_worsening "
                                  "and/or max_spread")
        return out


def _kind(value) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "empty"}.get(type(value), type(value).__name__)

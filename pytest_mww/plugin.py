"""pytest glue: options, collection of one test item per (run, criterion), the ``mww_run``
fixture, JUnit properties and the terminal summary. The only module that imports pytest.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .baseline import (
    Baseline,
    BaselineError,
    baseline_from_run,
    compare,
    load_baseline_file,
    run_alerts,
    snapshot,
    write_snapshot,
)
from .checkpoint_rules import judge_checkpoint
from .criteria import CriteriaError, CriteriaFile, Criterion, load_criteria
from .deploy_rules import judge_deploy
from .github import Result, annotations, summary_markdown
from .judge import Verdict, judge
from .layout import LOOKED_FOR, Layout, find_layout
from .plots import MISSING_MATPLOTLIB, matplotlib_available, plot_run
from .profile_rules import judge_profile, profile_files
from .report import VERDICT_MARKUP, Row, row_from_properties, table_lines
from .run import RunModel, load_run

PACKAGED_CRITERIA = Path(__file__).with_name("example_criteria.yaml")


@dataclass(frozen=True)
class RunSpec:
    path: Path
    id: str


@dataclass(frozen=True)
class BaselinePlan:
    """What --mww-baseline means for one run: compare with a file or run folder, or write
    the file first (create) or again (update)."""

    path: Path
    kind: str  # file | run | create | update


@dataclass
class GateState:
    runs: list[RunSpec]
    criteria_path: Path
    criteria_display: str
    timestamp: str | None
    console: Path | None = None
    baselines: dict[str, BaselinePlan] = field(default_factory=dict)
    save_to: dict[str, Path] = field(default_factory=dict)
    models: dict[Path, RunModel] = field(default_factory=dict)
    layouts: dict[Path, Layout] = field(default_factory=dict)
    loaded_baselines: dict[Path, Baseline] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)
    rows: list[Row] = field(default_factory=list)

    def baseline(self, plan: BaselinePlan, criteria: CriteriaFile) -> Baseline:
        if plan.path not in self.loaded_baselines:
            self.loaded_baselines[plan.path] = (
                baseline_from_run(plan.path, criteria) if plan.kind == "run"
                else load_baseline_file(plan.path))
        return self.loaded_baselines[plan.path]

    def layout(self, spec: RunSpec) -> Layout:
        """The folder's files, found once per session (collection and loading share it)."""
        if spec.path not in self.layouts:
            self.layouts[spec.path] = find_layout(spec.path, self.timestamp, self.console)
        return self.layouts[spec.path]

    def load(self, spec: RunSpec) -> RunModel:
        if spec.path not in self.models:
            self.models[spec.path] = load_run(spec.path, spec.id, self.timestamp,
                                              self.console, self.layout(spec))
        return self.models[spec.path]


_STATE = pytest.StashKey[GateState]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mww", "microWakeWord training-run gate (pytest-mww)")
    group.addoption("--mww-run", action="append", default=[], metavar="PATH",
                    help="training run folder to judge; repeat for several runs")
    group.addoption("--mww-criteria", metavar="FILE", default=None,
                    help="criteria YAML (default: ini mww_criteria, else the packaged "
                         "example_criteria.yaml)")
    group.addoption("--mww-timestamp", metavar="YYYYMMDD_HHMMSS", default=None,
                    help="in a folder holding several runs, judge the one whose log and "
                         "TensorBoard folder are nearest this timestamp (default: newest)")
    group.addoption("--mww-console", metavar="FILE", default=None,
                    help="the console output of an official microWakeWord training (its "
                         "INFO:absl lines), when it is not saved inside the run folder")
    group.addoption("--mww-baseline", action="append", default=[], metavar="[RUN=]PATH",
                    help="baseline to compare with: a baseline file or an earlier run folder; "
                         "RUN=PATH for one run only. A file that does not exist is created "
                         "and the regression tests fail with 're-run'")
    group.addoption("--mww-save-baseline", action="append", default=[], metavar="[RUN=]FILE",
                    help="write the run's judged values to FILE (JSON)")
    group.addoption("--mww-update-baseline", action="store_true", default=False,
                    help="rewrite the --mww-baseline files from this run, deliberately")
    group.addoption("--mww-summary", metavar="FILE", default=None,
                    help="write the Markdown job summary to FILE (also written to "
                         "$GITHUB_STEP_SUMMARY when that is set)")
    group.addoption("--mww-warn-only", action="store_true", default=False,
                    help="judge and report everything, but exit 0 when only gate checks "
                         "failed (for adopting the gate on an existing project)")
    group.addoption("--mww-plots", metavar="DIR", default=None,
                    help="write a PNG of each run's curves to DIR (needs the 'plots' extra)")
    parser.addini("mww_criteria", "criteria YAML for pytest-mww, relative to the ini file",
                  type="string", default="")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    paths = config.getoption("mww_run") or []
    specs = _run_specs(paths)
    _keep_config_out_of_runs(config, specs)
    criteria_path = _criteria_path(config)
    timestamp = config.getoption("mww_timestamp")
    if timestamp and not _valid_timestamp(timestamp):
        raise pytest.UsageError(f"--mww-timestamp {timestamp!r}: expected YYYYMMDD_HHMMSS")
    state = GateState(specs, criteria_path, _display(criteria_path), timestamp)
    console = config.getoption("mww_console")
    if console:
        if not Path(console).is_file():
            raise pytest.UsageError(f"--mww-console {console}: no such file")
        state.console = Path(console).resolve()
    state.baselines = _baseline_plans(config, specs)
    state.save_to = _named_paths(config.getoption("mww_save_baseline"), specs,
                                 "--mww-save-baseline")
    config.stash[_STATE] = state
    if config.getoption("mww_plots") and not matplotlib_available():
        raise pytest.UsageError(MISSING_MATPLOTLIB)
    if specs:
        config.pluginmanager.register(GateReporter(config, state), "mww-reporter")


def _named_paths(values: list[str], specs: list[RunSpec], option: str) -> dict[str, Path]:
    """``PATH`` for every run, or ``RUN=PATH`` for one; RUN is a run id or folder name."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, raw = value.partition("=")
        if sep and not Path(value).exists():
            matches = [s for s in specs if name in (s.id, s.path.name)]
            if not matches:
                known = ", ".join(s.id for s in specs) or "none"
                raise pytest.UsageError(f"{option} {value}: no --mww-run named {name!r} "
                                        f"(runs: {known})")
            targets = matches
        else:
            raw, targets = value, specs
        for spec in targets:
            out[spec.id] = Path(raw).resolve()
    return out


def _baseline_plans(config: pytest.Config, specs: list[RunSpec]) -> dict[str, BaselinePlan]:
    paths = _named_paths(config.getoption("mww_baseline"), specs, "--mww-baseline")
    update = config.getoption("mww_update_baseline")
    if update and not paths:
        raise pytest.UsageError("--mww-update-baseline needs --mww-baseline FILE")
    plans: dict[str, BaselinePlan] = {}
    for run_id, path in paths.items():
        if path.is_dir():
            if update:
                raise pytest.UsageError(f"--mww-update-baseline: {path} is a run folder; "
                                        "only a baseline file can be rewritten")
            plans[run_id] = BaselinePlan(path, "run")
        elif path.exists():
            plans[run_id] = BaselinePlan(path, "update" if update else "file")
            if not update:
                try:
                    load_baseline_file(path)
                except BaselineError as exc:
                    raise pytest.UsageError(str(exc)) from None
        elif not path.parent.is_dir():
            raise pytest.UsageError(f"--mww-baseline {path}: neither a file nor a run folder, "
                                    f"and {path.parent} does not exist to create it in")
        else:
            plans[run_id] = BaselinePlan(path, "update" if update else "create")
    writers = [p.path for p in plans.values() if p.kind in ("create", "update")]
    if len(writers) != len(set(writers)):
        raise pytest.UsageError("several runs would write the same baseline file; give one "
                                "per run as --mww-baseline RUN=FILE")
    return plans


def _keep_config_out_of_runs(config: pytest.Config, specs: list[RunSpec]) -> None:
    """A run folder is untrusted: pytest must not take its config or root from there.

    pytest looks for its ini file and rootdir from every path-like command-line word
    before plugins are loaded, so ``--mww-run ./run`` (two words) makes it search the run
    folder. ``--mww-run=./run`` (one word) avoids that; this guard catches the rest.
    """
    def inside(path: Path | None) -> RunSpec | None:
        for spec in specs:
            if path is not None and (path == spec.path or spec.path in path.parents):
                return spec
        return None

    spec = inside(config.inipath)
    if spec is not None:
        raise pytest.UsageError(
            f"pytest took its configuration from {config.inipath}, inside the run folder "
            f"{spec.path}; a run folder is untrusted and is never used as configuration. "
            f"Write --mww-run={spec.path} (one word) or pass -c/--rootdir.")
    derived_from_runs = any(config.rootpath == s.path or config.rootpath in s.path.parents
                            for s in specs)
    if config.inipath is None and derived_from_runs and not config.getoption("rootdir", None):
        # No ini file anywhere: pytest fell back to the run folders (or their common
        # parent) as rootdir. Root the session where pytest was invoked instead, so that
        # node ids stay short and .pytest_cache is not written beside the runs.
        config._rootpath = config.invocation_params.dir


def _valid_timestamp(text: str) -> bool:
    digits = text.replace("_", "")
    return digits.isdigit() and len(digits) == 14


def _run_specs(paths: list[str]) -> list[RunSpec]:
    resolved: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise pytest.UsageError(f"--mww-run {raw}: no such folder")
        if not path.is_dir():
            raise pytest.UsageError(f"--mww-run {raw}: not a folder (give the run folder "
                                    "that holds logs/ and checkpoints/)")
        path = path.resolve()
        if path not in resolved:
            resolved.append(path)
    ids = _unique_ids(resolved)
    return [RunSpec(path, run_id) for path, run_id in zip(resolved, ids, strict=True)]


def _unique_ids(paths: list[Path]) -> list[str]:
    """Folder names, with as many parent folders as it takes to tell runs apart."""
    depth = 1
    while True:
        ids = ["/".join(p.parts[-depth:]).replace("::", "_") or "run" for p in paths]
        if len(set(ids)) == len(ids) or depth > max((len(p.parts) for p in paths), default=1):
            break
        depth += 1
    return [i.replace("/", "__") for i in ids]


def _criteria_path(config: pytest.Config) -> Path:
    option = config.getoption("mww_criteria")
    if option:
        path = Path(option)
        if not path.is_file():
            raise pytest.UsageError(f"--mww-criteria {option}: no such file")
        return path.resolve()
    ini = config.getini("mww_criteria")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        path = (base / ini).resolve()
        if not path.is_file():
            raise pytest.UsageError(f"ini mww_criteria = {ini}: no such file ({path})")
        return path
    return PACKAGED_CRITERIA


def _display(path: Path) -> str:
    if path == PACKAGED_CRITERIA:
        return "example_criteria.yaml (packaged)"
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _workspace_path(path: Path) -> str:
    """The path as CI annotations need it: relative to the checkout, or '' outside it."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return ""


def _state(config: pytest.Config) -> GateState:
    return config.stash[_STATE]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Never collect (and so never import) anything inside a run folder."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    for spec in state.runs:
        if collection_path == spec.path or spec.path in collection_path.parents:
            return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    state = _state(config)
    if not state.runs:
        return
    gate = MwwGate.from_parent(session, name="mww", nodeid="mww", path=state.criteria_path)
    items.extend(session.genitems(gate))


class MwwGate(pytest.Collector):
    """Reads the criteria file once; one child per run."""

    def collect(self):
        state = _state(self.config)
        criteria = load_criteria(state.criteria_path, state.criteria_display)
        for spec in state.runs:
            yield RunCollector.from_parent(self, name=spec.id, spec=spec, criteria=criteria)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CriteriaError):
            return f"criteria file error: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, "mww"


class RunCollector(pytest.Collector):
    def __init__(self, *, spec: RunSpec, criteria: CriteriaFile, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec, self.criteria = spec, criteria

    def collect(self):
        """Only the folder's layout is looked at here; the run is read by the first item
        that judges it (so an xdist worker reads only the runs it judges)."""
        state = _state(self.config)
        try:
            layout = state.layout(self.spec)
        except Exception as exc:  # a bug must not hide the other runs
            yield BrokenRunItem.from_parent(self, name="run", error=exc)
            return
        if not layout.recognised:
            yield BrokenRunItem.from_parent(self, name="run", error=None)
            return
        yield from (CriterionItem.from_parent(self, name=c.name, criterion=c)
                    for c in self.criteria.criteria)
        if self.criteria.profiles:
            yield ProfileGroup.from_parent(self, name="profile", budgets=self.criteria.profiles,
                                           root=self.spec.path)
        if self.criteria.checkpoints:
            yield CheckGroup.from_parent(self, name="checkpoint", checks=self.criteria.checkpoints,
                                         rule=judge_checkpoint)
        if self.criteria.deploy:
            yield CheckGroup.from_parent(self, name="deploy", checks=self.criteria.deploy,
                                         rule=judge_deploy)
        plan = state.baselines.get(self.spec.id)
        if self.criteria.regressions and plan is not None:
            yield RegressionGroup.from_parent(self, name="regression", plan=plan,
                                              criteria=self.criteria)

    def reportinfo(self):
        return self.spec.path, None, self.spec.id


class ProfileGroup(pytest.Collector):
    """``mww::<run>::profile::<budget>``: one item per budget, or per file (combine: each)."""

    def __init__(self, *, budgets, root: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.budgets, self.root = budgets, root
        self.spec = self.parent.spec

    def collect(self):
        for budget in self.budgets:
            files = profile_files(budget, self.root)
            groups = [(f"{budget.name}[{p.stem}]", [p]) for p in files] \
                if budget.combine == "each" and files else [(budget.name, files)]
            for name, chosen in groups:
                yield RuleItem.from_parent(
                    self, name=name, line=budget.line,
                    judge=lambda run, budget=budget, chosen=chosen: judge_profile(
                        budget, run, chosen))


class CheckGroup(pytest.Collector):
    """``mww::<run>::checkpoint::<check>`` and ``mww::<run>::deploy::<check>``: named
    checks judged by one rule function each."""

    def __init__(self, *, checks, rule, **kwargs) -> None:
        super().__init__(**kwargs)
        self.checks, self.rule = checks, rule
        self.spec = self.parent.spec

    def collect(self):
        for check in self.checks:
            yield RuleItem.from_parent(self, name=check.name, line=check.line,
                                       judge=lambda run, check=check: self.rule(check, run))


class RegressionGroup(pytest.Collector):
    """``mww::<run>::regression::<name>``: the candidate against its baseline."""

    def __init__(self, *, plan: BaselinePlan, criteria: CriteriaFile, **kwargs) -> None:
        super().__init__(**kwargs)
        self.plan, self.criteria = plan, criteria
        self.spec = self.parent.spec

    def collect(self):
        for regression in self.criteria.regressions:
            yield RegressionItem.from_parent(self, name=regression.name, regression=regression)


class MwwWarning(pytest.PytestWarning):
    """A check with ``severity: warn`` found a problem: shown, but the build passes."""


class _GateItem(pytest.Item):
    """Common ground of the gate's items: verdict → outcome, properties and failure text."""

    @property
    def spec(self) -> RunSpec:
        return self.parent.spec

    def model(self) -> RunModel:
        return _state(self.config).load(self.spec)

    def conclude(self, verdict: Verdict, criterion_name: str) -> None:
        spec = self.spec
        path, line, _ = self.reportinfo()
        props = {"mww_run": spec.id, "mww_criterion": criterion_name, **verdict.properties,
                 "verdict": verdict.outcome, "message": verdict.headline,
                 "mww_file": _workspace_path(Path(path)),
                 "mww_line": str((line or 0) + 1) if line is not None else ""}
        self.user_properties.extend(props.items())
        if verdict.outcome == "warned":
            path, line, _ = self.reportinfo()
            warnings.warn_explicit(MwwWarning(f"{spec.id}::{criterion_name}: "
                                              f"{verdict.headline}"), MwwWarning,
                                   filename=str(path), lineno=(line or 0) + 1)
        if verdict.outcome == "failed":
            raise VerdictFailure(verdict)
        if verdict.outcome == "skipped":
            # Report the skip at the criterion's line in the YAML, not inside the plugin.
            raise pytest.skip.Exception(verdict.headline, _use_item_location=True)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, VerdictFailure):
            path, line, _ = self.reportinfo()
            return VerdictRepr(excinfo.value.verdict, str(path), (line or 0) + 1)
        return super().repr_failure(excinfo, style=style)


class CriterionItem(_GateItem):
    def __init__(self, *, criterion: Criterion, **kwargs) -> None:
        super().__init__(**kwargs)
        self.criterion = criterion

    def runtest(self) -> None:
        self.conclude(_guarded(self.name, lambda: judge(self.criterion, self.model())),
                      self.criterion.name)

    def reportinfo(self):
        return self.path, self.criterion.line - 1, f"{self.spec.id}::{self.name}"


class RuleItem(_GateItem):
    """A profile budget, checkpoint check or deploy check: a rule applied to the run."""

    def __init__(self, *, line: int, judge, **kwargs) -> None:
        super().__init__(**kwargs)
        self.line, self.judge = line, judge

    @property
    def label(self) -> str:
        return f"{self.parent.name}::{self.name}"

    def runtest(self) -> None:
        self.conclude(_guarded(self.name, lambda: self.judge(self.model())), self.label)

    def reportinfo(self):
        return self.path, self.line - 1, f"{self.spec.id}::{self.label}"


class RegressionItem(_GateItem):
    def __init__(self, *, regression, **kwargs) -> None:
        super().__init__(**kwargs)
        self.regression = regression

    def runtest(self) -> None:
        plan, criteria = self.parent.plan, self.parent.criteria
        if plan.kind in ("create", "update"):
            done = "created" if plan.kind == "create" else "updated"
            verdict = Verdict("failed", f"baseline {done} at {plan.path}; re-run"
                              + (" without --mww-update-baseline" if done == "updated" else "")
                              + " to compare against it",
                              ["the file is written once the session ends, from this run's "
                               "values; review and commit it"])
        else:
            state = _state(self.config)
            verdict = _guarded(self.name, lambda: self._compare(state, plan, criteria))
        for alert in verdict.alerts:
            self._alert(alert)
        self.conclude(verdict, f"regression::{self.name}")

    def _compare(self, state: GateState, plan: BaselinePlan, criteria: CriteriaFile) -> Verdict:
        run, baseline = self.model(), state.baseline(plan, criteria)
        verdict = compare(self.regression, run, baseline, criteria)
        whole_run = run_alerts(run, baseline, criteria)
        verdict.details += [f"warning: {a}" for a in whole_run]
        if self.spec.id not in state.alerted:  # said loudly once per run
            state.alerted.add(self.spec.id)
            verdict.alerts += whole_run
        return verdict

    def _alert(self, text: str) -> None:
        path, line, _ = self.reportinfo()
        warnings.warn_explicit(MwwWarning(f"{self.spec.id}::regression::{self.name}: {text}"),
                               MwwWarning, filename=str(path), lineno=(line or 0) + 1)

    def reportinfo(self):
        return self.path, self.regression.line - 1, f"{self.spec.id}::regression::{self.name}"


def _guarded(name: str, work) -> Verdict:
    """Run a judgement; an unexpected error fails the item with a message, never a trace."""
    try:
        verdict = work()
    except Exception as exc:
        verdict = Verdict("failed", f"{name} not judged: internal error "
                                    f"{type(exc).__name__}: {exc}",
                          ["this is a bug in pytest-mww; please report it with the run "
                           "folder's listing and the criteria file"])
    verdict.properties.setdefault("display", _display_value(verdict))
    return verdict


class BrokenRunItem(_GateItem):
    """Stands for a run that could not be judged at all, so that it still fails visibly."""

    def __init__(self, *, error: Exception | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        path = self.parent.spec.path
        if self.error is None:
            verdict = Verdict("failed", f"no microWakeWord run found in {path}",
                              [f"looked for: {LOOKED_FOR}"])
        else:
            verdict = Verdict("failed", f"reading the run in {path} failed: "
                                        f"{type(self.error).__name__}: {self.error}",
                              ["this is a bug in pytest-mww; please report it with the run "
                               "folder's listing"])
        self.conclude(verdict, "run")

    def reportinfo(self):
        return self.parent.spec.path, None, f"{self.parent.spec.id}::run"


def _display_value(verdict: Verdict) -> str:
    headline = verdict.headline
    if " = " in headline and verdict.properties.get("observed"):
        return headline.split(" = ", 1)[1].split(" ")[0]
    return "—"


class VerdictFailure(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.headline)
        self.verdict = verdict


@dataclass
class _Crash:
    path: str
    lineno: int
    message: str


class VerdictRepr:
    """A failure whose first line stands alone (JUnit message, short summary, annotation)."""

    def __init__(self, verdict: Verdict, path: str, line: int) -> None:
        self.text = verdict.text
        self.reprcrash = _Crash(path, line, verdict.headline)

    @classmethod
    def from_text(cls, text: str, path: str, line: int) -> VerdictRepr:
        return cls(Verdict("failed", text.split("\n", 1)[0],
                           text.split("\n")[1:]), path, line)

    def toterminal(self, tw) -> None:
        for index, line in enumerate(self.text.splitlines()):
            tw.line(line, red=index == 0, bold=index == 0)

    def __str__(self) -> str:
        return self.text


# --- xdist: a verdict's first line survives the trip from a worker ------------------


@pytest.hookimpl(tryfirst=True)
def pytest_report_to_serializable(config: pytest.Config, report):
    longrepr = getattr(report, "longrepr", None)
    if not isinstance(longrepr, VerdictRepr):
        return None
    from _pytest.reports import pytest_report_to_serializable as default

    data = default(report)
    data["mww_verdict"] = [longrepr.reprcrash.path, longrepr.reprcrash.lineno]
    return data


@pytest.hookimpl(tryfirst=True)
def pytest_report_from_serializable(config: pytest.Config, data):
    if not isinstance(data, dict) or "mww_verdict" not in data:
        return None
    from _pytest.reports import pytest_report_from_serializable as default

    report = default(data)
    path, line = data["mww_verdict"]
    report.longrepr = VerdictRepr.from_text(str(report.longrepr), path, line)
    return report


# --- fixture ---------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mww_run" not in metafunc.fixturenames:
        return
    state = _state(metafunc.config)
    if state.runs:
        metafunc.parametrize("mww_run", state.runs, ids=[s.id for s in state.runs],
                             indirect=True)


@pytest.fixture
def mww_run(request: pytest.FixtureRequest) -> RunModel:
    """The run model of each ``--mww-run`` folder, for checks written in Python."""
    spec = getattr(request, "param", None)
    if spec is None:
        pytest.skip("no --mww-run given: the mww_run fixture has no run to hand over")
    run = _state(request.config).load(spec)
    if not run.recognised:
        pytest.fail(f"no microWakeWord run found in {spec.path} (looked for: {LOOKED_FOR})",
                    pytrace=False)
    return run


# --- reporting: terminal table, GitHub summary and annotations, plots, exit status ----


class GateReporter:
    """Collects every gate report (also those xdist workers send back) and reports once."""

    def __init__(self, config: pytest.Config, state: GateState) -> None:
        self.config, self.state = config, state
        self.reports: list[tuple[dict[str, str], str, str]] = []
        self.messages: list[str] = []  # said at the end of the terminal summary

    @property
    def on_controller(self) -> bool:
        return not hasattr(self.config, "workerinput")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and report.skipped):
            props = {str(k): str(v) for k, v in report.user_properties}
            if "mww_run" in props:
                self.reports.append((props, report.outcome, report.nodeid))

    def rows(self) -> list[Row]:
        return [r for props, outcome, _ in self.reports
                if (r := row_from_properties(props, outcome)) is not None]

    def results(self) -> list[Result]:
        out = []
        for props, outcome, _ in self.reports:
            if props.get("verdict") == "warned" and outcome == "passed":
                outcome = "warned"
            try:
                value = float(props.get("observed", ""))
            except ValueError:
                value = None
            line = props.get("mww_line", "")
            out.append(Result(props["mww_run"], props.get("mww_criterion", "?"), outcome,
                              props.get("display", props.get("observed", "—")),
                              props.get("threshold", ""), props.get("message", ""),
                              props.get("metric", ""), value, props.get("mww_file", ""),
                              int(line) if line.isdigit() else None))
        return out

    def pytest_terminal_summary(self, terminalreporter) -> None:
        rows = self.rows()
        if not rows:
            return
        for spec in self.state.runs:
            mine = [r for r in rows if r.run == spec.id]
            if not mine:
                continue
            terminalreporter.write_sep("=", f"mww gate: {spec.id}")
            for text, verdict in table_lines(mine):
                terminalreporter.write_line(text, **VERDICT_MARKUP.get(verdict, {"bold": True}))
            model = self.state.models.get(spec.path)
            for warning in (model.warnings() if model else [])[:10]:
                terminalreporter.write_line(f"note: {warning}", yellow=True)
        if self.on_controller:
            self._github(terminalreporter)
        for message in self.messages:
            terminalreporter.write_line(message, yellow=True)

    def _github(self, terminalreporter) -> None:
        results = self.results()
        if os.environ.get("GITHUB_ACTIONS") == "true":
            for line in annotations(results):
                terminalreporter.write_line(line)
        plots = self._plots(terminalreporter)
        targets = [(Path(p), "w") for p in [self.config.getoption("mww_summary")] if p]
        if os.environ.get("GITHUB_STEP_SUMMARY"):
            targets.append((Path(os.environ["GITHUB_STEP_SUMMARY"]), "a"))
        if not targets:
            return
        notes = {}
        for spec in self.state.runs:
            model = self.state.models.get(spec.path)
            notes[spec.id] = model.warnings() if model else []
        text = summary_markdown(results, notes, plots)
        for path, mode in targets:
            try:
                with open(path, mode, encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                terminalreporter.write_line(f"mww: could not write the summary to {path}: "
                                            f"{exc.strerror or exc}", red=True)

    def _plots(self, terminalreporter) -> dict[str, str]:
        folder = self.config.getoption("mww_plots")
        if not folder:
            return {}
        try:
            criteria = load_criteria(self.state.criteria_path, self.state.criteria_display)
        except CriteriaError:
            return {}
        written = {}
        for spec in self.state.runs:
            run = self.state.load(spec)
            if run.recognised:
                path = plot_run(run, criteria, Path(folder))
                written[spec.id] = str(path)
                terminalreporter.write_line(f"mww: plot of {spec.id} written to {path}")
        return written

    @pytest.hookimpl(wrapper=True, trylast=True)  # inside the terminal reporter's wrapper
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus):
        result = yield
        if self.on_controller:
            self._write_baselines()
        if (self.config.getoption("mww_warn_only")
                and session.exitstatus == pytest.ExitCode.TESTS_FAILED):
            failed = [nodeid for _, outcome, nodeid in self.reports if outcome == "failed"]
            if session.testsfailed == len(failed):  # only gate items failed
                session.exitstatus = pytest.ExitCode.OK
                self.messages.append(f"mww: --mww-warn-only: {len(failed)} gate failure(s) "
                                     "reported; exit status 0")
        return result

    def _write_baselines(self) -> None:
        """Baseline files are written here, once, by the controller (never by workers)."""
        state = self.state
        writes = [(spec, plan.path, plan.kind == "create") for spec in state.runs
                  if (plan := state.baselines.get(spec.id))
                  and plan.kind in ("create", "update")]
        writes += [(spec, state.save_to[spec.id], False) for spec in state.runs
                   if spec.id in state.save_to]
        if not writes:
            return
        try:
            criteria = load_criteria(state.criteria_path, state.criteria_display)
        except CriteriaError:
            return  # already reported as a collection error
        for spec, path, exclusive in writes:
            run = state.load(spec)
            if not run.recognised:
                continue
            try:
                write_snapshot(path, snapshot(run, criteria), exclusive=exclusive)
            except OSError as exc:
                message = f"mww: could not write baseline {path}: {exc.strerror or exc}"
            else:
                message = f"mww: baseline of {spec.id} written to {path}"
            self.messages.append(message)

"""Checks of what ESPHome loads: the manifest and the streaming TFLite model.

Plain Python (no pytest). Each check says which files it judged; a check whose files the
folder does not hold is not judged (it fails, or is skipped where the YAML says so).
"""

from __future__ import annotations

import math
import os
from pathlib import Path, PurePosixPath

from .criteria import NamedCheck
from .judge import Unjudged, Verdict, about_run, apply
from .readers.deploy import ESPHOME_OPERATORS, TfliteModel, read_tflite
from .readers.jsonfiles import read_json
from .run import RunModel

MANIFEST_KEYS = ("probability_cutoff", "sliding_window_size", "feature_step_size",
                 "tensor_arena_size", "minimum_esphome_version")


def judge_deploy(check: NamedCheck, run: RunModel) -> Verdict:
    rules = {"manifest": _manifest, "cutoff_sane": _cutoff_sane, "tflite": _tflite,
             "input_quantized": _input_quantized, "operators": _operators, "size": _size,
             "cutoff_agrees": _cutoff_agrees}
    verdict = apply(lambda: rules[check.name](check, run), check.on_missing, check.severity)
    verdict.details.append(f"check: {check.file}:{check.line} (deploy.{check.name})")
    about_run(verdict, run)
    return verdict


def _manifest_data(run: RunModel) -> tuple[Path, dict]:
    manifests = run.layout.manifests
    if not manifests:
        raise Unjudged(f"run {run.name} holds no ESPHome manifest", [
            "looked for a .json file beside a .tflite model (mww-export writes "
            "models/exported/<name>.json; for official runs write it into tflite_*/)"],
            skippable=True)
    path = manifests[0]
    result = read_json(path, run.layout.rel(path))
    if result.problem is not None:
        raise Unjudged(f"manifest not judged: {result.problem}", [], skippable=False)
    if not isinstance(result.data, dict):
        raise Unjudged(f"manifest {result.path} is not a JSON object", [], skippable=False)
    return path, result.data


def _manifest(check: NamedCheck, run: RunModel) -> Verdict:
    path, data = _manifest_data(run)
    display = run.layout.rel(path)
    micro = data.get("micro") if isinstance(data.get("micro"), dict) else {}
    missing = [k for k in ("type", "model", "version") if k not in data]
    missing += [f"micro.{k}" for k in MANIFEST_KEYS if k not in micro]
    problems = []
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if data.get("version") not in (None, 2):
        problems.append(f"version {data.get('version')!r} (ESPHome reads version 2)")
    if data.get("type") not in (None, "micro"):
        problems.append(f"type {data.get('type')!r} (expected 'micro')")
    model = data.get("model")
    if isinstance(model, str):
        target = _inside(path.parent, model)
        if target is None:
            problems.append(f"model {model!r} points outside the run folder; not opened")
        elif not target.is_file() or target.is_symlink():
            problems.append(f"model {model!r} does not exist beside the manifest")
    if problems:
        verdict = Verdict("failed", f"manifest {display} is not usable by ESPHome: "
                                    f"{problems[0]}")
        verdict.details += [f"  - {p}" for p in problems[1:]]
    else:
        verdict = Verdict("passed", f"manifest {display} (version 2) names {model}, which "
                                    "exists")
    verdict.properties.update(metric="manifest", source=display,
                              observed="ok" if not problems else problems[0],
                              display="ok" if not problems else "invalid")
    return verdict


def _inside(folder: Path, name: str) -> Path | None:
    pure = PurePosixPath(name.replace("\\", "/"))
    normal = PurePosixPath(os.path.normpath(str(pure)))
    if pure.is_absolute() or (normal.parts and normal.parts[0] == ".."):
        return None
    return folder / normal


def _cutoff(run: RunModel) -> tuple[float, str]:
    path, data = _manifest_data(run)
    micro = data.get("micro") if isinstance(data.get("micro"), dict) else {}
    cutoff = micro.get("probability_cutoff")
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float)):
        raise Unjudged(f"manifest {run.layout.rel(path)} has no numeric "
                       "micro.probability_cutoff", [], skippable=False)
    return float(cutoff), run.layout.rel(path)


def _cutoff_sane(check: NamedCheck, run: RunModel) -> Verdict:
    cutoff, where = _cutoff(run)
    if not math.isfinite(cutoff) or not 0.0 < cutoff < 1.0:
        kind = ("never fires: no probability can exceed it" if cutoff >= 1.0 else
                "always fires: every probability exceeds it" if cutoff <= 0.0 else
                "is not a number")
        verdict = Verdict("failed", f"probability_cutoff {cutoff:g} in {where} makes a model "
                                    f"that {kind}")
        verdict.details.append("the trainer's threshold saturated (too few ambient hours "
                               "for the target FA/h) or the sidecar held a stale value; "
                               "set the cutoff from the streaming ROC at your FA/h budget")
    else:
        verdict = Verdict("passed", f"probability_cutoff {cutoff:g} in {where} lies strictly "
                                    "between 0 and 1")
    verdict.properties.update(metric="probability_cutoff", observed=repr(cutoff),
                              display=f"{cutoff:g}", source=where, threshold="0 < cutoff < 1")
    return verdict


def _models(run: RunModel) -> list[TfliteModel]:
    """The model the manifest names, else every .tflite of the folder."""
    paths = run.layout.tflites
    if run.layout.manifests:
        try:
            path, data = _manifest_data(run)
            named = _inside(path.parent, str(data.get("model", "")))
            if named is not None and named.is_file() and not named.is_symlink():
                paths = [named]
        except Unjudged:
            pass
    paths = [p for p in paths if not p.is_symlink()]
    if not paths:
        raise Unjudged(f"run {run.name} holds no .tflite model",
                       ["mww-export writes models/exported/<name>.tflite; the official "
                        "trainer tflite_<variant>/<variant>.tflite"], skippable=True)
    models = [read_tflite(p, run.layout.rel(p)) for p in paths]
    broken = [m for m in models if m.problem is not None]
    if broken:
        raise Unjudged(f"model not judged: {broken[0].problem}", [], skippable=False)
    return models


def _tflite(check: NamedCheck, run: RunModel) -> Verdict:
    models = _models(run)
    verdict = Verdict("passed", f"{len(models)} TFLite model(s) parse: " + "; ".join(
        f"{m.path} ({m.subgraphs} subgraph(s), {len(m.operators)} operators)" for m in models))
    verdict.properties.update(metric="tflite", observed="parses", display="parses",
                              source=models[0].path)
    return verdict


def _input_quantized(check: NamedCheck, run: RunModel) -> Verdict:
    features = int(check.options.get("features", 40))
    for model in _models(run):
        if len(model.inputs) != 1:
            return Verdict("failed", f"{model.path} has {len(model.inputs)} inputs; ESPHome "
                                     "feeds exactly one")
        tensor = model.inputs[0]
        if tensor.dtype not in ("int8", "uint8"):
            return Verdict("failed", f"{model.path} input {tensor.name} is {tensor.dtype}, "
                                     "not quantized int8/uint8: ESPHome feeds int8 features")
        if len(tensor.shape) != 3 or tensor.shape[0] != 1 or tensor.shape[2] != features:
            return Verdict("failed", f"{model.path} input shape {list(tensor.shape)} is not "
                                     f"[1, stride, {features}]")
    verdict = Verdict("passed", f"input {tensor.dtype} {list(tensor.shape)} as ESPHome feeds "
                                "it")
    verdict.properties.update(metric="tflite input", observed=f"{tensor.dtype} "
                              f"{list(tensor.shape)}", display=tensor.dtype,
                              threshold=f"int8/uint8 [1, n, {features}]")
    return verdict


def _operators(check: NamedCheck, run: RunModel) -> Verdict:
    models = _models(run)
    unsupported = sorted({op for m in models for op in m.operators} - ESPHOME_OPERATORS)
    if unsupported:
        verdict = Verdict("failed", f"{models[0].path} uses operators ESPHome's "
                                    f"micro_wake_word does not register: "
                                    f"{', '.join(unsupported)}")
        verdict.details.append("supported: " + ", ".join(sorted(ESPHOME_OPERATORS)))
    else:
        verdict = Verdict("passed", f"all {len(models[0].operators)} operators are "
                                    "registered by ESPHome's micro_wake_word")
    verdict.properties.update(metric="tflite operators", observed=",".join(unsupported)
                              or "supported", display=f"{len(unsupported)} unsupported")
    return verdict


def _size(check: NamedCheck, run: RunModel) -> Verdict:
    limit_kb = float(check.options.get("max_kb", 512))
    model = max(_models(run), key=lambda m: m.size)
    size_kb = model.size / 1024
    outcome = "passed" if size_kb <= limit_kb else "failed"
    verdict = Verdict(outcome, f"{model.path} is {size_kb:.1f} KB, "
                               f"{'within' if outcome == 'passed' else 'over'} the budget of "
                               f"{limit_kb:g} KB")
    verdict.properties.update(metric="tflite size", observed=str(model.size),
                              display=f"{size_kb:.1f} KB", threshold=f"<= {limit_kb:g} KB")
    return verdict


def _cutoff_agrees(check: NamedCheck, run: RunModel) -> Verdict:
    cutoff, where = _cutoff(run)
    sidecar = run.best_sidecar.data if run.best_sidecar else None
    chosen = None
    if isinstance(sidecar, dict):
        for key in ("tuned_probability_cutoff", "probability_cutoff"):
            value = sidecar.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                chosen = (float(value), f"{run.best_sidecar.path} ({key})")
                break
    if chosen is None:
        raise Unjudged("the run records no chosen threshold to compare the manifest with",
                       ["looked for best_weights.weights.metadata.json "
                        "(tuned_probability_cutoff, probability_cutoff)"], skippable=True)
    value, source = chosen
    outcome = "passed" if abs(value - cutoff) <= 1e-6 else "failed"
    verdict = Verdict(outcome, f"manifest cutoff {cutoff:g} ({where}) "
                               f"{'agrees with' if outcome == 'passed' else 'differs from'} "
                               f"the run's chosen threshold {value:g} ({source})")
    verdict.properties.update(metric="cutoff agreement", observed=repr(cutoff),
                              display=f"{cutoff:g}", source=source)
    return verdict

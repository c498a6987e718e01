"""One PNG per run: the validation FA/h, recall/precision/F1 and loss curves over steps,
with the criteria thresholds as lines and the best checkpoint marked.

matplotlib is the optional extra ``plots``; it is imported only when plots are asked for.
"""

from __future__ import annotations

from pathlib import Path

from . import metrics
from .criteria import CriteriaFile
from .run import RunModel

WIDTH_IN, HEIGHT_IN, DPI = 10, 9, 100  # 1000 × 900 pixels

MISSING_MATPLOTLIB = ("--mww-plots needs matplotlib: pip install 'pytest-mww[plots]'")


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _thresholds(criteria: CriteriaFile, names: list[str]) -> dict[float, str]:
    """Limit → label, one line per limit however many criteria share it."""
    lines: dict[float, list[str]] = {}
    for c in criteria.criteria:
        if c.check != "threshold":
            continue
        split, name = metrics.resolve(c.metrics[0], c.split)
        if split == "validation" and name in names:
            for bound in c.bounds:
                lines.setdefault(bound.limit, []).append(f"{name} {bound}")
    return {limit: ", ".join(dict.fromkeys(labels)) for limit, labels in lines.items()}


def plot_run(run: RunModel, criteria: CriteriaFile, folder: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, sharex=True)
    fig.suptitle(f"{run.name}: training curves")
    panels = [
        ("ambient false activations per hour (validation)",
         [("validation", "ambient_fa_per_hour")]),
        ("recall / precision / F1 (validation)",
         [("validation", "recall"), ("validation", "precision"), ("validation", "f1")]),
        ("loss (train / validation), or ROC AUC where no validation loss exists",
         [("train", "loss"), ("validation", "loss")] if run.get("validation", "loss")
         else [("train", "loss"), ("train", "auc_roc"), ("validation", "auc_roc")]),
    ]
    for axis, (title, keys) in zip(axes, panels, strict=True):
        axis.set_title(title, fontsize=10)
        drawn = False
        for split, metric in keys:
            series = run.get(split, metric)
            indices = series.stepped() if series else range(0)
            if len(indices):
                axis.plot(series.steps[indices.start:], series.values[indices.start:],
                          marker="." if len(indices) < 200 else None,
                          label=f"{metric} ({split})")
                drawn = True
        for limit, label in _thresholds(criteria, [m for s, m in keys
                                                   if s == "validation"]).items():
            axis.axhline(limit, linestyle="--", linewidth=1, color="grey")
            axis.annotate(f"criterion: {label}", (0.01, limit),
                          xycoords=("axes fraction", "data"), fontsize=7, color="dimgrey",
                          va="bottom")
        if run.best_step is not None:
            axis.axvline(run.best_step[0], color="green", linewidth=1, linestyle=":",
                         label=f"best checkpoint (step {run.best_step[0]})")
        if not drawn:
            axis.text(0.5, 0.5, "no data in this run", transform=axis.transAxes,
                      ha="center", color="grey")
        axis.legend(fontsize=7, loc="best")
        axis.grid(alpha=0.3)
    axes[-1].set_xlabel("step")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run.name}.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path

"""Plots of evaluations over a run: FID, Inception Score and classes covered against the step."""

from __future__ import annotations

import json
import os
from pathlib import Path

from minigan.atomic import atomic_write

__all__ = ["metrics_curve_png"]


def metrics_curve_png(log_path: str | os.PathLike, out_png: str | os.PathLike) -> Path:
    """Plot FID, Inception Score and classes covered against training step from a JSON-lines log.

    Each line of `log_path` is a JSON object; lines with a 'fid' key are
    plotted, x from 'step' (else 'iteration', 'epoch', or the line's order;
    for a step logged twice, as after a resume, the later line counts).
    A 'baseline' value in them ({'fid': ...} or 'baseline_fid') is drawn as a
    dashed line. Needs matplotlib (the dev extra). Returns the PNG's path.
    """
    records = _metric_records(log_path)
    if not records:
        raise ValueError(f"{log_path} holds no lines with a 'fid' value to plot")
    # A Figure on an Agg canvas, as in plotting.py: no pyplot, so the user's matplotlib backend is untouched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred: matplotlib is optional and heavy
    from matplotlib.figure import Figure  # deferred, as matplotlib above

    xkey = next((k for k in ("step", "iteration", "epoch") if all(k in r for r in records)), None)
    if xkey:  # a resumed run evaluates some steps again: the latest line for a step wins
        records = sorted({r[xkey]: r for r in records}.values(), key=lambda r: r[xkey])
    xs = [r[xkey] for r in records] if xkey else list(range(len(records)))
    panels = [("fid", "FID (lower is better)"), ("inception_score", "Inception Score"),
              ("classes_covered", "classes covered")]
    fig = Figure(figsize=(4.2 * len(panels), 3.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels))
    for ax, (key, title) in zip(axes, panels):
        points = [(x, r[key]) for x, r in zip(xs, records) if isinstance(r.get(key), (int, float))]
        if points:
            ax.plot(*zip(*points), marker="o", markersize=3)
        base = _baseline_value(records[-1], key)
        if base is not None:
            ax.axhline(base, linestyle="--", color="grey", label="real data")
            ax.legend(loc="best", fontsize=8)
        ax.set_title(title)
        ax.set_xlabel(xkey or "evaluation")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out_png) as handle:
        fig.savefig(handle, dpi=100, format="png")
    return out_png


def _metric_records(log_path) -> list[dict]:
    records = []
    with open(log_path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interrupted run
            if isinstance(record, dict):
                metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else record
                if "fid" in metrics:
                    records.append({**record, **metrics})
    return records


def _baseline_value(record: dict, key: str):
    base = record.get("baseline")
    if isinstance(base, dict) and isinstance(base.get(key), (int, float)):
        return base[key]
    value = record.get(f"baseline_{key}")
    return value if isinstance(value, (int, float)) else None



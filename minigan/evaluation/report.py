"""Report text: the table ``minigan eval`` prints and the one line the trainer prints per evaluation.

Both format every score the same way (``format_score``), beside its real-data baseline.

    print(format_report(evaluate_samples(images, "mnist")))
    record = eval_log_record(scores, step=400, epoch=1); print(format_eval_line(record))
"""

from __future__ import annotations

import time
from typing import Any

from .statistics import NUM_CLASSES

__all__ = ["SCORE_FORMATS", "format_score", "format_report", "eval_log_record", "format_eval_line"]

SCORE_FORMATS = {"fid": "{:.3f}", "inception_score": "{:.3f}", "classes_covered": "{:d}", "class_kl": "{:.4f}"}
_FLAT_KEYS = ("n", "fid", "inception_score", "inception_score_std", "classes_covered", "class_kl")


def format_score(key: str, scores: dict, std_key: str = "inception_score_std") -> str:
    """One score as text, the Inception Score with its spread (`scores[std_key]`)."""
    text = SCORE_FORMATS[key].format(scores[key])
    if key == "inception_score" and std_key in scores:
        text += f" ± {scores[std_key]:.3f}"
    return text


def format_report(result: dict[str, Any]) -> str:
    """A few readable lines: the sample scores beside the real-vs-real baseline."""
    lines = [f"minigan eval: {result['n']} samples, dataset {result['dataset']}"
             + (f", classifier test accuracy {result['classifier']['test_accuracy']:.2%}"
                if "test_accuracy" in result.get("classifier", {}) else "")]
    base = result.get("baseline") or {}
    rows = [("FID (lower is better)", "fid"), (f"Inception Score (max {NUM_CLASSES})", "inception_score"),
            ("classes covered (>= 2%)", "classes_covered"), ("class KL to uniform (nats)", "class_kl")]
    lines.append(f"  {'':28s} {'samples':>12s} {'real baseline':>14s}")
    for label, key in rows:
        ref = format_score(key, base) if key in base else "-"
        lines.append(f"  {label:28s} {format_score(key, result):>12s} {ref:>14s}")
    hist = " ".join(f"{100 * h:.1f}" for h in result["class_histogram"])
    lines.append(f"  class histogram (% per class 0..{NUM_CLASSES - 1}): {hist}")
    lines.append(f"  reference statistics: {result.get('reference', '?')}")
    if "error" in base:
        lines.append(f"  baseline unavailable: {base['error']}")
    elif base:
        lines.append(f"  baseline: {base.get('n')} real images ({base.get('source')})")
        if base.get("n") != result["n"]:
            lines.append(f"  note: FID is biased upwards at small N; the baseline used {base.get('n')} images, "
                         f"the samples {result['n']}, so compare at equal N (--n)")
    return "\n".join(lines)


def eval_log_record(scores: dict, *, step: int, epoch: int) -> dict:
    """The flat log.jsonl line of one evaluation; the baseline's numbers become baseline_<name>."""
    record = {"type": "eval", "step": step, "epoch": epoch}
    for key in _FLAT_KEYS + ("class_histogram",):
        if key in scores:
            record[key] = scores[key]
    base = scores.get("baseline") or {}
    for key in _FLAT_KEYS:
        if key in base:
            record[f"baseline_{key}"] = base[key]
    if "error" in base:
        record["baseline_error"] = base["error"]
    record["time"] = time.time()
    return record


def format_eval_line(record: dict) -> str:
    """The trainer's one line per evaluation, from an ``eval_log_record``."""
    def real(key):
        if record.get(f"baseline_{key}") is None:
            return ""
        return f" (real {SCORE_FORMATS[key].format(record[f'baseline_{key}'])})"
    return (f"eval at epoch {record['epoch']} (step {record['step']}, {record['n']} samples): "
            f"FID {format_score('fid', record)}{real('fid')}, "
            f"IS {format_score('inception_score', record)}{real('inception_score')}, "
            f"classes covered {format_score('classes_covered', record)}/{NUM_CLASSES}{real('classes_covered')}"
            + (f"; baseline from {record['baseline_n']} real images" if record.get("baseline_n") not in
               (None, record["n"]) else "")
            + ("; no baseline: " + record["baseline_error"] if "baseline_error" in record else ""))

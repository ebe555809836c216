"""Tables (Markdown, readable in a terminal too), the results JSON, and the README's tables.

Ratio conventions, the same everywhere:
* times (ops):        torch time / minigan time      > 1 means minigan is faster
* images/s (train):   minigan img/s / torch img/s    > 1 means minigan is faster
* memory:             minigan peak / torch peak      < 1 means minigan uses less
"""
from __future__ import annotations

import json
import os
import re

from minigan.atomic import atomic_write

from .backends import PAIRS
from .gemm_limit import limits_table

MiB = 2 ** 20


def _fmt_ms(r: dict | None) -> str:
    if not r:
        return "-"
    if "median_s" not in r:
        return "n/a"
    return f"{r['median_s'] * 1e3:.3f} ± {r['iqr_s'] * 1e3:.3f}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def add_ratios(result: dict) -> None:
    """Put the minigan/torch ratio of every row into the row itself, per device."""
    for row in result.get("ops", []):
        row["ratio"] = {}
        for dev, (mine, ref) in PAIRS.items():
            a, b = row["results"].get(mine, {}), row["results"].get(ref, {})
            if "median_s" in a and "median_s" in b:
                row["ratio"][dev] = b["median_s"] / a["median_s"]
    for row in result.get("train", []):
        row["ratio"] = {}
        for dev, (mine, ref) in PAIRS.items():
            a, b = row["results"].get(mine, {}), row["results"].get(ref, {})
            if "images_per_s" in a and "images_per_s" in b:
                row["ratio"][dev] = a["images_per_s"] / b["images_per_s"]
    for row in result.get("memory", []):
        row["ratio"] = {}
        for dev, (mine, ref) in PAIRS.items():
            a, b = row["results"].get(mine, {}), row["results"].get(ref, {})
            if "peak_bytes" in a and b.get("peak_bytes"):
                row["ratio"][dev] = a["peak_bytes"] / b["peak_bytes"]


def _present(result: dict, section: str, name: str) -> bool:
    return any(name in row["results"] for row in result.get(section, []))


def _devices(result: dict, section: str) -> list[str]:
    return [dev for dev, pair in PAIRS.items() if any(_present(result, section, n) for n in pair)]


def _table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    align = align or "l" * len(header)
    def line(cells):
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w)
                                 for c, w, a in zip(cells, widths, align)) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in rows])


def ops_table(result: dict, dev: str) -> str:
    mine, ref = PAIRS[dev]
    header = ["op", "mode", "batch", "shapes", f"{mine} ms (median ± IQR)", f"{ref} ms (median ± IQR)",
              "torch/minigan time"]
    rows = []
    for row in result.get("ops", []):
        r = row["results"]
        rows.append([row["name"], row["mode"], "-" if row["batch"] is None else str(row["batch"]), row["shape"],
                     _fmt_ms(r.get(mine)), _fmt_ms(r.get(ref)), _ratio(row.get("ratio", {}).get(dev))])
    return _table(header, rows, "llrlrrr")


def train_table(result: dict, dev: str) -> str:
    mine, ref = PAIRS[dev]
    header = ["model", "batch", f"{mine} img/s", f"{mine} ms/iter", f"{ref} img/s", f"{ref} ms/iter",
              "minigan/torch img/s"]
    rows = []
    for row in result.get("train", []):
        cells = [row["model"], str(row["batch"])]
        for name in (mine, ref):
            r = row["results"].get(name)
            if r and "images_per_s" in r:
                cells += [f"{r['images_per_s']:.0f}", _fmt_ms(r)]
            else:
                cells += ["n/a" if r else "-", "n/a" if r else "-"]
        cells.append(_ratio(row.get("ratio", {}).get(dev)))
        rows.append(cells)
    return _table(header, rows, "lrrrrrr")


def memory_table(result: dict, dev: str) -> str:
    mine, ref = PAIRS[dev]
    header = ["model", "batch", f"{mine} peak MiB", f"{ref} peak MiB", "minigan/torch memory"]
    rows = []
    for row in result.get("memory", []):
        cells = [row["model"], str(row["batch"])]
        for name in (mine, ref):
            r = row["results"].get(name)
            cells.append(f"{r['peak_bytes'] / MiB:.1f}" if r and "peak_bytes" in r else ("n/a" if r else "-"))
        cells.append(_ratio(row.get("ratio", {}).get(dev)))
        rows.append(cells)
    return _table(header, rows, "lrrrr")


def errors(result: dict) -> list[str]:
    seen, out = set(), []
    for section in ("ops", "train", "memory"):
        for row in result.get(section, []):
            for name, r in row["results"].items():
                if "error" in r:
                    key = (name, r["error"])
                    if key not in seen:
                        seen.add(key)
                        out.append(f"{name}: {r['error']}")
    return out


def describe_run(result: dict) -> str:
    m, v, t = result["machine"], result["versions"], result["threads"]
    blas = v.get("blas") or {}
    parts = [f"{m['cpu_model']}, {m['logical_cores']} logical cores",
             f"Python {v['python']}, NumPy {v['numpy']} ({blas.get('name')} {blas.get('version') or ''}".rstrip()
             + f", {t.get('numpy_blas')} threads)"]
    if v.get("torch"):
        parts.append(f"PyTorch {v['torch']['version']} ({t.get('torch')} threads)")
    if v.get("cupy"):
        cp = v["cupy"]
        parts.append(f"CuPy {cp.get('version')} on {cp.get('device_name', 'no GPU')}")
    s = result["settings"]
    parts.append(f"warm-up {s['warmup']}/{s['train_warmup']}, repeats {s['repeat']}/{s['train_repeat']} (ops/train)"
                 + (" (quick)" if s["quick"] else ""))
    foreign = {k: v for k, v in (m.get("foreign_cpu_fraction") or {}).items() if v is not None}
    if foreign:
        parts.append("CPU used by other processes while timing: "
                     + ", ".join(f"{k} {v:.0%}" for k, v in foreign.items()))
    return "; ".join(parts)


def render(result: dict, devices: list[str] | None = None) -> str:
    """All the tables of a run (or of the given devices only), as Markdown."""
    keep = (lambda devs: [d for d in devs if devices is None or d in devices])
    out = [f"Run {result['created']} (`{result['command']}`): {describe_run(result)}", ""]
    for dev in keep(_devices(result, "train")):
        out += [f"### Training iteration ({dev}): images/s, ratio = minigan img/s / torch img/s (>1: minigan faster)",
                "", train_table(result, dev), ""]
        if dev == "cpu" and result.get("gemm_limit"):
            out += ["GEMM limit (images/s if the matrix products were all the work): " + limits_table(result), ""]
    for dev in keep(_devices(result, "memory")):
        out += [f"### Peak memory per iteration ({dev}): ratio = minigan / torch (<1: minigan uses less)", "",
                memory_table(result, dev), ""]
    for dev in keep(_devices(result, "ops")):
        out += [f"### Ops ({dev}): time per call, ratio = torch time / minigan time (>1: minigan faster)", "",
                ops_table(result, dev), ""]
    errs = errors(result)
    if errs:
        out += ["Not measured:", ""] + [f"- {e}" for e in errs] + [""]
    return "\n".join(out)


def write_json(result: dict, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_write(path) as f:
        f.write((json.dumps(result, indent=1, sort_keys=False) + "\n").encode())


def update_readme(readme: str, result: dict, device: str) -> bool:
    """Replace the README's block between the markers for this device with the run's tables."""
    start, end = f"<!-- results:{device}:start -->", f"<!-- results:{device}:end -->"
    with open(readme) as f:
        text = f.read()
    if start not in text or end not in text:
        return False
    block = f"{start}\n{render(result, [device]).rstrip()}\n{end}"
    text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    with open(readme, "w") as f:
        f.write(text)
    return True

"""``minigan sweep``: train and score every combination of a grid of `minigan train` options.

    minigan sweep --grid lr-d=1e-4,2e-4 lr-g=2e-4 loss=bce,hinge n-critic=1,2 --epochs 1 --eval-n 2000 \\
                  --out sweeps/s1                  # or --random K of the combinations

Each combination is an ordinary run folder OUT/<key=value,...>/ (resumable with `minigan train
--resume`), scored after training as `minigan eval --checkpoint` scores it (load_generator, the
same seeded noise, evaluate_samples), and appended to OUT/results.jsonl. At the end a ranked
table (FID, IS, classes, time per epoch) goes to stdout and OUT/sweep.png shows FID per setting.
Rerunning skips the settings already in results.jsonl; a run left unfinished is resumed; a run
that fails is recorded with its error (and retried on a rerun) and the sweep goes on.

Keys are `minigan train`'s long options without the dashes (lr-d, loss, ema, spectral-norm=on,off,
...); each value is parsed by that option's own argument type, so the sweep accepts what train does.
Every run starts from the settings `minigan train` starts from (--preset, default sngan-info).
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from .. import evaluation
from ..atomic import atomic_write
from ..gan import CHECKPOINT_NAME, GANTrainer, TrainConfig, load_generator
from ..gan.core.sampling import generate
from ..gan.presets import PRESETS
from .registry import Handler, UsageError, command
from .stabilisers import OPTIONS as STABILISER_OPTIONS
from .train import _TRAIN_OPTIONS, _train
from ..gan.core.arguments import device, non_negative_int, positive_int

__all__ = ["parse_grid", "combinations", "run_sweep", "RESULTS_NAME"]

RESULTS_NAME = "results.jsonl"
# train options a grid may not vary: where the runs go, what they read, and how they are driven
_NOT_SWEPT = {"out", "resume", "data_dir", "download", "progress", "device", "epochs", "max_steps",
              "eval_every", "eval_n", "checkpoint_every", "help", "preset"}
_BOOLEANS = {"on": True, "true": True, "yes": True, "1": True, "off": False, "false": False, "no": False, "0": False}


def _train_parser() -> "tuple[argparse.ArgumentParser, dict]":
    # `minigan train`'s own parser: its options' types and choices parse the grid's values
    parser = argparse.ArgumentParser(prog="minigan train", add_help=False)
    _train(parser)
    return parser, {**_TRAIN_OPTIONS, **STABILISER_OPTIONS}


def parse_grid(items: list[str]) -> dict[str, list]:
    """['lr-d=1e-4,2e-4', 'loss=bce,hinge'] -> {'lr_d': [1e-4, 2e-4], 'loss': ['bce', 'hinge']} (TrainConfig
    fields, parsed values); UsageError naming the key for an unknown key or a value that does not parse."""
    parser, fields = _train_parser()
    actions = {opt[2:]: a for a in parser._actions for opt in a.option_strings if opt.startswith("--")}
    grid: dict[str, list] = {}
    for item in items:
        key, sep, values = item.partition("=")
        action = actions.get(key)
        if not sep or not values:
            raise UsageError(f"--grid {item!r}: expected KEY=V1,V2,... (e.g. lr-d=1e-4,2e-4)")
        if action is None or action.dest in _NOT_SWEPT or action.dest not in fields:
            known = sorted(k for k, a in actions.items() if a.dest in fields and a.dest not in _NOT_SWEPT)
            raise UsageError(f"--grid: unknown key {key!r}; sweepable keys: {', '.join(known)}")
        if action.nargs == 0 and not isinstance(action.const, bool):
            raise UsageError(f"--grid: key {key!r} cannot be swept; use {action.dest.replace('_', '-')}=off")
        parsed = []
        for text in values.split(","):
            try:
                if action.nargs == 0:  # a flag such as --spectral-norm (on: its value) or --no-spectral-norm
                    value = action.const if _BOOLEANS[text.lower()] else not action.const
                elif action.dest == "ema" and text.lower() == "off":
                    value = None  # no EMA, whatever the preset
                else:
                    value = action.type(text) if action.type else text
                    if action.choices is not None and value not in action.choices:
                        raise ValueError(f"choose from {', '.join(map(str, action.choices))}")
            except (argparse.ArgumentTypeError, ValueError, KeyError) as exc:
                why = "expected on or off" if action.nargs == 0 else str(exc)
                raise UsageError(f"--grid {key}: cannot use value {text!r}: {why}") from None
            parsed.append(value)
        field = fields[action.dest]
        if field in grid:
            raise UsageError(f"--grid: key {key!r} given twice")
        grid[field] = parsed
    return grid


def combinations(grid: dict[str, list], random: int | None = None, seed: int = 0) -> list[dict]:
    """Every combination of the grid (in order), or `random` distinct ones drawn with `seed`."""
    keys = list(grid)
    every = [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]
    if random is not None and random < len(every):
        pick = np.random.default_rng(seed).choice(len(every), size=random, replace=False)
        every = [every[i] for i in sorted(pick)]
    return every


def setting_name(setting: dict) -> str:
    """'lr_d=0.0001,loss=hinge': the run folder's name and the setting's key in results.jsonl."""
    return ",".join(f"{k}={v}" for k, v in setting.items()) or "default"


def _read_results(path: Path) -> dict[str, dict]:
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a crash: that setting runs again
                continue
            done[record.get("name")] = record
    return done


def _append(path: Path, record: dict) -> None:
    lines = path.read_text() if path.exists() else ""
    with atomic_write(path) as handle:
        handle.write((lines + json.dumps(record) + "\n").encode())


def score_checkpoint(run_dir: Path, n: int, dataset: str, data_dir, device_name: str) -> dict:
    """What `minigan eval --checkpoint RUN_DIR --n N --no-baseline` computes (seed 0, batches of 250)."""
    generator, _ = load_generator(run_dir, device=device_name)
    samples = generate(generator, n, device=device_name, seed=0, batch_size=250)
    return evaluation.evaluate_samples(samples, dataset, baseline=False, data_dir=data_dir, device=device_name,
                                       batch_size=250)


def run_fields(base: dict, setting: dict) -> dict:
    """The TrainConfig fields of one run: base's "preset" (None: the family's recipe), base and the setting,
    resolved by the rule `minigan train` uses (TrainConfig.resolved)."""
    given = {k: v for k, v in {**base, **setting}.items() if k != "preset"}
    resolved = TrainConfig(preset=base.get("preset"), **given).resolved()
    return {**{k: v for k, v in resolved.to_dict().items() if k not in ("version", "options")}, **resolved.options}


def run_one(setting: dict, base: dict, run_dir: Path, eval_n: int) -> dict:
    """Train (or finish) one setting's run and score it; a failure is returned as a record, not raised."""
    start = time.perf_counter()
    record = {"name": setting_name(setting), "settings": setting, "run_dir": str(run_dir)}
    try:
        if (run_dir / CHECKPOINT_NAME).exists():  # an earlier sweep stopped inside this run: continue it
            trainer = GANTrainer.from_checkpoint(run_dir, progress="none", epochs=base.get("epochs"),
                                                 max_steps=base.get("max_steps"))
        else:
            trainer = GANTrainer(TrainConfig(**{**run_fields(base, setting), "out": str(run_dir), "progress": "none"}))
        first = trainer.step
        result = trainer.train()
        train_s = time.perf_counter() - start
        scores = score_checkpoint(run_dir, eval_n, trainer.config.dataset, trainer.config.data_dir,
                                  trainer.config.device)
        epochs = (result.step - first) / max(trainer.steps_per_epoch, 1)  # trained by this call
        record.update(status="done", steps=result.step, epochs=round(result.step / max(trainer.steps_per_epoch, 1), 4),
                      train_s=round(train_s, 2),
                      time_per_epoch_s=round(train_s / epochs, 2) if epochs else None,
                      fid=scores["fid"], inception_score=scores["inception_score"],
                      classes_covered=scores["classes_covered"], eval_n=scores["n"])
    except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded and the sweep goes on
        record.update(status="failed", error=f"{type(exc).__name__}: {' '.join(str(exc).split())}",
                      train_s=round(time.perf_counter() - start, 2))
    return record


def ranked(records: list[dict]) -> list[dict]:
    ok = sorted((r for r in records if r.get("status") == "done"), key=lambda r: r["fid"])
    return ok + [r for r in records if r.get("status") != "done"]


def format_table(records: list[dict]) -> str:
    rows = [("rank", "setting", "FID", "IS", "classes", "s/epoch")]
    for i, r in enumerate(ranked(records), 1):
        if r.get("status") == "done":
            rows.append((str(i), r["name"], f"{r['fid']:.1f}", f"{r['inception_score']:.2f}",
                         f"{r['classes_covered']}/10", f"{r['time_per_epoch_s']:.0f}"))
        else:
            rows.append(("-", r["name"], "failed", r.get("error", "")[:60], "", ""))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def sweep_png(records: list[dict], path: Path) -> Path | None:
    """A bar per finished setting: its FID (lower is better), best first."""
    done = [r for r in ranked(records) if r.get("status") == "done"]
    if not done:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred: matplotlib is optional and heavy
    from matplotlib.figure import Figure  # deferred, as matplotlib above
    fig = Figure(figsize=(7, 0.45 * len(done) + 1.2))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.barh(range(len(done)), [r["fid"] for r in done], color="tab:blue")
    ax.set_yticks(range(len(done)), [r["name"] for r in done], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"FID ({done[0].get('eval_n', '?')} samples; lower is better)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    with atomic_write(path) as handle:
        fig.savefig(handle, dpi=100, format="png")
    return path


def run_sweep(settings: list[dict], base: dict, out: Path, eval_n: int, jobs: int = 1, say=print) -> list[dict]:
    """Run every setting not yet in OUT/results.jsonl; returns the records of all `settings`, ranked."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_NAME
    done = {k: r for k, r in _read_results(results).items() if r.get("status") == "done"}
    todo = [s for s in settings if setting_name(s) not in done]
    say(f"sweep: {len(settings)} setting(s), {len(settings) - len(todo)} already done, {len(todo)} to run")
    if jobs > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor  # deferred: only --jobs > 1 starts processes
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_one, s, base, out / setting_name(s), eval_n) for s in todo]
            for future in futures:
                record = future.result()
                _append(results, record)
                done[record["name"]] = record
    else:
        for i, setting in enumerate(todo, 1):
            say(f"[{i}/{len(todo)}] {setting_name(setting)}")
            record = run_one(setting, base, out / setting_name(setting), eval_n)
            _append(results, record)
            done[record["name"]] = record
            if record["status"] != "done":
                say(f"  failed: {record['error']}")
    latest = _read_results(results)
    return ranked([latest.get(setting_name(s), done.get(setting_name(s))) for s in settings])


@command("sweep", help="train and score every combination of a grid of train options (a tuning sweep)")
def _sweep(parser: argparse.ArgumentParser) -> Handler:
    parser.description = __doc__.split("\n\n")[2].replace("\n", " ")
    parser.epilog = ("example: minigan sweep --grid lr-d=1e-4,2e-4 loss=bce,hinge n-critic=1,2 --epochs 1 "
                     "--eval-n 2000 --out sweeps/s1")
    parser.add_argument("--grid", nargs="+", required=True, metavar="KEY=V1,V2",
                        help="train options (without --) and the values to try")
    parser.add_argument("--random", type=positive_int, default=None, metavar="K",
                        help="run K combinations drawn at random (with --seed) instead of all")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of --random's draw (default 0)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None,
                        help="the settings every run starts from, as for minigan train (default: the family's own)")
    parser.add_argument("--out", required=True, metavar="DIR", help="sweep folder: run folders and results")
    parser.add_argument("--epochs", type=positive_int, default=1, help="epochs per run (default 1)")
    parser.add_argument("--max-steps", type=positive_int, default=None, help="stop each run after N steps")
    parser.add_argument("--eval-n", type=positive_int, default=2000, help="images scored per run (default 2000)")
    parser.add_argument("--jobs", type=positive_int, default=1, help="runs at once (default 1)")
    parser.add_argument("--data-dir", default=None, help="folder with the IDX files")
    parser.add_argument("--device", type=device, default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    return run_sweep_command


def run_sweep_command(args: argparse.Namespace) -> int:
    if args.eval_n < 2:
        raise UsageError("--eval-n must be at least 2 (FID needs a covariance)")
    settings = combinations(parse_grid(args.grid), args.random, args.seed)
    base = {"epochs": args.epochs, "max_steps": args.max_steps, "data_dir": args.data_dir, "device": args.device,
            "checkpoint_every": 0, "preset": args.preset}
    try:  # a setting that TrainConfig refuses is a usage error before anything trains
        for setting in settings:
            TrainConfig(**run_fields(base, setting)).resolved().validate()
    except ValueError as exc:
        raise UsageError(f"--grid: {exc}") from None
    out = Path(args.out)
    records = run_sweep(settings, base, out, args.eval_n, args.jobs, say=lambda text: print(text, flush=True))
    print(format_table(records))
    png = sweep_png(records, out / "sweep.png")
    print(f"results: {out / RESULTS_NAME}" + (f"; FID per setting: {png}" if png else ""))
    failed = sum(r.get("status") != "done" for r in records)
    if failed:
        print(f"{failed} run(s) failed (see {out / RESULTS_NAME}); rerun the same command to retry them",
              file=sys.stderr)
    return 1 if failed == len(records) else 0

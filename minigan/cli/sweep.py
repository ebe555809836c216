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

Started by ``mpiexec -n K`` (the ``mpi`` extra), the sweep runs its trials side by side, each whole
on one rank and trained there alone (not data-parallel over the ranks)::

    mpiexec -n 4 minigan sweep --grid lr-d=1e-4,2e-4 loss=bce,hinge --epochs 1 --out sweeps/s1

Rank 0 reads results.jsonl and hands every rank the same list of settings still to run; rank r
runs the settings r, r+K, r+2K, ... of it. After each round of K trials the ranks gather their
records and rank 0 alone appends them to results.jsonl (so a sweep stopped midway keeps the rounds
it finished), prints the table and draws sweep.png; each record says which "rank" ran it. The other
ranks print only their progress, on stderr. With ``--device cuda`` rank r uses its node's GPU
``local_rank`` (modulo the node's GPU count). ``--jobs`` is for one process only: under mpiexec,
start more ranks instead.
"""
from __future__ import annotations

import argparse
import itertools
import json
import signal
import sys
import time
from pathlib import Path

import numpy as np

from .. import backend, distributed, evaluation
from ..atomic import atomic_write
from ..backend import Device
from ..gan import CHECKPOINT_NAME, GANTrainer, TrainConfig, load_generator
from ..gan.core.sampling import generate
from ..gan.presets import PRESETS
from ..gan.training import Interrupted
from .registry import Handler, UsageError, command
from .stabilisers import OPTIONS as STABILISER_OPTIONS
from .train import _TRAIN_OPTIONS, _train
from ..gan.core.arguments import device, non_negative_int, positive_int

__all__ = ["parse_grid", "combinations", "run_sweep", "RESULTS_NAME"]

RESULTS_NAME = "results.jsonl"
# train options a grid may not vary: where the runs go, what they read, and how they are driven (a sweep's
# run trains alone on its rank: nothing to synchronise BatchNorm with)
_NOT_SWEPT = {"out", "resume", "data_dir", "download", "progress", "device", "epochs", "max_steps",
              "eval_every", "eval_n", "checkpoint_every", "help", "preset", "sync_batchnorm"}
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


def _append(path: Path, records: list[dict]) -> None:
    lines = path.read_text() if path.exists() else ""
    with atomic_write(path) as handle:
        handle.write((lines + "".join(json.dumps(record) + "\n" for record in records)).encode())


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
    """Train (or finish) one setting's run and score it; a failure is returned as a record, not raised.

    The run trains alone in this process (a one-process world), even under mpiexec. A run stopped by
    Ctrl-C or SIGTERM (its checkpoint saved) raises `Interrupted`: the sweep stops, and a rerun resumes it.
    """
    start = time.perf_counter()
    record = {"name": setting_name(setting), "settings": setting, "run_dir": str(run_dir)}
    alone = distributed.Communicator()
    try:
        if (run_dir / CHECKPOINT_NAME).exists():  # an earlier sweep stopped inside this run: continue it
            trainer = GANTrainer.from_checkpoint(run_dir, world=alone, progress="none", epochs=base.get("epochs"),
                                                 max_steps=base.get("max_steps"), device=base.get("device"),
                                                 data_dir=base.get("data_dir"))
        else:
            trainer = GANTrainer(TrainConfig(**{**run_fields(base, setting), "out": str(run_dir), "progress": "none"}),
                                 world=alone)
        first = trainer.step
        result = trainer.train()
        if result.interrupted:  # not a finished run: leave it to be resumed, and stop the sweep as train stops
            raise Interrupted(result.signal or signal.SIGINT)
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


def _seconds(value) -> str:
    return "-" if value is None else f"{value:.0f}"  # None: the run was finished before and trained no step now


def format_table(records: list[dict]) -> str:
    rows = [("rank", "setting", "FID", "IS", "classes", "s/epoch")]
    for i, r in enumerate(ranked(records), 1):
        if r.get("status") == "done":
            rows.append((str(i), r["name"], f"{r['fid']:.1f}", f"{r['inception_score']:.2f}",
                         f"{r['classes_covered']}/10", _seconds(r.get("time_per_epoch_s"))))
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


def _on_root(world, work):
    """``work()`` run on rank 0, its result returned on every rank; what it raises is raised on every rank
    (``distributed.every_rank_or_none``), so no rank is left waiting in a collective for one that failed."""
    value = None
    with distributed.every_rank_or_none(world):
        if world.rank == 0:
            value = work()
    return world.bcast_obj(value, root=0)


def _interrupt_every_rank(world, exc: KeyboardInterrupt) -> None:
    """Ctrl-C or SIGTERM that stopped this rank's run stops every rank (the others would wait for it for ever);
    the rounds already finished are in results.jsonl. MPI's abort may return before the process manager ends
    the job: the caller re-raises, as it does in one process."""
    if world.size > 1:
        print(f"minigan sweep: rank {world.rank} of {world.size} was interrupted; stopping all ranks (rerun the "
              f"same command to go on)", file=sys.stderr, flush=True)
        world.abort(128 + int(getattr(exc, "signum", signal.SIGINT)))  # 130 after Ctrl-C, 143 after SIGTERM


def use_rank_device(device: str | None, world) -> str | None:
    """The device this rank's runs use, made CuPy's current GPU when it is one (CuPy runs every kernel on the
    current GPU, so a run on cuda:1 needs it current). A bare "cuda" with several ranks means the rank's node's
    GPU ``local_rank`` (modulo the node's GPU count), so a node's ranks spread over its GPUs; else as given.
    A DeviceError when there is no such GPU, before any run starts."""
    if device is None or not device.startswith("cuda"):
        return device
    if device == "cuda" and world.size > 1:
        device = f"cuda:{world.local_rank % max(backend.device_count(), 1)}"
    index = Device(device).index or 0
    backend.require_cupy(index).cuda.Device(index).use()
    return device


def run_sweep(settings: list[dict], base: dict, out: Path, eval_n: int, jobs: int = 1, say=print,
              world=None) -> list[dict]:
    """Run every setting not yet in OUT/results.jsonl; returns the records of all `settings`, ranked.

    `world` (default: ``minigan.distributed.get_world()``, one process unless started by mpiexec) shares
    the settings to run among its ranks, rank r taking every size-th from the r-th; rank 0 alone reads and
    writes results.jsonl, and every rank returns the same records. `jobs` > 1 runs that many settings at
    once in worker processes, in a world of one process only::

        records = run_sweep(combinations({"lr_d": [1e-4, 2e-4]}), {"max_steps": 2}, Path("sweeps/s1"), 2000)
    """
    world = distributed.get_world() if world is None else world
    if jobs > 1 and world.size > 1:
        raise ValueError(f"run_sweep: jobs={jobs} needs a world of one process, got {world.size} ranks")
    if "device" in base:
        with distributed.every_rank_or_none(world):  # a rank without its GPU stops every rank
            base = {**base, "device": use_rank_device(base["device"], world)}
    results = out / RESULTS_NAME

    def plan() -> list[dict]:
        out.mkdir(parents=True, exist_ok=True)
        done = {k for k, r in _read_results(results).items() if r.get("status") == "done"}
        todo = [s for s in settings if setting_name(s) not in done]
        say(f"sweep: {len(settings)} setting(s), {len(settings) - len(todo)} already done, {len(todo)} to run"
            + (f" on {world.size} ranks" if world.size > 1 else ""))
        return todo

    todo = _on_root(world, plan)
    if jobs > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor  # deferred: only --jobs > 1 starts processes
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_one, s, base, out / setting_name(s), eval_n) for s in todo]
            for future in futures:
                _append(results, [{**future.result(), "rank": world.rank}])
    else:
        for first in range(0, len(todo), world.size):  # a round: one setting per rank
            index = first + world.rank
            record = None
            try:
                if index < len(todo):
                    setting = todo[index]
                    where = f" (rank {world.rank})" if world.size > 1 else ""
                    say(f"[{index + 1}/{len(todo)}] {setting_name(setting)}{where}")
                    record = {**run_one(setting, base, out / setting_name(setting), eval_n), "rank": world.rank}
                    if record["status"] != "done":
                        say(f"  failed{where}: {record['error']}")
                finished = [r for r in world.allgather_obj(record) if r is not None]
            except KeyboardInterrupt as exc:  # the command line stops all ranks for an error, not for this
                _interrupt_every_rank(world, exc)
                raise
            _on_root(world, lambda: _append(results, finished))
    latest = _on_root(world, lambda: _read_results(results))
    return ranked([latest[setting_name(s)] for s in settings if setting_name(s) in latest])


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
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="runs at once, in worker processes (default 1); under mpiexec, start more ranks instead")
    parser.add_argument("--data-dir", default=None, help="folder with the IDX files")
    parser.add_argument("--device", type=_device, default="cpu",
                        help="cpu, cuda or cuda:N (default cpu); under mpiexec, cuda gives each rank its node's GPU "
                             "local_rank (modulo the GPUs)")
    return run_sweep_command


def _device(text: str) -> str:
    """`device`'s check, keeping a bare "cuda" (not "cuda:0"): under mpiexec each rank then takes its own GPU."""
    name = device(text)
    return "cuda" if text.strip().lower() == "cuda" else name


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
    world = distributed.init()  # one process without mpiexec
    if args.jobs > 1 and world.size > 1:
        raise UsageError(f"--jobs {args.jobs} is for one process; under mpiexec each of the {world.size} ranks "
                         f"already runs one setting at a time: start more ranks instead")
    out = Path(args.out)

    def say(text: str) -> None:  # stdout is rank 0's (the table); the other ranks' progress goes to stderr
        print(text, file=sys.stdout if world.rank == 0 else sys.stderr, flush=True)

    records = run_sweep(settings, base, out, args.eval_n, args.jobs, say=say, world=world)
    failed = sum(r.get("status") != "done" for r in records)
    if world.rank != 0:
        return 1 if failed == len(records) else 0
    print(format_table(records))
    png = sweep_png(records, out / "sweep.png")
    print(f"results: {out / RESULTS_NAME}" + (f"; FID per setting: {png}" if png else ""))
    if failed:
        print(f"{failed} run(s) failed (see {out / RESULTS_NAME}); rerun the same command to retry them",
              file=sys.stderr)
    return 1 if failed == len(records) else 0

"""`minigan sweep`: grids of train options, one run folder each, scored, ranked, resumable (tiny synthetic data)."""
from __future__ import annotations

import json
import signal

import pytest

from minigan.cli import main
from minigan.cli.sweep import combinations, parse_grid
from minigan.cli.registry import UsageError
from minigan.data import write_fake_dataset

TINY = ["width=4", "latent-dim=24", "batch-size=16", "samples=16"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=2)
    return folder


def sweep(data_dir, out, *grid, extra=()):
    return main(["sweep", "--grid", *TINY, *grid, "--max-steps", "2", "--eval-n", "16", "--data-dir", str(data_dir),
                 "--out", str(out), *extra])


def results(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_grid_runs_every_combination_ranks_and_plots(data_dir, tmp_path, capsys):
    assert sweep(data_dir, tmp_path / "s", "loss=bce,hinge", "lr-d=1e-4,2e-4") == 0
    out = capsys.readouterr().out
    recs = results(tmp_path / "s")
    assert len(recs) == 4 and all(r["status"] == "done" for r in recs)
    assert {r["name"] for r in recs} == {f"width=4,latent_dim=24,batch_size=16,n_samples=16,loss={l},lr_d={d}"
                                         for l in ("bce", "hinge") for d in (0.0001, 0.0002)}
    for r in recs:
        assert (tmp_path / "s" / r["name"] / "checkpoint.npz").exists() and r["steps"] == 2 and r["rank"] == 0
        assert r["fid"] > 0 and 1 <= r["inception_score"] <= 10 and 0 <= r["classes_covered"] <= 10
    # the ranked table: best FID first
    table = [line for line in out.splitlines() if line[:1].isdigit()]
    fids = [float(line.split()[2]) for line in table]
    assert len(table) == 4 and fids == sorted(fids)
    assert (tmp_path / "s" / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_scores_are_what_minigan_eval_prints(data_dir, tmp_path, capsys):
    assert sweep(data_dir, tmp_path / "s", "loss=hinge") == 0
    (record,) = results(tmp_path / "s")
    capsys.readouterr()
    assert main(["eval", "--checkpoint", record["run_dir"], "--n", "16", "--no-baseline", "--json",
                 str(tmp_path / "e.json")]) == 0
    scored = json.loads((tmp_path / "e.json").read_text())
    assert scored["fid"] == record["fid"] and scored["inception_score"] == record["inception_score"]


def test_rerun_skips_finished_runs_and_a_failure_is_recorded(data_dir, tmp_path, capsys):
    # n-critic=5 needs 5 batches per step; 64 images in batches of 16 give 4: that run fails, the other goes on
    assert sweep(data_dir, tmp_path / "s", "n-critic=1,5") == 0
    recs = results(tmp_path / "s")
    status = {r["settings"]["n_critic"]: r["status"] for r in recs}
    assert status == {1: "done", 5: "failed"}
    assert "fewer than --n-critic 5" in [r for r in recs if r["status"] == "failed"][0]["error"]
    assert "failed" in capsys.readouterr().out
    assert sweep(data_dir, tmp_path / "s", "n-critic=1,5") == 0
    out = capsys.readouterr().out
    assert "1 already done, 1 to run" in out
    assert len(results(tmp_path / "s")) == 3  # only the failed one ran again


def test_an_interrupted_run_is_continued(data_dir, tmp_path, capsys):
    assert main(["train", "--data-dir", str(data_dir), "--width", "4", "--latent-dim", "24", "--batch-size", "16",
                 "--samples", "16", "--max-steps", "1", "--progress", "none",
                 "--out", str(tmp_path / "s" / "width=4,latent_dim=24,batch_size=16,n_samples=16")]) == 0
    assert main(["sweep", "--grid", *TINY, "--max-steps", "2", "--eval-n", "16", "--data-dir", str(data_dir),
                 "--out", str(tmp_path / "s")]) == 0
    (record,) = results(tmp_path / "s")
    assert record["status"] == "done" and record["steps"] == 2


def test_a_run_finished_before_the_sweep_recorded_it_is_scored_without_a_time(data_dir, tmp_path, capsys):
    # the sweep stopped after the run trained and before its record was written: the rerun trains no step
    assert main(["train", "--data-dir", str(data_dir), "--width", "4", "--latent-dim", "24", "--batch-size", "16",
                 "--samples", "16", "--max-steps", "2", "--progress", "none",
                 "--out", str(tmp_path / "s" / "width=4,latent_dim=24,batch_size=16,n_samples=16")]) == 0
    capsys.readouterr()
    assert sweep(data_dir, tmp_path / "s") == 0
    (record,) = results(tmp_path / "s")
    assert record["status"] == "done" and record["steps"] == 2 and record["time_per_epoch_s"] is None
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line[:1].isdigit()]
    assert row.split()[-1] == "-"


def test_a_run_stopped_by_a_signal_stops_the_sweep_and_a_rerun_resumes_it(data_dir, tmp_path, capsys,
                                                                          monkeypatch):
    from minigan.cli import sweep as sweep_module

    class StopsAfterOneStep(sweep_module.GANTrainer):  # what SIGTERM during the first step does
        def train_step(self, reals):
            self.request_stop(signal.SIGTERM)
            return super().train_step(reals)

    with monkeypatch.context() as patch:
        patch.setattr(sweep_module, "GANTrainer", StopsAfterOneStep)
        assert sweep(data_dir, tmp_path / "s", "seed=0,1") == 128 + signal.SIGTERM
    assert not (tmp_path / "s" / "results.jsonl").exists()     # the stopped run is not recorded as done
    assert not list((tmp_path / "s").glob("*seed=1"))            # and the sweep went no further
    assert sweep(data_dir, tmp_path / "s", "seed=0,1") == 0
    assert sorted((r["settings"]["seed"], r["steps"]) for r in results(tmp_path / "s")) == [(0, 2), (1, 2)]


def test_cuda_without_a_gpu_is_one_error_before_any_run(data_dir, tmp_path, capsys):
    from minigan import backend

    if backend.cuda_available():
        pytest.skip("a GPU (or the CuPy stand-in) is available here")
    assert sweep(data_dir, tmp_path / "s", "seed=0,1", extra=("--device", "cuda")) == 1
    assert "minigan: error: CUDA requested" in capsys.readouterr().err
    assert not (tmp_path / "s" / "results.jsonl").exists()


def test_random_k_draws_distinct_combinations():
    grid = {"a": [1, 2, 3], "b": [4, 5]}
    assert len(combinations(grid)) == 6
    picked = combinations(grid, random=3, seed=1)
    assert len(picked) == 3 and len({tuple(p.items()) for p in picked}) == 3
    assert picked == combinations(grid, random=3, seed=1)


@pytest.mark.parametrize("item, message", [
    ("lr-x=1", "unknown key 'lr-x'"), ("out=x", "unknown key 'out'"), ("sync-batchnorm=on", "unknown key"), ("lr-d", "expected KEY=V1,V2"),
    ("lr-d=fast", "--grid lr-d: cannot use value 'fast'"), ("loss=bce,nope", "--grid loss: cannot use value 'nope'"),
    ("spectral-norm=maybe", "expected on or off"), ("ema=1.5", "--grid ema: cannot use value '1.5'"),
])
def test_bad_grids_are_usage_errors_naming_the_key(item, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_grid([item])


def test_bad_grid_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["sweep", "--grid", "n-critic=0", "--out", str(tmp_path / "s")])
    assert info.value.code == 2 and "--grid n-critic: cannot use value '0'" in capsys.readouterr().err


def test_flags_sweep_on_and_off():
    assert parse_grid(["spectral-norm=on,off", "ema=0.99,0.999"]) == {"spectral_norm": [True, False],
                                                                      "ema": [0.99, 0.999]}


def test_jobs_2_runs_the_settings_in_worker_processes(data_dir, tmp_path, capsys):
    assert sweep(data_dir, tmp_path / "s", "seed=0,1", extra=("--jobs", "2")) == 0
    recs = results(tmp_path / "s")
    assert sorted(r["settings"]["seed"] for r in recs) == [0, 1] and all(r["status"] == "done" for r in recs)


def test_runs_start_from_minigan_trains_defaults_or_the_preset_given(data_dir, tmp_path, capsys):
    from minigan.gan import PRESETS, load_checkpoint

    assert sweep(data_dir, tmp_path / "d", "lr-g=3e-4") == 0
    assert sweep(data_dir, tmp_path / "r", "lr-g=3e-4", extra=["--preset", "pytorch-dcgan"]) == 0
    (default,), (reference,) = results(tmp_path / "d"), results(tmp_path / "r")
    d, r = load_checkpoint(default["run_dir"])["config"], load_checkpoint(reference["run_dir"])["config"]
    recipe = {k: v for k, v in PRESETS["sngan-info"].items() if not k.startswith("info_")}
    recipe.update(lr_g=3e-4, batch_size=16)   # the grid's values win over the recipe's
    assert {key: d[key] for key in recipe} == recipe
    assert (r["loss"], r["spectral_norm"], r["beta1"], r["lr_g"]) == ("bce", False, 0.5, 3e-4)


def test_negative_flags_and_ema_off_sweep_the_right_values():
    assert parse_grid(["no-spectral-norm=on,off", "ema=0.99,off"]) == {"spectral_norm": [False, True],
                                                                       "ema": [0.99, None]}
    assert parse_grid(["spectral-norm=on,off"]) == {"spectral_norm": [True, False]}
    with pytest.raises(UsageError, match="key 'no-ema' cannot be swept; use ema=off"):
        parse_grid(["no-ema=on"])

"""GANTrainer's --eval-every: FID / IS / coverage every N epochs into metrics.jsonl, log.jsonl and metrics.png."""
from __future__ import annotations

import json

import numpy as np
import pytest

import minigan
from minigan.cli import main
from minigan.data import write_fake_dataset
from minigan.gan import GANTrainer, TrainConfig, get_family, load_checkpoint, resume
from minigan.evaluation import classifier, scoring

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=3)
    return folder


def tiny(data_dir, out, **kw):
    """64 images, batch 16: 4 steps per epoch; 2 epochs; scored on 200 samples after every epoch (the PyTorch
    DCGAN example's recipe)."""
    base = dict(preset="pytorch-dcgan", model="dcgan", width=4, latent_dim=8, batch_size=16,
                data_dir=str(data_dir), epochs=2, progress="none", checkpoint_every=0, n_samples=16, out=str(out),
                eval_every=1, eval_n=200)
    base.update(kw)
    return TrainConfig(**base)


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def step_lines(run):
    return [{k: v for k, v in r.items() if k not in ("time", "images_per_s")}
            for r in read_jsonl(run / "log.jsonl") if "loss_D" in r]


def eval_lines(run, drop=("time",)):
    return [{k: v for k, v in r.items() if k not in drop}
            for r in read_jsonl(run / "log.jsonl") if r.get("type") == "eval"]


def test_eval_every_epoch_writes_metrics_log_lines_plot_and_a_printed_line(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run))
    result = trainer.train()
    assert result.step == 8 and result.epoch == 2

    lines = read_jsonl(run / "metrics.jsonl")
    assert [(m["step"], m["epoch"]) for m in lines] == [(4, 1), (8, 2)]
    for m in lines:
        assert m["n"] == 200 and m["dataset"] == "mnist" and m["reference"] == "stored"
        assert np.isfinite(m["fid"]) and m["fid"] > 0
        assert 1.0 <= m["inception_score"] <= 10.0 and 1 <= m["classes_covered"] <= 10
        assert m["baseline"]["n"] == 64  # the real-vs-real baseline on the (64 fake) training images
    # The log holds the step lines and, after each epoch's last step, an eval line with the same numbers.
    records = read_jsonl(run / "log.jsonl")
    assert [(r.get("type", "step"), r["step"]) for r in records] == \
        [("step", 1), ("step", 2), ("step", 3), ("step", 4), ("eval", 4),
         ("step", 5), ("step", 6), ("step", 7), ("step", 8), ("eval", 8)]
    evals = [r for r in records if r.get("type") == "eval"]
    for m, e in zip(lines, evals):
        assert e["epoch"] == m["epoch"] and e["fid"] == m["fid"] and e["inception_score"] == m["inception_score"]
        assert e["classes_covered"] == m["classes_covered"] and e["baseline_fid"] == m["baseline"]["fid"]
        assert "loss_D" not in e
    assert result.evaluations == evals and result.metrics_log == run / "metrics.jsonl"
    assert result.metrics_plot == run / "metrics.png" and (run / "metrics.png").read_bytes()[:8] == PNG
    assert (run / "losses.png").read_bytes()[:8] == PNG  # the loss plot skipped the eval lines

    err = capsys.readouterr().err
    printed = [line for line in err.splitlines() if "eval at epoch" in line]
    assert len(printed) == 2
    assert printed[1].startswith("minigan: eval at epoch 2 (step 8, 200 samples): FID ")
    assert f"FID {lines[1]['fid']:.3f} (real {lines[1]['baseline']['fid']:.3f})" in printed[1]
    assert f"IS {lines[1]['inception_score']:.3f} ± " in printed[1]
    assert f"classes covered {lines[1]['classes_covered']}/10 (real " in printed[1]

    # The last line scores the final weights: evaluate() and the family's evaluate_generator (what `minigan eval
    # --checkpoint` does, seed 0) give the same numbers for them.
    again = trainer.evaluate()
    direct = get_family("dcgan").evaluate_generator(trainer.G, 200, dataset="mnist", seed=0, data_dir=str(data_dir))
    assert again["fid"] == lines[1]["fid"] == pytest.approx(direct["fid"], rel=1e-9)
    assert again["inception_score"] == pytest.approx(direct["inception_score"], rel=1e-9)


def test_eval_every_counts_epochs_not_steps(data_dir, tmp_path):
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, epochs=3, eval_every=2, eval_n=50)).train()
    assert [(m["step"], m["epoch"]) for m in read_jsonl(run / "metrics.jsonl")] == [(8, 2)]
    assert [(e["step"], e["epoch"]) for e in eval_lines(run)] == [(8, 2)]


def test_evaluation_leaves_training_bit_identical(data_dir, tmp_path):
    # G is in training mode with BatchNorm (dcgan) between evaluations: sampling in eval mode must not move its
    # running statistics, its mode or minigan's noise stream, so every later step is the same.
    with_eval = GANTrainer(tiny(data_dir, tmp_path / "with")).train()
    without = GANTrainer(tiny(data_dir, tmp_path / "without", eval_every=0)).train()
    assert len(with_eval.evaluations) == 2 and without.evaluations == [] and without.metrics_log is None
    assert not (tmp_path / "without" / "metrics.jsonl").exists()
    a, b = load_checkpoint(tmp_path / "with"), load_checkpoint(tmp_path / "without")
    for part in ("generator", "discriminator"):
        assert set(a[part]) == set(b[part])
        for key in a[part]:
            assert np.array_equal(a[part][key], b[part][key]), f"{part}.{key}"
    assert np.array_equal(np.asarray(a["fixed_noise"]), np.asarray(b["fixed_noise"]))
    assert json.dumps(a["rng_state"], sort_keys=True, default=str) == \
        json.dumps(b["rng_state"], sort_keys=True, default=str)
    assert step_lines(tmp_path / "with") == step_lines(tmp_path / "without")


def test_resume_after_an_evaluation_continues_the_metrics(data_dir, tmp_path):
    straight = GANTrainer(tiny(data_dir, tmp_path / "straight")).train()
    split = tmp_path / "split"
    first = GANTrainer(tiny(data_dir, split, max_steps=6)).train()
    assert [e["step"] for e in first.evaluations] == [4]
    # the saved max_steps=6 is kept unless given; the per-epoch line reads the reloaded history: no eval lines
    second = resume(split, progress="epoch", max_steps=8)
    assert [e["step"] for e in second.evaluations] == [8]
    assert straight.step == second.step == 8
    drop = ("reference", "classifier")
    assert [{k: v for k, v in m.items() if k not in drop} for m in read_jsonl(split / "metrics.jsonl")] == \
        [{k: v for k, v in m.items() if k not in drop} for m in read_jsonl(tmp_path / "straight" / "metrics.jsonl")]
    assert eval_lines(split) == eval_lines(tmp_path / "straight")
    assert step_lines(split) == step_lines(tmp_path / "straight")
    assert second.metrics_plot == split / "metrics.png"


def test_resume_from_a_checkpoint_before_its_epoch_end_evaluates_once(data_dir, tmp_path):
    # The checkpoint of step 4 is written before epoch 1's end (and its evaluation); the run then dies in step 6.
    # Resuming does that epoch end again: its evaluation must replace the old lines, not follow them.
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run, checkpoint_every=4))
    original = trainer.train_step

    def die_in_step_6(batches):
        if trainer.step == 5:
            raise KeyboardInterrupt
        return original(batches)

    trainer.train_step = die_in_step_6
    with pytest.raises(KeyboardInterrupt):
        trainer.train()
    state = load_checkpoint(run)
    assert (state["step"], state["epoch"], state["batch"]) == (4, 0, 4)
    assert [m["step"] for m in read_jsonl(run / "metrics.jsonl")] == [4]
    with open(run / "metrics.jsonl", "a") as handle:  # a line cut short by the crash
        handle.write('{"step": 5, "fi')
    result = resume(run)
    assert result.step == 8
    assert [(m["step"], m["epoch"]) for m in read_jsonl(run / "metrics.jsonl")] == [(4, 1), (8, 2)]
    assert [(e["step"], e["epoch"]) for e in eval_lines(run)] == [(4, 1), (8, 2)]
    assert [r["step"] for r in step_lines(run)] == list(range(1, 9))


def test_a_new_run_in_a_folder_without_checkpoint_drops_stale_metrics(data_dir, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"step": 99, "fid": 1.0}) + "\n")
    (run / "metrics.png").write_bytes(PNG)
    GANTrainer(tiny(data_dir, run, eval_every=0, max_steps=2)).train()
    assert not (run / "metrics.jsonl").exists() and not (run / "metrics.png").exists()


def test_offline_falls_back_to_the_stored_statistics_and_baseline(data_dir, tmp_path, monkeypatch):
    def no_dataset(dataset, split, data_dir):
        raise FileNotFoundError(f"{dataset} {split} split not found (offline)")

    monkeypatch.setattr(scoring, "_load_split", no_dataset)
    scoring.clear_cache()
    try:
        result = GANTrainer(tiny(data_dir, tmp_path / "run", epochs=1)).train()
    finally:
        scoring.clear_cache()
    (m,) = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert m["reference"] == "stored" and m["baseline"]["source"].startswith("stored (n=10000")
    assert m["baseline"]["fid"] == pytest.approx(2.165, abs=1e-3) and m["baseline"]["classes_covered"] == 10
    assert result.evaluations[0]["baseline_n"] == 10000


def test_a_custom_generator_without_latent_dim_is_scored(data_dir, tmp_path):
    from minigan import nn
    minigan.manual_seed(0)
    G = nn.Sequential(nn.Linear(6, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(784, 1))
    result = GANTrainer(tiny(data_dir, tmp_path / "run", latent_dim=6, width=None, epochs=1, eval_n=20),
                        generator=G, discriminator=D).train()
    assert [e["n"] for e in result.evaluations] == [20]


def test_a_failed_evaluation_warns_and_training_goes_on(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(classifier, "weights_path", lambda name: tmp_path / "no-such-weights.npz")
    result = GANTrainer(tiny(data_dir, tmp_path / "run")).train()
    assert result.step == 8 and result.evaluations == [] and result.metrics_log is None
    err = capsys.readouterr().err
    assert err.count("failed, training goes on") == 2
    assert "evaluation after epoch 1 (step 4) failed, training goes on: no classifier weights for mnist" in err
    assert not (tmp_path / "run" / "metrics.jsonl").exists() and not eval_lines(tmp_path / "run")


def test_config_validation_of_the_eval_settings():
    with pytest.raises(ValueError, match=r"--eval-every must be a non-negative integer, got -1"):
        TrainConfig(eval_every=-1).resolved().validate()
    with pytest.raises(ValueError, match=r"--eval-every must be a non-negative integer, got 1.5"):
        TrainConfig(eval_every=1.5).resolved().validate()
    with pytest.raises(ValueError, match=r"--eval-n must be a positive integer, got 0"):
        TrainConfig(eval_n=0).resolved().validate()
    with pytest.raises(ValueError, match=r"--eval-n must be at least 2 \(FID needs a covariance\), got 1"):
        TrainConfig(eval_every=1, eval_n=1).resolved().validate()
    TrainConfig(eval_every=0, eval_n=1).resolved().validate()  # never evaluated: no need for 2 samples
    default = TrainConfig().resolved()
    assert default.eval_every == 0 and default.eval_n == 10_000


def test_cli_eval_every_and_eval_n(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["train", "--data-dir", str(data_dir), "--out", str(run), "--epochs", "1", "--eval-every", "1",
                 "--eval-n", "30", "--progress", "none", "--width", "4", "--latent-dim", "24", "--batch-size", "16",
                 "--samples", "16"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"  metrics:      {run / 'metrics.jsonl'} (curves: {run / 'metrics.png'})" in out
    assert "minigan: eval at epoch 1 (step 4, 30 samples): FID " in err
    assert json.loads((run / "config.json").read_text())["eval_every"] == 1
    assert [m["n"] for m in read_jsonl(run / "metrics.jsonl")] == [30]
    # Evaluation may be switched on when resuming: it does not change what the steps compute.
    code = main(["train", "--resume", str(run), "--epochs", "2", "--eval-n", "20"])
    assert code == 0, capsys.readouterr().err
    assert [(m["step"], m["n"]) for m in read_jsonl(run / "metrics.jsonl")] == [(4, 30), (8, 20)]
    for bad, message in ((["--eval-every", "-1"], "argument --eval-every: expected a non-negative integer, got '-1'"),
                         (["--eval-n", "0"], "argument --eval-n: expected a positive integer, got '0'")):
        with pytest.raises(SystemExit) as info:
            main(["train", "--out", str(tmp_path / "bad"), *bad])
        assert info.value.code == 2 and message in capsys.readouterr().err

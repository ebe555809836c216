"""The benchmark harness runs end to end and writes JSON of the documented shape.

Not a timing test: a tiny configuration (batch 8, one repeat, minigan only), so it stays
fast; it checks that `python -m benchmarks` keeps working as the engine changes.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest

from benchmarks.variants import _variant
from benchmarks.variants import main as variants_main
from minigan.data import write_fake_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quick_run_writes_expected_json(tmp_path):
    out = tmp_path / "smoke.json"
    cmd = [sys.executable, "-m", "benchmarks", "--device", "cpu", "--quick", "--frameworks", "minigan",
           "--batch-sizes", "8", "--repeat", "1", "--warmup", "0", "--memory-iters", "1", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads(out.read_text())

    for key in ("schema", "created", "command", "settings", "conventions", "machine", "versions", "threads",
                "backends", "ops", "train", "memory"):
        assert key in data, key
    assert data["machine"]["logical_cores"] >= 1
    assert data["versions"]["numpy"]
    assert data["settings"]["batch_sizes"] == [8]
    assert data["backends"]["used"] == ["minigan-numpy"]

    ops = {(row["name"], row["mode"]) for row in data["ops"]}
    assert ("conv2d D1", "fwd+bwd") in ops and ("Adam step (DCGAN G+D)", "step") in ops
    for row in data["ops"]:
        res = row["results"]["minigan-numpy"]
        assert res.get("median_s", 0) > 0 and res["n"] == 1, (row["name"], row["mode"], res)

    assert {(r["model"], r["batch"]) for r in data["train"]} == {("dcgan", 8), ("mlp", 8)}
    for row in data["train"]:  # the engine is complete: a training iteration must run
        res = row["results"]["minigan-numpy"]
        assert res.get("images_per_s", 0) > 0, res
        assert res["models_from"] == "minigan.gan.build_models"
    # the GEMM limit: sgemm measured in the same run, each row's limit and the fraction minigan reached
    assert float(data["gemm_limit"]["gflops"]["8"]) > 0
    assert data["gemm_limit"]["flop_per_image"]["dcgan"] > data["gemm_limit"]["flop_per_image"]["mlp"] > 0
    for row in data["train"]:
        assert row["gemm_limit_img_per_s"] > 0 and 0 < row["gemm_fraction"]["minigan-numpy"]
    assert "GEMM limit" in proc.stdout
    assert {(r["model"], r["batch"]) for r in data["memory"]} == {("dcgan", 8), ("mlp", 8)}
    for row in data["memory"]:
        res = row["results"]["minigan-numpy"]
        assert res.get("peak_bytes", 0) > 0, res
    # the tables were printed, with the ratio conventions in their headers
    assert "torch time / minigan time" in proc.stdout
    assert "minigan img/s / torch img/s" in proc.stdout


def test_variant_timing_runs_every_variant_in_turn_and_writes_ratios(tmp_path):
    write_fake_dataset(tmp_path / "data", train_size=200, test_size=20, seed=1)
    out = tmp_path / "variants.json"
    assert variants_main(["--steps", "1", "--reps", "2", "--data-dir", str(tmp_path / "data"), "--out", str(out),
                          'ref={"batch_size": 8, "width": 4}',
                          'two={"batch_size": 8, "width": 4, "n_critic": 2}']) == 0
    data = json.loads(out.read_text())
    assert data["reference"] == "ref" and set(data["variants"]) == {"ref", "two"}
    ref, two = data["variants"]["ref"], data["variants"]["two"]
    assert ref["epoch_ratio_per_round"] == [1.0, 1.0]
    assert (ref["steps_per_epoch"], two["steps_per_epoch"]) == (25, 12)   # n_critic 2: two batches a step
    assert len(two["s_per_step"]) == 2 and all(s > 0 for s in two["s_per_step"])


def test_variant_timing_rejects_a_malformed_variant():
    with pytest.raises(argparse.ArgumentTypeError, match="expected NAME=JSON"):
        _variant("no-equals-sign")
    with pytest.raises(argparse.ArgumentTypeError, match="not JSON"):
        _variant("x={bad")


def test_ab_and_op_overhead_tools_run():
    """python -m benchmarks.ab (old path set by --set) and python -m benchmarks.op_overhead, tiny sizes."""
    ab = subprocess.run([sys.executable, "-m", "benchmarks.ab", "--set", "minigan.ops.conv_phase:applies=lambda *a: False",
                         "--batch", "4", "--blocks", "2", "--iters", "1"], cwd=ROOT, capture_output=True, text=True,
                        timeout=120)
    assert ab.returncode == 0, ab.stderr[-2000:]
    assert "new/old: wall median" in ab.stdout and "old: wall median" in ab.stdout
    ov = subprocess.run([sys.executable, "-m", "benchmarks.op_overhead", "--batch", "4", "--repeat", "3"], cwd=ROOT,
                        capture_output=True, text=True, timeout=120)
    assert ov.returncode == 0, ov.stderr[-2000:]
    assert "us per op" in ov.stdout and "dcgan batch 4:" in ov.stdout and "recorded forward ops" in ov.stdout

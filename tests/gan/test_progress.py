"""minigan/gan/training/extensions/progress.py: off a terminal, a progress line at least every 30 s."""
from __future__ import annotations

import io

from minigan.gan.training.extensions.progress import Reporter


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(step: int, epoch: int = 1) -> dict:
    return {"step": step, "epoch": epoch, "loss_D": 1.25, "loss_G": 0.5, "D_x": 0.5, "D_G_z": 0.5,
            "images_per_s": 320.0}


def test_piped_progress_prints_a_line_every_30_seconds_between_epoch_lines():
    clock, stream = FakeClock(), io.StringIO()  # a StringIO is not a terminal: 'auto' picks the epoch lines
    reporter = Reporter("auto", steps_per_epoch=100, epochs=2, stream=stream, clock=clock)
    assert reporter.mode == "epoch"
    reporter.start_epoch(0, 0)
    for step in range(1, 8):  # 10 s a step: lines after 30 s and 60 s, none in between
        clock.now += 10.0
        reporter.update(step, step, record(step))
    lines = stream.getvalue().splitlines()
    assert lines == ["epoch 1/2 step 3/100 (step 3 in all): loss_D 1.250 loss_G 0.500, 320 img/s, epoch ETA 16:10",
                     "epoch 1/2 step 6/100 (step 6 in all): loss_D 1.250 loss_G 0.500, 320 img/s, epoch ETA 15:40"]


def test_an_epoch_line_restarts_the_30_seconds():
    clock, stream = FakeClock(), io.StringIO()
    reporter = Reporter("epoch", steps_per_epoch=2, epochs=3, stream=stream, clock=clock)
    reporter.start_epoch(0, 0)
    clock.now += 29.0
    reporter.update(1, 1, record(1))
    clock.now += 1.0
    reporter.end_epoch(0, 2, [record(1), record(2)], None)
    reporter.start_epoch(1, 0)
    clock.now += 29.0
    reporter.update(3, 1, record(3, epoch=2))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("epoch 1/3 done at step 2")


def test_none_and_bar_modes_print_no_periodic_lines():
    for mode in ("none", "bar"):
        clock, stream = FakeClock(), io.StringIO()
        reporter = Reporter(mode, steps_per_epoch=100, epochs=1, stream=stream, clock=clock)
        clock.now += 100.0
        reporter.update(1, 1, record(1))
        assert "in all" not in stream.getvalue()

"""--lr-schedule's compact specs -> minigan.optim.lr_scheduler factories, one scheduler per optimiser.

    make = parse_lr_schedule("step:10:0.5", epochs=30)    # ValueError naming the spec when it does not parse
    scheduler = make(opt)                                   # StepLR(opt, step_size=10, gamma=0.5)
"""
from __future__ import annotations

from ...optim import lr_scheduler

__all__ = ["parse_lr_schedule"]


def _numbers(spec: str, parts: list[str], kinds: tuple, names: tuple) -> list:
    if len(parts) > len(kinds):
        raise ValueError(f"lr schedule {spec!r}: at most {len(kinds)} value(s) ({', '.join(names)})")
    try:
        return [kind(p) for kind, p in zip(kinds, parts)]
    except ValueError:
        raise ValueError(f"lr schedule {spec!r}: expected {', '.join(names)} as numbers") from None


def parse_lr_schedule(spec: str, epochs: int):
    """A factory ``optimizer -> LRScheduler`` for a compact spec (stepped once per epoch):

        cosine[:ETA_MIN]            CosineAnnealingLR(T_max=epochs, eta_min=ETA_MIN (0))
        step:SIZE[:GAMMA]           StepLR(step_size=SIZE epochs, gamma=GAMMA (0.1))
        exp:GAMMA                   ExponentialLR(gamma=GAMMA)
        linear[:START[:END]]        LinearLR(start_factor=START (1), end_factor=END (0), total_iters=epochs)

    Raises ValueError naming the spec when it does not parse.
    """
    name, *parts = str(spec).split(":")
    epochs = max(int(epochs), 1)
    if name == "cosine":
        (eta_min,) = _numbers(spec, parts, (float,), ("ETA_MIN",)) or [0.0]
        return lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=eta_min)
    if name == "step":
        values = _numbers(spec, parts, (int, float), ("SIZE", "GAMMA"))
        if not values or values[0] < 1:
            raise ValueError(f"lr schedule {spec!r}: step needs a positive SIZE in epochs, e.g. step:10:0.5")
        size, gamma = values[0], (values[1] if len(values) > 1 else 0.1)
        return lambda opt: lr_scheduler.StepLR(opt, step_size=size, gamma=gamma)
    if name == "exp":
        values = _numbers(spec, parts, (float,), ("GAMMA",))
        if not values or not values[0] > 0:
            raise ValueError(f"lr schedule {spec!r}: exp needs a positive GAMMA, e.g. exp:0.9")
        return lambda opt: lr_scheduler.ExponentialLR(opt, gamma=values[0])
    if name == "linear":
        values = _numbers(spec, parts, (float, float), ("START", "END"))
        start, end = (values + [1.0, 0.0][len(values):])[:2]
        if not (0 < start <= 1 and 0 <= end <= 1):
            raise ValueError(f"lr schedule {spec!r}: linear needs 0 < START <= 1 and 0 <= END <= 1")
        return lambda opt: lr_scheduler.LinearLR(opt, start_factor=start, end_factor=end, total_iters=epochs)
    raise ValueError(f"unknown lr schedule {spec!r}; use cosine[:ETA_MIN], step:SIZE[:GAMMA], exp:GAMMA or "
                     f"linear[:START[:END]]")

"""EMA: an exponential moving average of a model's weights (the generator's, for samples and evaluation).

Averaging the generator's weights over the last few thousand steps smooths out
the oscillation of GAN training and usually gives better samples and FID than
the raw weights (Yazıcı et al. 2019; ProGAN, StyleGAN, BigGAN). After every
generator step::

    ema = EMA(G, decay=0.999)          # a frozen deep copy of G, in eval mode
    ...; opt_g.step(); ema.update()    # ema_p = decay * ema_p + (1 - decay) * p; buffers copied
    images = ema(z)                    # or ema.module: sample, plot and evaluate with it
    checkpoint["ema"] = ema.state_dict()

Buffers (BatchNorm running statistics) are copied, not averaged: they describe
the activations of the current weights, as PyTorch's AveragedModel does with
``use_buffers=False`` followed by a copy.
"""
from __future__ import annotations

import copy
import math
from typing import Any

from ...autograd import no_grad
from ...nn import Module

__all__ = ["EMA"]


def _check_decay(decay) -> float:
    try:
        value = float(decay)
    except (TypeError, ValueError):
        raise ValueError(f"EMA: decay must be a number in (0, 1), got {decay!r}") from None
    if not (0.0 < value < 1.0 and math.isfinite(value)):
        raise ValueError(f"EMA: decay must be in (0, 1) (e.g. 0.999), got {decay!r}")
    return value


class EMA:
    """Keeps ``module``, a frozen copy of `source` whose parameters are an exponential moving average."""

    def __init__(self, source: Module, decay: float = 0.999):
        if not isinstance(source, Module):
            raise TypeError(f"EMA: expected a minigan.nn.Module, got {type(source).__name__}")
        self.decay = _check_decay(decay)
        self.source = source
        self.module = copy.deepcopy(source).eval().requires_grad_(False)
        self.num_updates = 0

    def update(self) -> None:
        """One averaging step from the source's current weights; copy its buffers."""
        d = self.decay
        mine, theirs = list(self.module.named_parameters()), list(self.source.named_parameters())
        if len(mine) != len(theirs):
            raise RuntimeError(f"EMA: the source module no longer matches its average ({len(theirs)} "
                               f"parameters vs {len(mine)})")
        with no_grad():
            for (name, avg), (src_name, p) in zip(mine, theirs):
                if name != src_name or avg.shape != p.shape:
                    raise RuntimeError(f"EMA: the source module no longer matches its average ({src_name} "
                                       f"{tuple(p.shape)} vs {name} {tuple(avg.shape)})")
                a = avg.array
                a += (1.0 - d) * (p.array.astype(a.dtype, copy=False) - a)  # lerp towards p
            for (name, avg), (_, b) in zip(self.module.named_buffers(), self.source.named_buffers()):
                if avg is not None and b is not None:
                    avg.array[...] = b.array
        self.num_updates += 1

    def __call__(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def state_dict(self) -> dict[str, Any]:
        """{"decay", "num_updates", "module": the averaged module's state dict (copies)}."""
        return {"decay": self.decay, "num_updates": self.num_updates, "module": self.module.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        missing = {"decay", "num_updates", "module"} - set(state_dict)
        if missing:
            raise KeyError(f"EMA.load_state_dict: missing {', '.join(sorted(missing))}")
        self.decay = _check_decay(state_dict["decay"])
        self.num_updates = int(state_dict["num_updates"])
        self.module.load_state_dict(state_dict["module"])

    def __repr__(self) -> str:
        return f"EMA(decay={self.decay}, num_updates={self.num_updates}, module={type(self.module).__name__})"

"""Optimisers: SGD, Adam, AdamW, RMSprop, Adagrad, NAdam and RAdam with PyTorch's parameter groups, state and state_dict.

Every update runs in place on the parameter arrays with in-place ufuncs
(``out=``) and per-parameter scratch buffers allocated once, so a step builds no
graph, allocates nothing after the first call and never changes a parameter's
dtype (float32 stays float32). Gradients are read, never written: ``p.grad`` may
share its array with something else.

    opt = minigan.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt.zero_grad(); loss.backward(); opt.step()
"""
from __future__ import annotations

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "lr_scheduler"]

"""minigan.nn: layers and models with PyTorch's names, signatures, defaults and weight layouts.

``Module`` registers parameters, buffers and children on attribute assignment;
``state_dict()`` uses PyTorch's key names, so ``{k: v.numpy() for k, v in
torch_model.state_dict().items()}`` loads into the same minigan model. Layers call
``minigan.nn.functional`` (imported here as ``F``), and ``minigan.nn.init`` holds the
initialisers, all drawing from the generator that ``minigan.manual_seed`` seeds.
"""
from __future__ import annotations

from . import functional, init, utils
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .group_norm import GroupNorm
from .instance_norm import InstanceNorm2d
from .linear import Identity, Linear
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                     SmoothL1Loss)
from .module import Module, RemovableHandle
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AvgPool2d, MaxPool2d
from .sync_batchnorm import SyncBatchNorm
from .parameter import Parameter

__all__ = ["Module", "Parameter", "RemovableHandle", "Sequential", "ModuleList", "ModuleDict", "Identity", "Linear",
           "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "SyncBatchNorm", "LayerNorm", "MaxPool2d", "AvgPool2d", "Dropout", "Embedding", "ReLU", "LeakyReLU",
           "Tanh", "Sigmoid", "Softplus", "Softmax", "LogSoftmax", "Flatten", "Unflatten", "functional", "init",
           "BCEWithLogitsLoss", "BCELoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "NLLLoss",
           "CrossEntropyLoss", "KLDivLoss", "GroupNorm", "InstanceNorm2d", "utils"]

from .activation_smooth import ELU, GELU, Hardtanh, Mish, PReLU, SiLU  # noqa: E402
from .conv import Conv1d  # noqa: E402
from .dropout import Dropout2d  # noqa: E402
from .fold import Fold, Unfold  # noqa: E402
from .padding import ConstantPad2d, ReflectionPad2d, ReplicationPad2d, ZeroPad2d  # noqa: E402
from .parameter_containers import ParameterDict, ParameterList  # noqa: E402
from .resizing import AdaptiveAvgPool2d, PixelShuffle, PixelUnshuffle, Upsample  # noqa: E402

__all__ += ["ELU", "GELU", "SiLU", "Mish", "PReLU", "Hardtanh", "Conv1d", "Dropout2d", "Fold", "Unfold",
            "ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "ParameterList", "ParameterDict",
            "Upsample", "AdaptiveAvgPool2d", "PixelShuffle", "PixelUnshuffle"]

"""The family registry: every GAN family this process can train, sample and evaluate, by name.

A family is what ``minigan train --model NAME`` trains: its models, its losses, its training step, its
options, its sample grid and its evaluation. Each shipped family is one folder beside this file, and
``families/__init__.py`` is the one list of them. Code outside ``families/`` (the loop, the config, the
checkpoints, sampling, evaluation, the command line) never names a family: it asks this registry.

A family of your own is a subclass of `Family`, registered once::

    @register_family
    class RelativisticGAN(Family):
        name = "ragan"
        help = "relativistic average GAN"
        Options = RaGANOptions            # a dataclass: each field is a --flag of `minigan train`
        def build_models(self, config): ...
        def make_updater(self, G, D, opt_g, opt_d, loss, **parts): ...

Every command finds it when its module is imported: ``--plugin MODULE`` on the command line, or an
entry point in the ``minigan.families`` group of an installed package (``discover_plugins``).
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ...evaluation import evaluate_samples
from ..core.sampling import generate
from ..training.updater import GANUpdater

__all__ = ["Family", "NoOptions", "FamilyError", "register_family", "unregister_family", "get_family",
           "family_names", "families", "load_plugin", "discover_plugins", "ENTRY_POINT_GROUP", "REQUIRED"]

ENTRY_POINT_GROUP = "minigan.families"


class FamilyError(ValueError):
    """A family that cannot be registered or found (the message names it and what is wrong)."""


@dataclasses.dataclass
class NoOptions:
    """The options of a family that has none of its own."""


class Family:
    """One GAN family. Subclass it, set the class attributes, override the methods you need.

    name      the ``--model`` name                 help     one line for ``minigan train --help``
    task      "gan" (noise -> image) or another task a family serves (``--task`` picks its family)
    Options   a dataclass of the family's own options (each field a ``--flag``; metadata "help" its help)
    recipe    common settings this family is tuned with, used when no ``--preset`` is given
    fixed     common settings the family needs (a loss's own defaults never override them)
    defaults  the model sizes when none are given: {"latent_dim": ..., "width": ...}
    commands  extra ``minigan`` subcommands: (name, help, setup(parser) -> handler(args) -> int)
    """

    name: str = ""
    help: str = ""
    task: str = "gan"
    Options: type = NoOptions
    recipe: dict = {}
    fixed: dict = {}
    defaults: dict = {"latent_dim": 100, "width": 64}
    commands: tuple = ()

    # ---- options and sizes --------------------------------------------------------------------------
    def options(self, config) -> Any:
        """The family's Options from ``config.options`` (a ValueError names an option it does not take)."""
        values = dict(getattr(config, "options", None) or {})
        known = {f.name for f in dataclasses.fields(self.Options)}
        unknown = sorted(set(values) - known)
        if unknown:
            verb = "does" if len(unknown) == 1 else "do"
            raise ValueError(f"{', '.join(_flag(k) for k in unknown)} {verb} not apply to --model {self.name}")
        return self.Options(**values)

    def validate(self, config) -> None:
        """Raise ValueError naming the first option (as its flag) that does not fit; the fields are checked
        by type already. Override to check the family's own options (call super)."""
        for key, value in self.fixed.items():
            if getattr(config, key) != value:
                raise ValueError(f"--model {self.name} needs {_flag(key)} {value}, got {getattr(config, key)}")

    def model_config(self, config) -> dict:
        """What the checkpoint records to rebuild the generator (``build_generator``): the sizes by default."""
        return {"latent_dim": config.latent_dim, "width": config.width}

    # ---- what a family must give --------------------------------------------------------------------
    def build_models(self, config) -> tuple:
        """(G, D) for `config` (its sizes and ``self.options(config)``), initialised from minigan's seed."""
        raise NotImplementedError

    def build_generator(self, model_config: dict):
        """The generator a checkpoint's ``model_config`` describes (its weights are loaded after): by default
        ``build_models`` with the recorded sizes and the options' defaults (override when an option changes G)."""
        sizes = {**self.defaults, **{k: v for k, v in model_config.items() if k in ("latent_dim", "width")}}
        return self.build_models(SimpleNamespace(**sizes, options={}))[0]

    # ---- what a family may change -------------------------------------------------------------------
    def make_loss(self, adversarial, config):
        """The loss the step takes, built on the adversarial `GANLoss` of ``--loss`` (a family adds terms)."""
        return adversarial

    def make_updater(self, G, D, opt_g, opt_d, loss, *, config, penalties, device):
        """The training step: Goodfellow's alternating step (``GANUpdater``) unless the family has its own."""
        return GANUpdater(G, D, opt_g, opt_d, loss, device=device, latent_dim=config.latent_dim,
                          n_critic=config.n_critic, penalties=penalties)

    def sampling_labels(self, generator, n: int, class_index: int | None = None):
        """The labels `minigan sample` draws `n` images for (None: the generator takes noise alone)."""
        if class_index is not None:
            raise ValueError(f"--class applies to conditional models only; --model {self.name} has no classes")
        return None

    def evaluate_generator(self, generator, n: int, *, dataset: str, seed: int = 0, device: str = "cpu",
                           batch_size: int = 250, **scoring) -> dict:
        """What ``minigan eval --checkpoint`` scores: FID, IS and coverage of `n` samples from seeded noise."""
        samples = generate(generator, n, device=device, seed=seed, batch_size=batch_size)
        return evaluate_samples(samples, dataset, device=device, batch_size=batch_size, **scoring)

    def format_report(self, result: dict) -> str:
        """The lines ``minigan eval`` prints after the common report (none by default)."""
        return ""

    def add_eval_arguments(self, parser, source) -> None:
        """Options of ``minigan eval`` that only this family reads (`source`: the group of what is scored)."""

    def run_eval(self, args) -> "int | None":
        """Run ``minigan eval`` when the arguments are this family's to handle (its own options, or a
        checkpoint it scores differently); None leaves them to the common evaluation."""
        return None

    def __repr__(self) -> str:
        return f"<family {self.name!r} ({type(self).__module__}.{type(self).__qualname__})>"


REQUIRED = ("build_models",)
_FAMILIES: dict[str, Family] = {}


def _flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def register_family(family, *, replace: bool = False):
    """Register a `Family` (an instance, or a subclass, which is instantiated); returns what it was given,
    so it works as a class decorator. A name already taken is refused unless `replace`."""
    instance = family() if isinstance(family, type) else family
    if not isinstance(instance, Family):
        raise FamilyError(f"register_family: {family!r} is not a minigan.gan.Family")
    where = f"{type(instance).__module__}.{type(instance).__qualname__}"
    name = instance.name
    if not isinstance(name, str) or not name or not name.replace("-", "").replace("_", "").isalnum():
        raise FamilyError(f"family {where} needs a name (letters, digits, '-' or '_'), got {name!r}")
    missing = [part for part in REQUIRED if getattr(type(instance), part) is getattr(Family, part)]
    if missing:
        raise FamilyError(f"family {name!r} ({where}) is missing {', '.join(missing)}")
    if not dataclasses.is_dataclass(instance.Options):
        raise FamilyError(f"family {name!r} ({where}): Options must be a dataclass, got {instance.Options!r}")
    taken = _FAMILIES.get(name)
    if taken is not None and not replace and type(taken) is not type(instance):
        raise FamilyError(f"family name {name!r} is already taken by {type(taken).__module__}."
                          f"{type(taken).__qualname__}; {where} must choose another name")
    _FAMILIES[name] = instance
    return family


def unregister_family(name: str) -> None:
    """Forget family `name` (tests, and a plugin that replaces one)."""
    _FAMILIES.pop(name, None)


def get_family(name: str) -> Family:
    """The registered family `name`; a FamilyError lists the known ones and how to add one."""
    try:
        return _FAMILIES[name]
    except KeyError:
        raise FamilyError(f"no GAN family {name!r} is registered in this process (known: "
                          f"{', '.join(sorted(_FAMILIES))}); a family from a plugin needs --plugin MODULE "
                          f"or an installed package with a '{ENTRY_POINT_GROUP}' entry point") from None


def family_names() -> list[str]:
    """The registered families' names, in registration order."""
    return list(_FAMILIES)


def families() -> list[Family]:
    """The registered families, in registration order."""
    return list(_FAMILIES.values())


def load_plugin(module: str):
    """Import `module` (on sys.path, or a .py file's path), whose import registers its families."""
    try:
        if module.endswith(".py"):
            path = Path(module)
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if spec is None or not path.is_file():
                raise FamilyError(f"plugin {module}: no such file")
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = loaded
            spec.loader.exec_module(loaded)
            return loaded
        return importlib.import_module(module)
    except FamilyError:
        raise
    except Exception as exc:   # any failure of the plugin's own code: one line naming the module
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise FamilyError(f"plugin module {module!r} does not import: {type(exc).__name__}: {detail}") from None


def discover_plugins() -> list[str]:
    """Load every installed package's ``minigan.families`` entry points; returns their names."""
    loaded = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = point.load()
        except Exception as exc:
            raise FamilyError(f"the {ENTRY_POINT_GROUP} entry point {point.name!r} ({point.value}) does not load: "
                              f"{type(exc).__name__}: {' '.join(str(exc).split())}") from None
        if isinstance(target, type) and issubclass(target, Family) or isinstance(target, Family):
            register_family(target)
        loaded.append(point.name)
    return loaded

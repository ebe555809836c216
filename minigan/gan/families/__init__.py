"""The GAN families minigan ships: this file is the one list of them (each family is one folder).

    unconditional/   dcgan, mlp
    conditional/     cgan, cgan-concat, acgan
    infogan/         infogan
    inpainting/      inpaint (--task inpaint)

A family of your own registers itself the same way (``register_family``) from a module that
``--plugin MODULE`` or a ``minigan.families`` entry point imports: see registry.py.
"""
from .registry import (ENTRY_POINT_GROUP, Family, FamilyError, NoOptions, discover_plugins, families, family_names,
                       get_family, load_plugin, register_family, unregister_family)
from .unconditional.family import DCGANFamily, MLPFamily
from .conditional.family import ACGANFamily, CGANConcatFamily, CGANFamily
from .infogan.family import InfoGANFamily
from .inpainting.family import InpaintingFamily
from .unconditional.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, dcgan_init_

SHIPPED = (InfoGANFamily, DCGANFamily, MLPFamily, CGANFamily, CGANConcatFamily, ACGANFamily, InpaintingFamily)
for _family in SHIPPED:
    register_family(_family)

__all__ = ["Family", "FamilyError", "NoOptions", "register_family", "unregister_family", "get_family",
           "family_names", "families", "load_plugin", "discover_plugins", "ENTRY_POINT_GROUP", "SHIPPED",
           "DCGANGenerator", "DCGANDiscriminator", "MLPGenerator", "MLPDiscriminator", "dcgan_init_"]

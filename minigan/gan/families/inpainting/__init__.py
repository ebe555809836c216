"""Image inpainting with an encoder-decoder GAN: masks, models, losses, inference, metrics, grids.

    from minigan.gan.families.inpainting import InpaintingGenerator, MaskSampler, inpaint, evaluate_inpainting
    G = InpaintingGenerator(width=32, unet=True)          # trained by the inpainting updater
    masks = MaskSampler("center").sample(len(images))     # 1 = hidden
    completed = inpaint(G, images, masks)                 # visible pixels unchanged, exactly
    print(format_inpainting_report(evaluate_inpainting(completed, images, masks, labels)))
"""
from .api import check_images, inpaint, load_images, load_masks, mask_images
from .checkpoint import INPAINT_TASK, checkpoint_task, load_inpainting_generator
from .grid import inpainting_grid, save_inpainting_grid
from .losses import RECONSTRUCTIONS, InpaintingLoss, reconstruction_loss
from .masks import FIXED_MASKS, MASK_KINDS, MaskSampler, check_masks, fixed_mask
from .metrics import evaluate_inpainting, format_inpainting_report, hidden_l1, hidden_psnr
from .models import NOISE_MODES, InpaintingDiscriminator, InpaintingGenerator, build_inpainting_models

__all__ = [
    "check_images", "inpaint", "load_images", "load_masks", "mask_images",
    "INPAINT_TASK", "checkpoint_task", "load_inpainting_generator",
    "inpainting_grid", "save_inpainting_grid",
    "RECONSTRUCTIONS", "InpaintingLoss", "reconstruction_loss",
    "FIXED_MASKS", "MASK_KINDS", "MaskSampler", "check_masks", "fixed_mask",
    "evaluate_inpainting", "format_inpainting_report", "hidden_l1", "hidden_psnr",
    "NOISE_MODES", "InpaintingDiscriminator", "InpaintingGenerator", "build_inpainting_models",
]

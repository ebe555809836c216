# Shows: the PyTorch DCGAN tutorial's code (weights_init, the Generator and Discriminator as nn.Sequential,
# BCELoss, Adam with betas=(0.5, 0.999) and its training loop) run on minigan: only the imports differ.
# Trains on synthetic 32x32 blobs, or on MNIST (padded to 32x32) when MINIGAN_DATA_DIR holds its files.
# Takes: about 1 second a step on a laptop CPU at the defaults; seconds with --max-steps 3 --ngf 8 --ndf 8.
#
#     python examples/pytorch_dcgan_style.py --max-steps 200
#
# The tutorial's models are for 64x64 images; one layer less on each side makes them 32x32.
import argparse
import os
import random

import numpy as np

import minigan as torch
import minigan.nn as nn
import minigan.optim as optim
import minigan.utils.data

parser = argparse.ArgumentParser(description="PyTorch's DCGAN tutorial on minigan")
parser.add_argument("--max-steps", type=int, default=200, help="training iterations (at least 1)")
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--nz", type=int, default=100, help="size of the latent vector")
parser.add_argument("--ngf", type=int, default=32, help="feature maps in the generator")
parser.add_argument("--ndf", type=int, default=32, help="feature maps in the discriminator")
parser.add_argument("--lr", type=float, default=0.0002)
parser.add_argument("--beta1", type=float, default=0.5)
opt = parser.parse_args()
if opt.max_steps < 1:
    parser.error("--max-steps must be at least 1")

manualSeed = 999
random.seed(manualSeed)
torch.manual_seed(manualSeed)

nc, nz, ngf, ndf = 1, opt.nz, opt.ngf, opt.ndf
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def load_images() -> np.ndarray:
    """(N, 1, 32, 32) float32 in [-1, 1]: MNIST when MINIGAN_DATA_DIR is set, else soft random blobs."""
    data_dir = os.environ.get("MINIGAN_DATA_DIR")
    if data_dir:
        from minigan.data import DataError, load_dataset  # only with MINIGAN_DATA_DIR: the synthetic run needs no files
        try:
            images, _ = load_dataset("mnist", "train", download=False)  # names $MINIGAN_DATA_DIR if wrong
        except DataError as error:  # missing or damaged files: one line, not a traceback
            parser.exit(1, f"{parser.prog}: error: {' '.join(str(error).split())}\n")
        images = np.pad(images, ((0, 0), (2, 2), (2, 2))).astype(np.float32) / 127.5 - 1
        return images[:, None]
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:32, 0:32]
    centres = rng.uniform(8, 24, size=(1024, 2, 1, 1))
    blobs = np.exp(-((yy - centres[:, 0]) ** 2 + (xx - centres[:, 1]) ** 2) / 20.0)
    return (blobs * 2 - 1).astype(np.float32)[:, None]


dataset = torch.utils.data.TensorDataset(torch.tensor(load_images()))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batch_size, shuffle=True, drop_last=True)


# custom weights initialization called on netG and netD
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 4 x 4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 8 x 8
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. (ngf) x 16 x 16
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 32 x 32
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            # input is (nc) x 32 x 32
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 16 x 16
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 8 x 8
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 4 x 4
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        return self.main(input)


netG = Generator().to(device)
netG.apply(weights_init)
print(netG)
netD = Discriminator().to(device)
netD.apply(weights_init)
print(netD)

criterion = nn.BCELoss()
fixed_noise = torch.randn(64, nz, 1, 1, device=device)
real_label = 1.
fake_label = 0.
optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

G_losses = []
D_losses = []
iters = 0
print("Starting Training Loop...")
while iters < opt.max_steps:
    for i, data in enumerate(dataloader, 0):
        ############################
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        ###########################
        ## Train with all-real batch
        netD.zero_grad()
        real_cpu = data[0].to(device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        ## Train with all-fake batch
        noise = torch.randn(b_size, nz, 1, 1, device=device)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        ############################
        # (2) Update G network: maximize log(D(G(z)))
        ###########################
        netG.zero_grad()
        label.fill_(real_label)  # fake labels are real for generator cost
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()

        if i % 50 == 0 or iters == opt.max_steps - 1:
            print('[%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
                  % (iters, opt.max_steps, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
        G_losses.append(errG.item())
        D_losses.append(errD.item())
        iters += 1
        if iters >= opt.max_steps:
            break

with torch.no_grad():
    samples = netG(fixed_noise).detach().cpu()
print(f"trained {iters} steps; samples {tuple(samples.shape)} in [{samples.min().item():.2f}, {samples.max().item():.2f}]")

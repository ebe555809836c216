"""What every GAN family uses: the losses, penalties, critic changes, EMA, lr schedules, plotting, sampling,
the checkpoint file, and what a command takes, raises and writes. Nothing here names a family."""

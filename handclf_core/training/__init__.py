"""Training: the device, the frames of each split, batches, the loop, the app's queue."""

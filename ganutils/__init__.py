"""ganutils: the small library every notebook of the GAN course imports.

Modules, each named for what it holds, in layers (a module imports only from its own
layer or the ones above it in this list):

* `errors`, `files`, `config` (the data folder), `datasets` (what each dataset is),
  `metrics` (FID and KID), `quiet` (TensorFlow's start-up notices kept off the screen);
* `data` (datasets as tf.data, or NumPy batches on other Keras backends), `models`
  (generator and discriminator builders from the writeups), `fastgan` (FastGAN's networks,
  for few-shot sets), `augment` (DiffAugment),
  `classifiers`, `sampling`, `plots`, `gif`;
* `trainconfig` (a run's settings, their checks, the named configurations), `training`
  (the GAN `keras.Model` and its `train_step`, the conditional GAN and FastGAN;
  `training_jax` for Keras's JAX backend),
  `xla`, `phase_conv` and `speedups` (XLA-on-CPU workarounds, swapped in for training only),
  `jit` (XLA on or off, chosen by timing), `checkpoint` (resume state, plain saved
  generators), `evaluation` (scores in a classifier's feature space), `callbacks` (frames,
  losses, quality, snapshots, time budget);
* `runs` (one call that trains and writes a report folder), `report` (what the notebooks
  print and plot about a run), `neighbours` (samples beside their nearest training images);
* `compare` (several variants trained on one budget, then compared), and the command line
  (`python -m ganutils`).
"""

from . import quiet as _quiet

_quiet.install()  # TensorFlow's start-up notices stay off the screen (see ganutils.quiet)

__version__ = "0.1.0"

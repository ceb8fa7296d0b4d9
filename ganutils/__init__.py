"""ganutils: the small library every notebook of the GAN course imports.

Modules, each named for what it holds: `data` (datasets as tf.data, or NumPy batches on
other Keras backends), `models` (generator and discriminator builders from the seed
writeups), `training` (the GAN `keras.Model`), `augment` (DiffAugment), `callbacks` (frames,
losses, snapshots, resume, time budget), `runs` (one call that trains and writes a report
folder), `metrics`, `evaluation` and `classifiers` (FID, KID and their feature spaces),
`report` (what the notebooks print and plot about a run), `plots`, `gif`, `sampling`,
`files`, `errors`, `config`.
"""

from . import quiet as _quiet

_quiet.install()  # TensorFlow's start-up notices stay off the screen (see ganutils.quiet)

__version__ = "0.1.0"

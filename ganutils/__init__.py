"""ganutils: the small library every notebook of the GAN course imports.

Modules, each named for what it holds: `data` (datasets as tf.data), `models` (generator and
discriminator builders from the seed writeups), `training` (the GAN `keras.Model`),
`callbacks` (frames, losses, snapshots, resume, time budget), `runs` (one call that trains
and writes a report folder), `plots`, `gif`, `sampling`, `files`, `errors`, `config`.
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of reports

__version__ = "0.1.0"

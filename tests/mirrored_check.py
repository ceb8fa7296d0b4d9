"""Run by test_distribute.py in its own process: two logical CPUs must be configured before
TensorFlow starts. Trains one step of the same GAN on one device and under a
MirroredStrategy over two, and prints what the test compares, as JSON."""

import json

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from ganutils import data, models  # noqa: E402
from ganutils.training import GAN  # noqa: E402


def make():
    keras.utils.set_random_seed(0)
    g, d = models.mlp_generator(), models.mlp_discriminator()
    first = g.layers[0]
    first.kernel.assign(np.zeros(first.kernel.shape, np.float32))  # fakes ignore the noise:
    gan = GAN(g, d, ema=0.0)                                        # both runs see the same fakes
    gan.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5),
                jit_compile=False)
    return gan


images = np.random.default_rng(0).integers(0, 256, (128, 28, 28, 1), dtype=np.uint8)
single = make()
h1 = single.fit(data.to_dataset(images, batch_size=128), epochs=1, verbose=0).history
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = make()
h2 = mirrored.fit(data.to_dataset(images, batch_size=128), epochs=1, verbose=0).history
# Keras variables wrap the strategy's MirroredVariable: one copy per replica in `.values`.
copies = [v.value.values for v in mirrored.generator.weights + mirrored.discriminator.weights]
replicas_equal = all(np.array_equal(c[0].numpy(), r.numpy()) for c in copies for r in c[1:])
n_mirrored = sum(len(c) == 2 for c in copies)
diff_d = max(float(np.abs(a - b).max()) for a, b in
             zip(single.discriminator.get_weights(), mirrored.discriminator.get_weights()))
moved = max(float(np.abs(a - b).max()) for a, b in
            zip(make().discriminator.get_weights(), single.discriminator.get_weights()))
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "mirrored_vars": n_mirrored,
                  "replicas_equal": replicas_equal, "max_weight_diff": diff_d, "moved": moved,
                  "d_loss": [h1["d_loss"][0], h2["d_loss"][0]]}))

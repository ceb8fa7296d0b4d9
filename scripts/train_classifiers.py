"""Train the domain classifiers of `ganutils.classifiers` and print their test accuracy.

    python scripts/train_classifiers.py mnist fashion_mnist cifar10 [--epochs N] [--out DIR]

Backend-agnostic Keras (no tf.data), so it also runs on Keras's JAX backend on a GPU:
`KERAS_BACKEND=jax python scripts/train_classifiers.py cifar10`. Weights go to
`ganutils/weights/<dataset>_classifier.weights.h5` unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import keras
import numpy as np

from ganutils import classifiers, data, datasets

EPOCHS = {"mnist": 8, "fashion_mnist": 25, "cifar10": 60}


def scaled(images):
    return datasets.to_tanh_range(images)


def train(dataset: str, epochs: int, out: Path, batch_size: int = 128):
    x, y, _ = data.load_arrays(dataset, "train")
    xt, yt, _ = data.load_arrays(dataset, "test")
    x, xt = scaled(x), scaled(xt)
    keras.utils.set_random_seed(0)
    model = classifiers.build_classifier(dataset)
    steps = epochs * (len(x) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(0.0, steps, warmup_target=2e-3,
                                                      warmup_steps=steps // 20)
    model.compile(keras.optimizers.AdamW(schedule, weight_decay=5e-4),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    t = time.perf_counter()
    rng = np.random.default_rng(0)
    shift = 3 if dataset == "cifar10" else 2
    for epoch in range(epochs):  # a fresh augmented copy of the training set each epoch
        xa = classifiers.shift_and_flip(x, shift, dataset == "cifar10", rng)
        model.fit(xa, y.astype("int32"), batch_size=batch_size, initial_epoch=epoch,
                  epochs=epoch + 1, verbose=2,
                  validation_data=(xt, yt.astype("int32")) if epoch % 5 == 4 else None)
    _, acc = model.evaluate(xt, yt.astype("int32"), verbose=0)
    out.mkdir(parents=True, exist_ok=True)
    clean = classifiers.build_classifier(dataset)  # without optimizer state: a third the size
    clean.set_weights(model.get_weights())
    clean.save_weights(out / f"{dataset}_classifier.weights.h5")
    print(f"RESULT {dataset}: test accuracy {acc:.4f} after {epochs} epochs "
          f"({time.perf_counter() - t:.0f} s, backend {keras.backend.backend()})", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("datasets", nargs="+", choices=list(EPOCHS))
    p.add_argument("--epochs", type=int)
    p.add_argument("--out", type=Path, default=classifiers.WEIGHTS)
    args = p.parse_args()
    for name in args.datasets:
        train(name, args.epochs or EPOCHS[name], args.out)


if __name__ == "__main__":
    main()

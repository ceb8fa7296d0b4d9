"""Training throughput of every model builder with our `GAN.train_step`, at its notebook batch size.

    python benchmarks/throughput.py [--steps 30]

Prints one row per model: images per second over `steps` timed steps after a warm-up
(synthetic data of the model's image shape, so no dataset is needed). Run it on an idle
machine: these CPUs are shared and a second job halves every figure.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ganutils import data, models, runs


def throughput(name: str, steps: int) -> float:
    spec = models.get(name)
    gan = runs.build_gan(runs.TrainConfig(model=name, dataset=_dataset(spec)))
    n = spec.batch_size * (steps + 5)
    images = np.random.default_rng(0).integers(0, 256, (n, *spec.image_shape), dtype=np.uint8)
    labels = np.arange(n) % 10 if spec.conditional else None
    warm = data.to_dataset(images[:5 * spec.batch_size], labels if labels is None else labels[:5 * spec.batch_size],
                           spec.batch_size)
    gan.fit(warm, epochs=1, verbose=0, shuffle=False)
    timed = data.to_dataset(images, labels, spec.batch_size)
    t = time.perf_counter()
    gan.fit(timed, epochs=1, verbose=0, shuffle=False)
    return (n // spec.batch_size) * spec.batch_size / (time.perf_counter() - t)


def _dataset(spec):
    return {28: "mnist", 32: "cifar10"}.get(spec.image_shape[0], "pokemon")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args()
    print(f"{'model':18s} {'batch':>5s} {'images/s':>9s}")
    for name, spec in models.MODELS.items():
        print(f"{name:18s} {spec.batch_size:5d} {throughput(name, args.steps):9.0f}", flush=True)


if __name__ == "__main__":
    main()

"""Time to quality on MNIST: notebook 02's DCGAN against the TensorFlow DCGAN tutorial.

    python benchmarks/time_to_quality.py [--ours-minutes 20] [--tutorial-minutes 40]
    python benchmarks/time_to_quality.py --only ours --extend --ours-minutes 40   # go on
    python benchmarks/time_to_quality.py --plot-only   # redraw from the saved histories

Images per second (`bench.py`) is half the story: what a student waits for is a good
sample. This trains, on the same machine and the same 60,000 MNIST images, one after the
other (two trainings at once on two cores only slow each other):

* `ours`: notebook 02's model and training exactly (`runs.train`, seed 002's upsampling
  DCGAN, batch 64, Adam 2e-4/0.5, EMA generator, XLA), in epochs of 150 batches so that KID
  is measured about once a minute (the batches and their order are those of full passes);
* `tutorial`: https://www.tensorflow.org/tutorials/generative/dcgan as written there:
  its generator and discriminator, batch 256, Adam 1e-4 for both, its `tf.function` step
  with two tapes, its shuffled dataset, samples from the raw generator.

Both are scored the same way, about once a minute: KID of 1,000 samples from fixed noise
against classifier features of 5,000 training images (`callbacks.Quality`'s measurement).
Minutes are wall-clock minutes of the training loop, the KID checks included (a few
seconds each, about one a minute for both). The histories go to `runs/time_to_quality/`, the
plot to `benchmarks/time_to_quality.png`, and a table prints the first minute at which each
run reached each KID threshold: 2, 1.5, 1 and 0.5 on the way, then the MLP report's final
KID and the DCGAN report's (the notebook's report quality).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import tensorflow as tf

from ganutils import data, datasets, report, runs
from ganutils.evaluation import FeatureSpace, scores

OUT = Path("runs/time_to_quality")
PLOT = Path(__file__).with_name("time_to_quality.png")
# name -> (report whose final KID is the threshold, fallback value if that report is absent)
THRESHOLDS = {"MLP report (01)": ("reports/01_mnist_gan/metrics.json", 0.285),
              "DCGAN report (02)": ("reports/02_mnist_dcgan/metrics.json", 0.079)}


def thresholds() -> dict:
    """KID levels to reach: three round ones on the way, then the final KID of reports 01
    and 02 (10,000 samples each; 02's is the notebook's report quality)."""
    found = {f"KID {level}": level for level in (2.0, 1.5, 1.0, 0.5)}
    for name, (path, fallback) in THRESHOLDS.items():
        p = Path(path)
        found[name] = json.loads(p.read_text())["kid"] if p.exists() else fallback
    return found


def train_ours(minutes: float, extend: bool = False) -> dict:
    """Notebook 02's training of `dcgan_upsample`, KID every 150 batches; its `losses.json`.
    A fresh run, unless `extend`: then the saved run resumes until `minutes` in all."""
    if not extend:
        shutil.rmtree(OUT / "ours", ignore_errors=True)
    run = runs.train(runs.TrainConfig("mnist", "dcgan_upsample", epochs=100_000,
                                      steps_per_epoch=150, time_budget=minutes * 60,
                                      out_dir=str(OUT / "ours")), verbose=0)
    return run.history


def tutorial_models():
    """The TensorFlow DCGAN tutorial's generator and discriminator, layer for layer."""
    layers = keras.layers
    g = keras.Sequential([
        keras.Input((100,)),
        layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])
    d = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Flatten(), layers.Dense(1),
    ])
    return g, d


def train_tutorial(minutes: float, check_every: int = 40) -> dict:
    """The tutorial's loop for `minutes`, KID every `check_every` steps (~1 minute here);
    a history shaped like `losses.json` (seconds and KID per chunk)."""
    keras.utils.set_random_seed(0)
    images, _, _ = data.load_arrays("mnist", "train")
    space, reference = reference_features(images)
    g, d = tutorial_models()
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    batch = 256
    x = datasets.to_tanh_range(images)
    dataset = tf.data.Dataset.from_tensor_slices(x).shuffle(60000).batch(batch).repeat()

    @tf.function
    def train_step(real):
        noise = tf.random.normal([batch, 100])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = g(noise, training=True)
            real_out, fake_out = d(real, training=True), d(fake, training=True)
            g_loss = bce(tf.ones_like(fake_out), fake_out)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
        return d_loss, g_loss

    noise = np.random.default_rng(0).standard_normal((1000, 100)).astype("float32")
    history = {"epochs": [], "seconds": [], "kid": [], "d_loss": [], "g_loss": [], "steps": []}
    it, spent, steps = iter(dataset), 0.0, 0
    while spent < minutes * 60:
        t0 = time.perf_counter()
        for _ in range(check_every):
            d_loss, g_loss = train_step(next(it))
        steps += check_every
        fake = np.concatenate([g(noise[i:i + 250], training=False) for i in range(0, 1000, 250)])
        kid = scores(space(fake)[0], reference, kid_subsets=10)["kid"]
        seconds = time.perf_counter() - t0
        spent += seconds
        for k, v in (("epochs", len(history["epochs"]) + 1), ("seconds", seconds), ("kid", kid),
                     ("d_loss", float(d_loss)), ("g_loss", float(g_loss)), ("steps", steps)):
            history[k].append(v)
        print(f"tutorial: {steps} steps, {spent / 60:.1f} min, KID {kid:.3f}", flush=True)
    return history


def reference_features(images):
    """`runs.train`'s quality reference: features of 5,000 training images picked by seed 0."""
    space = FeatureSpace("mnist")
    pick = np.random.default_rng(0).permutation(len(images))[:5000]
    return space, space(datasets.to_tanh_range(images[pick]))[0]


def first_minute(history: dict, level: float):
    """Training minutes (cumulative) at the first KID check at or below `level`, or None."""
    t = 0.0
    for s, k in zip(history["seconds"], history["kid"]):
        t += s / 60
        if k is not None and k <= level:
            return t
    return None


def summarize(histories: dict) -> str:
    ours, tut = histories["ours"], histories["tutorial"]
    lines = ["| KID threshold | ours reaches it at | tutorial at | tutorial / ours |",
             "| --- | --- | --- | --- |"]
    for name, level in thresholds().items():
        a, b = first_minute(ours, level), first_minute(tut, level)
        span = sum(tut["seconds"]) / 60
        ratio = (f"{b / a:.1f}x" if a and b else
                 f"> {span / a:.1f}x (not reached in {span:.0f} min)" if a else "n/a")
        fmt = lambda m, h: f"{m:.1f} min" if m else f"not in {sum(h['seconds']) / 60:.0f} min"
        lines.append(f"| {name}: {level:.3f} | {fmt(a, ours)} | {fmt(b, tut)} | {ratio} |")
    best = {k: min(v for v in h["kid"] if v is not None) for k, h in histories.items()}
    lines.append(f"\nBest KID: ours {best['ours']:.3f}, tutorial {best['tutorial']:.3f}.")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ours-minutes", type=float, default=20)
    p.add_argument("--tutorial-minutes", type=float, default=40)
    p.add_argument("--only", choices=("ours", "tutorial"),
                   help="train this one; take the other's curve from the saved histories")
    p.add_argument("--extend", action="store_true",
                   help="resume the saved `ours` run up to --ours-minutes instead of restarting")
    p.add_argument("--plot-only", action="store_true", help="redraw from the saved histories")
    args = p.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    saved = OUT / "histories.json"
    histories = json.loads(saved.read_text()) if saved.exists() else {}
    if not args.plot_only:
        if args.only != "tutorial":
            histories["ours"] = train_ours(args.ours_minutes, args.extend)
            saved.write_text(json.dumps(histories))
        if args.only != "ours":
            histories["tutorial"] = train_tutorial(args.tutorial_minutes)
            saved.write_text(json.dumps(histories))
    report.kid_against_minutes({"ours (notebook 02, batch 64)": SimpleNamespace(history=histories["ours"]),
                                "TF tutorial (batch 256, Adam 1e-4)": SimpleNamespace(history=histories["tutorial"])},
                               path=PLOT, thresholds={k: v for k, v in thresholds().items()
                                                      if "report" in k})
    print(summarize(histories))


if __name__ == "__main__":
    main()

"""Training speed of every model builder: our `fit`/`train_step` against two other loops and
against the machine's measured ceiling.

    python benchmarks/bench.py [--seconds 2] [--models mlp dcgan_transpose] [--precision] [--xla]
                               [--alternating] [--simultaneous]

One row per model at its notebook batch size, on synthetic data of the model's image shape:

* `ours`: `GAN.fit` exactly as the notebooks train (tf.data pipeline, EMA generator);
* `plain`: the TensorFlow DCGAN tutorial's pattern, a `tf.function` step with two gradient
  tapes on the same two networks (one D pass on fakes shared by both losses);
* `seed`: the writeups' loop, `predict` then `train_on_batch` on real, on fake, then on the
  stacked G+D model. Their code as written trains no discriminator under Keras 3 (it sets
  `D.trainable = False` before D's first `train_on_batch`, and Keras 3 reads trainability
  when it traces: "The model does not have any trainable weights", D's steps are forward
  passes only); here D is made trainable around its own calls, so the loop does the work the
  writeups meant (see `training.py` for why we do not train so);
* `MFLOP/img`: floating-point operations per image of one training step, counted by
  TensorFlow's profiler on the traced graph of our step (and of the plain step), not estimated;
* `% peak`: ours' images/s times its FLOPs per image, over the float32 matmul rate measured
  in the same run (at the start and before each row; the highest so far);
* `wait`: at most this share of our step time is spent waiting for data: the input
  pipeline's seconds per batch, timed alone, over the step's (an upper bound: the share if
  none of the pipeline's work overlapped the step; timing ours again on one batch held in
  memory, as earlier versions did, gave 0-12% at random on this shared machine);
* with `--precision`, `bf16`: ours under `precision="mixed_bfloat16"` over ours in float32;
* with `--alternating`, `alt`: the plain loop doing our update (D first, then G against the
  updated D: one more D pass per step than the tutorial's), and ours over it;
* with `--simultaneous`, `sim`: ours with `update="simultaneous"` (the tutorial's update,
  one D pass on the fakes serving both losses), and it over `plain`: like for like;
* `XLA`: the path ours trained with, as the automatic choice (`ganutils.jit`) picked it for
  this machine and model (timed once, then remembered);
* with `--xla`, `XLA on` and `XLA off`: ours with `jit_compile=True` and `False`.

`ours` is timed per step inside one `fit` (`Clock`), the plain and seed loops per call.

The machine is shared and noisy: compare figures from one run, as ratios.

On Keras's JAX backend (`KERAS_BACKEND=jax`, e.g. a GPU box without TensorFlow) only `ours`
and the matmul peak are timed (the other loops and the FLOP count are TensorFlow's); `% peak`
then uses the FLOPs per image given by `--flops` (counted on TensorFlow: the same networks).
"""

from __future__ import annotations

import argparse
import logging
import time

from ganutils import callbacks, data, datasets, jit, models, runs  # first: quiets TensorFlow

import keras
import numpy as np

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf


def _flops_per_second(step, flops: float, seconds: float) -> float:
    """`flops` per call of `step()` (which waits for its result) over `seconds`, after one warm-up."""
    step()
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        reps += 1
    return flops * reps / (time.perf_counter() - t0)


def matmul_peak(n: int = 2048, seconds: float = 2.0) -> float:
    """float32 FLOP/s of a large square matmul: the practical ceiling for dense work here."""
    a = tf.random.normal((n, n))
    f = tf.function(lambda x: tf.matmul(x, x))
    return _flops_per_second(lambda: f(a).numpy(), 2 * n**3, seconds)


def jax_matmul_peak(n: int = 8192, seconds: float = 3.0) -> float:
    """The same ceiling on JAX's device (float32 at JAX's default precision: TF32 on GPUs)."""
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    return _flops_per_second(lambda: f(a).block_until_ready(), 2 * n**3, seconds)


def dataset_for(spec) -> str:
    """The dataset name whose preprocessing fits `spec`'s image shape (the data is synthetic)."""
    return {28: "mnist", 32: "cifar10"}.get(spec.image_shape[0], "pokemon")


def ours_jax(name, spec, seconds, precision="float32"):
    """`ours` on a non-TensorFlow backend: `fit` over `data.NumpyBatches`."""
    dataset = dataset_for(spec)
    gan = runs.build_gan(runs.TrainConfig(model=name, dataset=dataset, precision=precision))
    images, labels = synthetic(spec, spec.batch_size * 64)

    clock = Clock(seconds)  # its first step builds and compiles
    gan.fit(data.to_dataset(images, labels, spec.batch_size, epochs=160), epochs=1,  # 10,240 batches
            steps_per_epoch=10_000, verbose=0, callbacks=[clock], shuffle=False)
    return spec.batch_size / clock.seconds_per_step


def main_jax(args):
    peak = jax_matmul_peak()
    flops = dict(f.split("=") for f in args.flops)
    print(f"float32 matmul peak: {peak / 1e12:.1f} TFLOP/s on {callbacks.device_description()}\n")
    print(f"{'model':16s} {'batch':>5s} {'ours':>8s} {'MFLOP/img':>9s} {'% peak':>6s}"
          + (f" {'bf16':>6s}" if args.precision else ""))
    for name in args.models:
        spec = models.get(name)
        o = ours_jax(name, spec, args.seconds)
        mf = float(flops.get(name, "nan"))
        row = f"{name:16s} {spec.batch_size:5d} {o:8.0f} {mf:9.1f} {100 * o * mf * 1e6 / peak:5.1f}%"
        if args.precision:
            row += f" {ours_jax(name, spec, args.seconds, 'mixed_bfloat16') / o:5.2f}x"
        print(row, flush=True)


def graph_flops(concrete) -> int:
    """FLOPs of one call of a traced function: TensorFlow's registered per-op statistics
    (MatMul, Conv2D and its two backprops, element-wise ops), summed over the ops that
    execute. A tape emits gradient ops nobody uses (a weight gradient of D while G is
    trained); TensorFlow prunes them before running, so we count only ops that the
    function's outputs or its variable updates depend on."""
    from tensorflow.python.framework import ops

    graph = concrete.graph
    todo = [t.op for t in graph.outputs] + list(graph.control_outputs)
    todo += [op for op in graph.get_operations() if op.type.startswith(("Assign", "ResourceApply"))]
    live = set()
    while todo:
        op = todo.pop()
        if op.name in live:
            continue
        live.add(op.name)
        todo += [t.op for t in op.inputs] + list(op.control_inputs)
    total = 0
    # TensorFlow's FLOP registry warns, once, that a TF1 helper it calls is deprecated:
    # nothing a reader of this table can act on.
    tf_log = logging.getLogger("tensorflow")
    level = tf_log.level
    tf_log.setLevel(logging.ERROR)
    try:
        for op in graph.get_operations():
            if op.name in live:
                try:
                    total += ops.get_stats_for_node_def(graph, op.node_def, "flops").value or 0
                except ValueError:  # shape not fully known: no estimate for this op
                    pass
    finally:
        tf_log.setLevel(level)
    return int(total)


def synthetic(spec, n):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, *spec.image_shape), dtype=np.uint8)
    return images, (np.arange(n) % 10 if spec.conditional else None)


class Clock(keras.callbacks.Callback):
    """Seconds per step inside one `fit`: from the start of its third step (the first builds
    and compiles, the first run of the compiled step is slower too) to the end of the epoch
    (when `fit` has read the last losses). It ends the fit once `seconds` have passed and at
    least `min_steps` steps were timed. Why not time
    `fit` itself: on TensorFlow, a `fit` that leaves a long tf.data pipeline unfinished can
    spend 4-5 s more tearing its iterator down (measured here once, for 2-s steps), which
    training pays once per run, not once per step."""

    def __init__(self, seconds: float, min_steps: int = 2):
        super().__init__()
        self.seconds, self.min_steps, self.timed = seconds, min_steps, 0

    SKIP = 2

    def on_train_batch_begin(self, batch, logs=None):
        if batch == self.SKIP:
            self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.timed = batch + 1 - self.SKIP
        if self.timed >= self.min_steps and time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.seconds_per_step = (time.perf_counter() - self.start) / self.timed


def timed(step, batch: int, seconds: float, min_steps: int = 2) -> float:
    """Images per second of `step()` (one training step), after two warm-up calls (tracing,
    then the first run), as `Clock` does for ours."""
    step(), step()
    n, t0 = 0, time.perf_counter()
    while n < min_steps or time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n * batch / (time.perf_counter() - t0)


def ours(name, spec, seconds, precision="float32", jit_compile=None, wait=False,
         update="alternating"):
    """Our GAN through `fit`, timed per step inside one `fit` (see `Clock`): images/s, FLOPs
    per image, and (`wait=True`) the input pipeline's share of a step (`pipeline_seconds`)."""
    dataset = dataset_for(spec)
    gan = runs.build_gan(runs.TrainConfig(model=name, dataset=dataset, precision=precision,
                                          jit_compile=jit_compile, update=update))
    images, labels = synthetic(spec, spec.batch_size * 8)
    ds = data.to_dataset(images, labels, spec.batch_size, epochs=None)
    clock = Clock(seconds)  # its first step builds and compiles
    gan.fit(ds, epochs=1, steps_per_epoch=10_000, verbose=0, callbacks=[clock], shuffle=False)
    share = pipeline_seconds(ds) / clock.seconds_per_step if wait else None
    sample = next(iter(ds))
    concrete = tf.function(gan.train_step).get_concrete_function(
        tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), sample))
    rate = spec.batch_size / clock.seconds_per_step
    return rate, graph_flops(concrete) / spec.batch_size, share, gan.jit_compile


def pipeline_seconds(ds, batches: int = 50) -> float:
    """Seconds per batch of the input pipeline alone, past its prefetch buffer. Over a step's
    seconds it bounds the share of training spent waiting for data: the share if none of the
    pipeline's work overlapped the step (with `prefetch`, most does)."""
    it = iter(ds)
    for _ in range(batches):  # fill and drain the prefetch buffer
        next(it)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(it)
    return (time.perf_counter() - t0) / batches


def plain(spec, seconds, alternating=False):
    """The TensorFlow DCGAN tutorial's loop on the same networks: one D pass on the fakes
    serves both losses, and both networks update at once. With `alternating`, the same loop
    does what our step does instead (D updates first; the updated D scores the fakes for
    G's loss), so the gap to ours is the cost of `fit`, callbacks and EMA alone."""
    keras.utils.set_random_seed(0)
    g, d = spec.build()
    g_opt, d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    b, latent = spec.batch_size, spec.latent_dim
    def gen(z, y):
        return g([z, y], training=True) if spec.conditional else g(z, training=True)

    def dis(x, y):
        return d([x, y], training=True) if spec.conditional else d(x, training=True)

    @tf.function
    def alternating_step(images, labels):
        noise = tf.random.normal([b, latent])
        with tf.GradientTape() as g_tape:
            fake = gen(noise, labels)
        with tf.GradientTape() as d_tape:
            real_out, fake_out = dis(images, labels), dis(fake, labels)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
        with g_tape:
            fake_out = dis(fake, labels)
            g_loss = bce(tf.ones_like(fake_out), fake_out)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        return d_loss, g_loss

    @tf.function
    def train_step(images, labels):
        noise = tf.random.normal([b, latent])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = gen(noise, labels)
            real_out, fake_out = dis(images, labels), dis(fake, labels)
            g_loss = bce(tf.ones_like(fake_out), fake_out)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
        return d_loss, g_loss

    images, labels = synthetic(spec, b * 8)
    labels = np.zeros(len(images), np.int32) if labels is None else labels.astype(np.int32)
    ds = data.to_dataset(images, labels.reshape(-1, 1), b, epochs=None)
    it = iter(ds)
    if alternating:
        return timed(lambda: alternating_step(*next(it)), b, seconds), None
    rate = timed(lambda: train_step(*next(it)), b, seconds)
    x, y = next(it)
    concrete = train_step.get_concrete_function(tf.TensorSpec(x.shape, x.dtype),
                                                tf.TensorSpec(y.shape, y.dtype))
    return rate, graph_flops(concrete) / b


def seed_style(spec, seconds):
    """The seeds' loop: predict fakes, train_on_batch D on real and on fake, then the stack."""
    keras.utils.set_random_seed(0)
    g, d = spec.build()
    d.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.losses.BinaryCrossentropy(from_logits=True))
    d.trainable = False
    if spec.conditional:
        z, y = keras.Input((spec.latent_dim,)), keras.Input((1,), dtype="int32")
        stacked = keras.Model([z, y], d([g([z, y]), y]))
    else:
        z = keras.Input((spec.latent_dim,))
        stacked = keras.Model(z, d(g(z)))
    stacked.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.losses.BinaryCrossentropy(from_logits=True))
    b = spec.batch_size
    images, labels = synthetic(spec, b)
    real = datasets.to_tanh_range(images)
    ones, zeros = np.ones((b, 1)), np.zeros((b, 1))
    rng = np.random.default_rng(0)

    def step():
        noise = rng.standard_normal((b, spec.latent_dim)).astype(np.float32)
        with_y = (lambda x: [x, labels.reshape(-1, 1).astype(np.int32)]) if spec.conditional \
            else (lambda x: x)
        fake = g.predict(with_y(noise), verbose=0)
        d.trainable = True  # D's own steps train D (traced so on the first call) ...
        d.train_on_batch(with_y(real), ones)
        d.train_on_batch(with_y(fake), zeros)
        d.trainable = False  # ... the stack's train G only
        stacked.train_on_batch(with_y(noise), ones)

    before = [w.numpy().copy() for w in (d.weights[0], g.weights[0])]
    rate = timed(step, b, seconds)
    after = (d.weights[0], g.weights[0])
    if any(np.array_equal(x, y.numpy()) for x, y in zip(before, after)):
        raise RuntimeError("the seed-style loop left D or G untrained: its timing would mislead")
    return rate


def _on(jit_compile) -> str:
    return "on" if jit_compile else "off"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=2.0, help="timed seconds per loop and model")
    p.add_argument("--models", nargs="+", default=list(models.MODELS))
    p.add_argument("--precision", action="store_true", help="also time mixed_bfloat16")
    p.add_argument("--alternating", action="store_true",
                   help="also time the plain loop doing our (alternating) update: 'alt'")
    p.add_argument("--simultaneous", action="store_true",
                   help="also time ours with the tutorial's (simultaneous) update: 'sim'")
    p.add_argument("--xla", action="store_true",
                   help="also time ours with XLA on and off (the default picks per model)")
    p.add_argument("--flops", nargs="*", default=[], metavar="MODEL=MFLOP",
                   help="non-TensorFlow backends: MFLOP per image per step, for %% peak")
    args = p.parse_args()
    if keras.backend.backend() != "tensorflow":
        return main_jax(args)
    start = time.perf_counter()
    peak = matmul_peak()
    print(f"float32 matmul peak: {peak / 1e9:.1f} GFLOP/s on {callbacks.device_description()}")
    print(f"CPU: {jit.cpu_description()}\n")
    head = (f"{'model':16s} {'batch':>5s} {'ours':>7s} {'plain':>7s} {'seed':>7s} "
            f"{'ours/plain':>10s} {'ours/seed':>9s} {'MFLOP/img':>9s} {'plain MF':>8s} "
            f"{'% peak':>6s} {'wait':>6s} {'XLA':>4s}" + (f" {'bf16':>6s} {'XLA':>4s}" if args.precision else "")
            + (f" {'XLA on':>7s} {'XLA off':>7s}" if args.xla else "")
            + (f" {'alt':>7s} {'ours/alt':>8s}" if args.alternating else "")
            + (f" {'sim':>7s} {'sim/plain':>9s} {'XLA':>4s}" if args.simultaneous else ""))
    print(head)
    for name in args.models:
        spec = models.get(name)
        # The ceiling again before each row, keeping the highest: one slow second of a
        # shared machine while it is timed would otherwise inflate every row's share.
        peak = max(peak, matmul_peak(seconds=1.0))
        o, o_flops, waiting, o_jit = ours(name, spec, args.seconds, wait=True)
        pl, pl_flops = plain(spec, args.seconds)
        sd = seed_style(spec, args.seconds)
        row = (f"{name:16s} {spec.batch_size:5d} {o:7.0f} {pl:7.0f} {sd:7.0f} {o / pl:10.2f} "
               f"{o / sd:9.2f} {o_flops / 1e6:9.1f} {pl_flops / 1e6:8.1f} "
               f"{100 * o * o_flops / peak:5.0f}% {100 * waiting:5.2f}% {_on(o_jit):>4s}")
        if args.precision:
            bf, _, _, bf_jit = ours(name, spec, args.seconds, precision="mixed_bfloat16")
            row += f" {bf / o:5.2f}x {_on(bf_jit):>4s}"
        if args.xla:
            row += "".join(f" {ours(name, spec, args.seconds, jit_compile=j)[0]:7.0f}" for j in (True, False))
        if args.alternating:
            alt = plain(spec, args.seconds, alternating=True)[0]
            row += f" {alt:7.0f} {o / alt:8.2f}"
        if args.simultaneous:
            sim, _, _, sim_jit = ours(name, spec, args.seconds, update="simultaneous")
            row += f" {sim:7.0f} {sim / pl:9.2f} {_on(sim_jit):>4s}"
        print(row, flush=True)
    print(f"\n(highest matmul peak: {peak / 1e9:.1f} GFLOP/s; "
          f"{(time.perf_counter() - start) / 60:.1f} minutes)")


if __name__ == "__main__":
    main()

"""A training run: a configuration in, a folder of report material out.

`train(TrainConfig(...))` is what notebooks and `python -m ganutils train` call. The folder
it fills:

    config.json        the settings, checked again when the run is resumed
    losses.json        per-batch and per-epoch losses (and seconds per epoch)
    frames/            epoch_NNNN.png: a grid from fixed noise after every epoch
    training.gif       those frames as an animation
    samples.png        the final grid
    generator.keras    the final generator
    snapshots/         generator_epoch_NNNN.keras at the chosen epochs
    state.weights.h5   everything needed to resume exactly (see checkpoint.ResumeState)

Run the same call again after an interruption and it continues from the last epoch it
completed; give a larger `epochs` to train a finished run further.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from . import callbacks as cb
from . import checkpoint, data, datasets, jit, models, speedups
from .errors import ConfigError
from .files import check_writable, write_json
from .gif import REPORT_BYTES, frames_to_gif, thinned
from .plots import save_grid
from .trainconfig import CONFIGS, IDENTITY, TrainConfig  # noqa: F401 (CONFIGS: runs.CONFIGS)
from .training import GAN, ConditionalGAN, FastGAN


@dataclass
class Run:
    """What `train` returns: where everything is, and the objects to keep working with."""

    config: TrainConfig
    out_dir: Path
    gan: GAN
    history: dict
    epochs_done: int
    train_seconds: float
    images: int
    budget_stopped_at: int | None = None
    quality_seconds: float = 0.0
    epochs_now: int = 0               # epochs trained by this call (not earlier, resumed ones)

    @property
    def generator(self):
        """The generator to sample from: the weight average when the run used `ema`."""
        return self.gan.sampler

    @property
    def images_per_second(self) -> float:
        """Training throughput of this call of `train` (quality measurement included)."""
        per_epoch = self.config.steps_per_epoch or self.images // self.config.batch_size
        seen = self.epochs_now * per_epoch * self.config.batch_size
        return seen / max(self.train_seconds, 1e-9)

    def path(self, name: str) -> Path:
        return self.out_dir / name


def build_gan(config: TrainConfig, log=print) -> GAN:
    """The compiled GAN that `config` describes (models built with the run's seed). `log`
    gets the one line saying whether XLA was chosen, when it is timed for the first time."""
    c = config.validated()
    spec = models.get(c.model)
    xla_on = resolve_jit(c, log)
    with _dtype_policy(c.precision):
        generator, discriminator = fresh_networks(c)
        if c.spectral_norm:
            discriminator = models.spectral_normalized(discriminator)
        if xla_on and _tensorflow_on_cpu():  # a speed trick for XLA on CPUs, never saved
            generator, discriminator = speedups.accelerated(generator), speedups.accelerated(discriminator)
        extra = {"decoders": spec.decoders(discriminator)} if spec.decoders else {}
    if c.precision != "float32":  # images and logits leave the networks in float32
        generator, discriminator = _float32_output(generator), _float32_output(discriminator)
    cls = FastGAN if spec.decoders else ConditionalGAN if spec.conditional else GAN
    gan = cls(generator, discriminator, latent_dim=c.latent_dim, seed=c.seed, ema=c.ema,
              augment=c.augment, loss=c.loss, r1=c.r1, update=c.update, **extra)

    def adam(lr):
        opt = keras.optimizers.Adam(lr, beta_1=c.beta_1)
        # float16 gradients underflow without loss scaling; bfloat16 has float32's range.
        return keras.optimizers.LossScaleOptimizer(opt) if c.precision == "mixed_float16" else opt

    gan.compile(d_optimizer=adam(c.d_lr or c.lr), g_optimizer=adam(c.lr), jit_compile=xla_on,
                label_smoothing=c.label_smoothing, steps_per_execution=c.steps_per_execution)
    return gan


def fresh_networks(c: TrainConfig):
    """(generator, discriminator) with the weights the run `c` starts from (its seed)."""
    keras.utils.set_random_seed(c.seed)
    return models.get(c.model).build(c.latent_dim, num_classes=len(c.labels))


def resolve_jit(c: TrainConfig, log=print) -> bool:
    """`c.jit_compile`, or where it is None: $GANUTILS_JIT if set, else the faster of XLA on
    and off for this step on this machine, timed once and remembered (see `ganutils.jit`).
    On JAX: compiled (without, it runs op by op)."""
    if c.jit_compile is not None:
        return c.jit_compile
    forced = jit.forced()
    if forced is not None:
        return forced
    if keras.backend.backend() != "tensorflow":
        return True
    import tensorflow as tf

    key = {"device": cb.device_description(), "cpu": jit.cpu_description(),
           "versions": f"keras {keras.__version__}, tensorflow {tf.__version__}",
           **{k: getattr(c, k) for k in ("model", "batch_size", "latent_dim", "image_size",
                                         "precision", "augment", "loss", "spectral_norm", "r1",
                                         "update", "ema", "steps_per_execution")}}
    return jit.choose(key, lambda: step_seconds(c), log=log)


def _tensorflow_on_cpu() -> bool:
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


def step_seconds(c: TrainConfig, seconds: float = 1.0, rounds: int = 3) -> dict:
    """Seconds per training step for `c` with XLA on and off, {True: ..., False: ...}, on
    random images: timed in alternating rounds, so that a machine busy with something else
    slows both alike, and the fastest round of each kept."""
    c = c.validated()
    spec = models.get(c.model)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2 * c.batch_size, *spec.image_shape), dtype=np.uint8)
    labels = np.arange(len(images)) % len(c.labels) if spec.conditional else None
    batches = data.to_dataset(images, labels, c.batch_size, epochs=None)
    gans = {on: build_gan(dataclasses.replace(c, jit_compile=on)) for on in (True, False)}
    times = {on: [] for on in gans}
    for _ in range(rounds):
        for on, gan in gans.items():
            clock = jit.StepClock(seconds)
            gan.fit(batches, epochs=1, steps_per_epoch=100_000, verbose=0, callbacks=[clock],
                    shuffle=False)
            times[on].append(clock.seconds_per_step)
    return {on: min(t) for on, t in times.items()}


@contextlib.contextmanager
def _dtype_policy(name: str):
    """Build layers under the Keras dtype policy `name` (e.g. "mixed_bfloat16": bfloat16
    compute, float32 weights), then restore the global policy."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def _float32_output(model):
    """`model` with a float32 cast on its output, as the Keras mixed-precision guide advises
    for the last layer: tanh images and logits are then exact enough for the loss and plots."""
    names = ["to_float32"] if len(model.outputs) == 1 else [f"to_float32_{i}" for i in range(len(model.outputs))]
    outs = [keras.layers.Activation("linear", dtype="float32", name=n)(o)
            for n, o in zip(names, model.outputs)]
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, outs[0] if len(outs) == 1 else outs, name=model.name)


def _check_same_run(out: Path, c: TrainConfig):
    saved = out / "config.json"
    if not saved.exists() or not any((out / f).exists() for f in ("state.weights.h5", "generator.keras")):
        return
    old = json.loads(saved.read_text())
    now = json.loads(json.dumps(dataclasses.asdict(c)))
    defaults = dataclasses.asdict(TrainConfig())  # settings added since that run was made
    # A kept run is only shown: it loads under any precision, and reports the one it trained in.
    free = {"precision"} if is_kept(out) else set()
    diff = [k for k in IDENTITY if k not in free and old.get(k, defaults[k]) != now.get(k)]
    if diff:
        raise ConfigError(f"{out} holds a run with different {', '.join(diff)}: choose another "
                          "out_dir, or delete that folder to start again")


def train(config: TrainConfig | None = None, verbose: int = 2, extra_callbacks=(), **kw) -> Run:
    """Train (or resume) the run `config` describes; keyword arguments override its fields."""
    c = dataclasses.replace(config or TrainConfig(), **kw).validated()
    out = check_writable(c.out_dir)
    _check_same_run(out, c)
    for stale in out.rglob(".*.tmp*"):  # left by a run killed while writing: never loaded
        stale.unlink()

    if is_kept(out):
        return _load_kept(c, out)
    spec = models.get(c.model)
    images, labels, _ = data.load_arrays(c.dataset, "train", c.classes, c.image_size,
                                         c.limit, c.data_path)
    if spec.conditional:  # the model's labels 0, 1, ... in the order of c.classes
        labels = np.argmax(labels[:, None] == np.array(c.labels)[None], axis=1)
    quality = _quality_callback(c, images, out) if c.quality_every else None  # the pictures as they are
    if c.mirror:
        images, labels = mirrored(images, labels)
    gan = build_gan(c, log=print if verbose else lambda line: None)
    done = checkpoint.restore(gan, out / "state.weights.h5")
    write_json(out / "config.json", dataclasses.asdict(c))

    steps = len(images) // c.batch_size
    if steps < 1:
        raise ConfigError(f"batch_size {c.batch_size} is larger than the dataset "
                          f"({len(images)} images): lower batch_size or raise limit")
    remaining = max(c.epochs - done, 0)
    log = cb.LossLog(out / "losses.json")  # every epoch's losses and training seconds
    budget = None
    if c.time_budget:  # the run's budget: what earlier calls spent counts against it
        seconds = _read_history(out)["seconds"][:done] if done else []
        budget = cb.TimeBudget(c.time_budget, sum(seconds), max(seconds, default=0.0), log)
        if budget.exhausted():
            remaining = 0
    callbacks = [*([quality] if quality else []),  # before LossLog, which records its values
                 log,
                 cb.GridFrames(out / "frames", cb.fixed_inputs(gan, c.grid, c.seed)),
                 cb.Snapshots(out / "snapshots", c.snapshot_epochs),
                 *extra_callbacks,
                 *([budget] if budget else []),
                 checkpoint.ResumeState(out / "state.weights.h5")]  # last: after the epoch's files

    t0 = time.perf_counter()
    if remaining:
        per_epoch = c.steps_per_epoch or steps
        first, total = done * per_epoch, remaining * per_epoch  # batches since the start
        ds = data.to_dataset(images, labels if spec.conditional else None, c.batch_size,
                             c.seed, epochs=-(-(first % steps + total) // steps),
                             start_epoch=first // steps, skip=first % steps, take=total)
        gan.fit(ds, epochs=c.epochs, initial_epoch=done, steps_per_epoch=per_epoch,
                callbacks=callbacks, verbose=verbose, shuffle=False)
    seconds = time.perf_counter() - t0
    run = finish(c, out, gan, seconds, len(images), budget.stopped_at if budget else None)
    run.quality_seconds = quality.seconds if quality else 0.0
    run.epochs_now = run.epochs_done - done
    return run


def mirrored(images, labels=None):
    """Every picture and its left-right mirror image (with the same label): a subject that
    could face either way, seen both ways. Twice the data for one line, which small sets
    (the 819 Pokemon) need most; StyleGAN2-ADA and FastGAN train their few-shot sets so."""
    images = np.concatenate([images, images[:, :, ::-1]])
    return images, None if labels is None else np.concatenate([labels, labels])


def is_kept(out: Path) -> bool:
    """A finished run kept without its resume state (a report's long run, committed): its
    generator, history and settings, but nothing to continue training from."""
    return (not (out / "state.weights.h5").exists() and (out / "generator.keras").exists()
            and (out / "losses.json").exists())


def _load_kept(c: TrainConfig, out: Path) -> Run:
    """The kept run in `out` as a Run, without training: its generator's weights in a GAN
    built from `c`, its history as recorded. Its files are left as they are."""
    history = _read_history(out)
    done = int(history["epochs"][-1]) if history["epochs"] else 0
    seconds = sum(history["seconds"])
    spent = c.time_budget and cb.TimeBudget(c.time_budget, seconds, max(history["seconds"])).exhausted()
    if c.epochs > done and not spent:
        raise ConfigError(f"{out} keeps a finished run of {done} epochs ({seconds / 60:.0f} min) "
                          "without its resume state: it can be shown, not trained further; "
                          f"ask for at most epochs={done} (or time_budget={int(seconds)}), or "
                          "choose another out_dir to train a new run")
    gan = build_gan(dataclasses.replace(c, jit_compile=False))
    gan.sampler.set_weights(keras.saving.load_model(out / "generator.keras").get_weights())
    gan.epochs_done.assign(done)
    n_images = len(data.load_arrays(c.dataset, "train", c.classes, c.image_size, c.limit,
                                    c.data_path)[0]) * (2 if c.mirror else 1)
    trained_in = json.loads((out / "config.json").read_text()).get("precision", c.precision)
    return Run(dataclasses.replace(c, precision=trained_in), out, gan, history, done, 0.0, n_images)


def keep(out_dir, dest, dtype: str = "float16", gif_frames: int = 20, batch_epochs: int = 10,
         epoch: int | None = None) -> Path:
    """Pack the finished run in `out_dir` into `dest`, to be shown again without its resume
    state (a report's long run, committed beside the report, so every byte stays in the
    repository's history): the generator in `dtype` (`checkpoint.recast`), the history with
    the per-batch losses of the last `batch_epochs` epochs, the settings, the final grid, an
    epoch GIF as a report shows it (at most `gif_frames` frames), and for each snapshot the
    images its strip shows (`report.snapshot_grids`) instead of a generator file. `train`
    then loads `dest` as it is (`_kept`).

    `epoch`: keep the run as it stood at that snapshot instead (its generator, the history,
    frames and snapshots up to it): a long run still training can be shown at a milestone
    that was measured and blind-tested, while it goes on."""
    import shutil

    src, dest = Path(out_dir), Path(dest)
    final = src / ("generator.keras" if epoch is None else f"snapshots/generator_epoch_{epoch:04d}.keras")
    if not final.exists():
        raise ConfigError(f"{src} holds no finished run (no {final.relative_to(src)}): train it first"
                          if epoch is None else f"{src} kept no snapshot at epoch {epoch}: choose one of "
                          f"{sorted(int(p.stem[-4:]) for p in (src / 'snapshots').glob('*.keras'))}")
    dest.mkdir(parents=True, exist_ok=True)
    history = _read_history(src)
    if epoch is not None:  # everything per epoch cut at `epoch`; the final grid is redrawn below
        upto = [e <= epoch for e in history["epochs"]]
        history = {k: ([x for x, ok in zip(v, upto) if ok] if isinstance(v, list) and len(v) == len(upto) else v)
                   for k, v in history.items()}
        history["resumed_after"] = [e for e in history.get("resumed_after", []) if e < epoch]
        history["batches"] = {k: [x for x, ok in zip(v, history["batches"]["epoch"]) if ok <= epoch]
                              for k, v in history["batches"].items()}
    for name in ("best.json",) + (("samples.png",) if epoch is None else ()):
        if (src / name).exists():
            shutil.copy2(src / name, dest / name)
    b, last = history["batches"], history["epochs"][-1]
    recent = [e > last - batch_epochs for e in b["epoch"]]
    history["batches"] = {k: [x for x, ok in zip(v, recent) if ok] for k, v in b.items()}
    write_json(dest / "losses.json", history)
    animation = frames_to_gif(src / "frames", dest / "training.gif", max_frames=gif_frames, last_epoch=epoch)
    animation.write_bytes(thinned(animation, gif_frames, REPORT_BYTES))
    here = Path.cwd().resolve()  # a folder in the project is named from its root: no machine path
    shown = dest.resolve().relative_to(here) if dest.resolve().is_relative_to(here) else dest
    config = {**json.loads((src / "config.json").read_text()), "out_dir": shown.as_posix()}
    write_json(dest / "config.json", config)
    generator = keras.saving.load_model(final)
    checkpoint.save_generator(generator, dest / "generator.keras", dtype)
    gan = build_gan(TrainConfig(**{**config, "jit_compile": False}))
    if epoch is not None:
        inputs = cb.fixed_inputs(gan, config["grid"], config["seed"])
        save_grid(keras.ops.convert_to_numpy(generator(inputs, training=False)), dest / "samples.png", 10)
    for snap in sorted((src / "snapshots").glob("generator_epoch_*.keras")):
        if epoch is not None and int(snap.stem[-4:]) > epoch:
            continue
        images = cb.snapshot_panel(gan, keras.saving.load_model(snap), config["seed"],
                                   KEPT_SNAPSHOT_IMAGES)
        (dest / "snapshots").mkdir(exist_ok=True)
        save_grid(images, dest / "snapshots" / f"{snap.stem.replace('generator_', '')}.png",
                  cols=5 if gan.conditional else 6, pad=0)
    return dest


KEPT_SNAPSHOT_IMAGES = 36  # a snapshot strip's panel: 6 x 6 images (conditional: 5 a class)


def kept_snapshot(path, conditional: bool = False) -> np.ndarray:
    """The images of a kept snapshot (`keep`), in [-1, 1]: its PNG cut into its cells, 6
    across (a conditional run's: 5 across, one class a row)."""
    import imageio.v2 as imageio

    grid = np.asarray(imageio.imread(path), dtype=np.float32)
    grid = grid[..., None] if grid.ndim == 2 else grid
    cols = 5 if conditional else 6
    side, c = grid.shape[1] // cols, grid.shape[-1]
    rows = grid.shape[0] // side
    cells = grid.reshape(rows, side, cols, side, c).transpose(0, 2, 1, 3, 4)
    return cells.reshape(rows * cols, side, side, c) / 127.5 - 1


def _quality_callback(c: TrainConfig, images, out: Path):
    """KID/FID during training against features of (up to) 5,000 real training images."""
    from .evaluation import FeatureSpace

    space = FeatureSpace(c.dataset)
    pick = np.random.default_rng(c.seed).permutation(len(images))[:5000]
    reference, _ = space(datasets.to_tanh_range(images[pick]))
    return cb.Quality(space, reference, out, c.quality_samples, c.quality_every, c.seed)


def _read_history(out: Path) -> dict:
    if (out / "losses.json").exists():
        return json.loads((out / "losses.json").read_text())
    return cb.empty_history()


def finish(c: TrainConfig, out: Path, gan: GAN, seconds: float, n_images: int,
           budget_stopped_at=None) -> Run:
    """Write the end-of-run files (GIF, final grid, generator) and gather the Run."""
    epochs_done = int(keras.ops.convert_to_numpy(gan.epochs_done))
    history = _read_history(out)
    if epochs_done:
        frames_to_gif(out / "frames", out / "training.gif")
        final = keras.ops.convert_to_numpy(gan.sampler(cb.fixed_inputs(gan, c.grid, c.seed)))
        save_grid(final, out / "samples.png", 10)
        checkpoint.save_generator(gan.sampler, out / "generator.keras")
    return Run(c, out, gan, history, epochs_done, seconds, n_images, budget_stopped_at)

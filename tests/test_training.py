"""Real (short) training runs: losses, frames, GIF, snapshots, resume, budget, divergence."""

from __future__ import annotations

import json
import types

import imageio.v2 as imageio
import matplotlib.pyplot
import keras
import numpy as np
import pytest

from ganutils import callbacks, data, report, runs, sampling
from ganutils.errors import ConfigError, TrainingDiverged


def test_training_changes_generator_and_records_losses(tiny_run):
    h = tiny_run.history
    assert tiny_run.epochs_done == 3 and h["epochs"] == [1, 2, 3]
    assert len(h["batches"]["d_loss"]) == 3 * (512 // 64)
    assert all(np.isfinite(h["d_loss"])) and all(np.isfinite(h["g_loss"]))
    # The epoch mean is the mean of that epoch's batch losses (recovered from Keras' running means).
    b = h["batches"]
    first = [v for e, v in zip(b["epoch"], b["d_loss"]) if e == 1]
    assert np.mean(first) == pytest.approx(h["d_loss"][0], rel=1e-4)
    # The generator moved: epoch-1 snapshot and final generator disagree on the same noise.
    snap = sampling.load_generator(tiny_run.path("snapshots/generator_epoch_0001.keras"))
    noise = callbacks.fixed_inputs(tiny_run.gan, 16)
    diff = np.abs(np.asarray(snap(noise)) - np.asarray(tiny_run.generator(noise)))
    assert diff.mean() > 0.01


def test_frames_gif_and_grid_are_written_and_readable(tiny_run):
    frames = sorted(tiny_run.path("frames").glob("epoch_*.png"))
    assert [f.name for f in frames] == ["epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]
    grid = imageio.imread(frames[-1])
    assert grid.shape == (10 * 29 + 1, 10 * 29 + 1)  # 10x10 digits of 28 px with 1-px gutters
    gif = imageio.mimread(tiny_run.path("training.gif"))
    assert len(gif) == 3  # one frame per epoch
    from PIL import Image
    with Image.open(tiny_run.path("training.gif")) as im:
        durations = [(im.seek(i), im.info["duration"])[1] for i in range(im.n_frames)]
    assert durations[-1] > durations[0]  # the final grid is held on screen
    assert imageio.imread(tiny_run.path("samples.png")).shape == grid.shape


def test_snapshot_loads_and_generates(tiny_run):
    g = sampling.load_generator(tiny_run.path("snapshots/generator_epoch_0003.keras"))
    images, labels = sampling.sample(g, 5, seed=1)
    assert images.shape == (5, 28, 28, 1) and labels is None
    # The epoch-3 snapshot is the final generator.
    final = sampling.load_generator(tiny_run.path("generator.keras"))
    np.testing.assert_allclose(images, sampling.sample(final, 5, seed=1)[0], atol=1e-6)


@pytest.mark.slow
def test_resume_continues_at_the_right_epoch_and_matches(tmp_path, mnist_arrays):
    kw = dict(model="dcgan_upsample", limit=256, batch_size=64, quality_every=0, verbose=0)  # has dropout
    straight = runs.train(out_dir=str(tmp_path / "a"), epochs=3, **kw)
    runs.train(out_dir=str(tmp_path / "b"), epochs=2, **kw)       # "interrupted" after epoch 2
    resumed = runs.train(out_dir=str(tmp_path / "b"), epochs=3, **kw)
    assert resumed.history["epochs"] == [1, 2, 3]
    assert len(list((tmp_path / "b" / "frames").glob("*.png"))) == 3
    for a, b in zip(straight.gan.get_weights(), resumed.gan.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.slow
def test_short_epochs_resume_mid_pass_and_match(tmp_path, mnist_arrays):
    """`steps_per_epoch` below a pass (3 of 4 batches): epochs end mid-pass, and a resumed
    run continues on the batches an uninterrupted one saw."""
    kw = dict(model="mlp", limit=256, batch_size=64, steps_per_epoch=3, quality_every=0, verbose=0)
    straight = runs.train(out_dir=str(tmp_path / "a"), epochs=3, **kw)
    assert len(straight.history["batches"]["d_loss"]) == 9
    runs.train(out_dir=str(tmp_path / "b"), epochs=2, **kw)
    resumed = runs.train(out_dir=str(tmp_path / "b"), epochs=3, **kw)
    assert resumed.history["epochs"] == [1, 2, 3] and resumed.epochs_now == 1
    for a, b in zip(straight.gan.get_weights(), resumed.gan.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ConfigError, match="different steps_per_epoch"):
        runs.train(out_dir=str(tmp_path / "b"), epochs=4, **{**kw, "steps_per_epoch": 2})


def test_resume_refuses_a_different_run_in_the_same_folder(tmp_path, mnist_arrays):
    runs.train(out_dir=str(tmp_path), model="mlp", epochs=1, limit=128, verbose=0)
    with pytest.raises(ConfigError, match="different batch_size"):
        runs.train(out_dir=str(tmp_path), model="mlp", epochs=2, limit=128, batch_size=32, verbose=0)


def test_a_state_file_of_another_layout_is_refused_in_one_sentence(tmp_path):
    import h5py

    from ganutils import checkpoint

    with h5py.File(tmp_path / "state.weights.h5", "w") as f:  # as Keras's save_weights lays out
        f["layers/dense/vars/0"] = np.zeros((2, 2))
    gan = runs.build_gan(runs.TrainConfig(model="mlp"))
    with pytest.raises(ConfigError, match="saved by a different model or settings"):
        checkpoint.restore(gan, tmp_path / "state.weights.h5")


@pytest.mark.slow
def test_same_seed_same_first_frame_and_weights(tmp_path, mnist_arrays):
    kw = dict(model="dcgan_upsample", epochs=1, limit=256, quality_every=0, verbose=0)
    a = runs.train(out_dir=str(tmp_path / "a"), **kw)
    b = runs.train(out_dir=str(tmp_path / "b"), **kw)
    frame = (tmp_path / "a" / "frames" / "epoch_0001.png").read_bytes()
    assert frame == (tmp_path / "b" / "frames" / "epoch_0001.png").read_bytes()
    for x, y in zip(a.gan.get_weights(), b.gan.get_weights()):
        np.testing.assert_array_equal(x, y)
    c = runs.train(out_dir=str(tmp_path / "c"), **{**kw, "seed": 1})
    assert not np.array_equal(a.generator.get_weights()[0], c.generator.get_weights()[0])


@pytest.mark.slow
def test_time_budget_ends_after_the_epoch_in_progress(tmp_path, mnist_arrays):
    run = runs.train(out_dir=str(tmp_path), model="mlp", epochs=50, limit=256, time_budget=0.5,
                     verbose=0)
    assert run.epochs_done < 50 and run.budget_stopped_at == run.epochs_done
    assert (tmp_path / "generator.keras").exists()
    # The budget is the run's: executing the same call again (a finished notebook run once
    # more) trains nothing further; a larger budget continues from where it stopped.
    again = runs.train(out_dir=str(tmp_path), model="mlp", epochs=50, limit=256, time_budget=0.5,
                       verbose=0)
    assert again.epochs_now == 0 and again.epochs_done == run.epochs_done
    more = runs.train(out_dir=str(tmp_path), model="mlp", epochs=run.epochs_done + 1, limit=256,
                      time_budget=3600, verbose=0)
    assert more.epochs_now == 1


def test_conditional_gan_trains_on_labels(tmp_path, mnist_arrays):
    run = runs.train(out_dir=str(tmp_path), model="cgan_mlp", epochs=1, limit=256, verbose=0)
    assert run.gan.conditional
    images, labels = sampling.sample(run.generator, 20)
    assert images.shape == (20, 28, 28, 1) and np.bincount(labels).tolist() == [2] * 10


def test_nan_loss_stops_with_epoch_and_batch(tmp_path):
    run_cfg = runs.TrainConfig(model="mlp", limit=128)
    gan = runs.build_gan(run_cfg)
    images = np.zeros((128, 28, 28, 1), np.float32)
    images[70] = np.nan  # lands in some batch of epoch 1
    ds = data.to_dataset(images, batch_size=64, epochs=1)
    with pytest.raises(TrainingDiverged, match=r"at epoch 1, batch \d"):
        gan.fit(ds, epochs=1, verbose=0, callbacks=[callbacks.LossLog(tmp_path / "l.json")])


@pytest.mark.parametrize("bad, match", [
    (dict(epochs=-1), "epochs must be an integer >= 0"),
    (dict(epochs="10"), "epochs must be an integer"),
    (dict(batch_size=0), "batch_size must be an integer >= 1"),
    (dict(model="nope"), "unknown model 'nope': choose one of mlp"),
    (dict(dataset="nope"), "unknown dataset 'nope'"),
    (dict(model="dcgan32"), "makes \\(32, 32, 3\\) images but dataset 'mnist'"),
    (dict(lr=5), "lr must be a number between 0 and 1"),
    (dict(ema=1.0), "ema must be a number in \\[0, 1\\)"),
        (dict(loss="hinge", label_smoothing=0.1), "bce loss only"),
        (dict(loss="wasserstein"), "unknown loss 'wasserstein'"),
        (dict(r1=-1), "r1 must be a number in \\[0, 1000\\)"),
        (dict(update="both"), "unknown update 'both': choose one of alternating, simultaneous"),
])
def test_bad_parameters_get_clear_errors(bad, match):
    with pytest.raises(ConfigError, match=match):
        runs.TrainConfig(**bad).validated()


def test_batch_larger_than_limit(tmp_path, mnist_arrays):
    with pytest.raises(ConfigError, match="larger than the dataset"):
        runs.train(out_dir=str(tmp_path), limit=10, batch_size=64, epochs=1, verbose=0)


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot write to output folder"):
        runs.train(out_dir=str(blocker / "sub"), epochs=1, limit=64, verbose=0)


def test_device_description_names_the_hardware():
    d = callbacks.device_description()
    assert d.startswith(("CPU: ", "GPU: ")) and d.endswith(f"(Keras {keras.backend.backend()})")


def test_throughput_counts_only_epochs_trained_now(tmp_path, mnist_arrays):
    kw = dict(model="mlp", limit=128, quality_every=0, verbose=0)
    runs.train(out_dir=str(tmp_path), epochs=1, **kw)
    resumed = runs.train(out_dir=str(tmp_path), epochs=3, **kw)
    assert resumed.epochs_done == 3 and resumed.epochs_now == 2
    assert resumed.images_per_second == pytest.approx(2 * 128 / resumed.train_seconds)


def test_mirrored_adds_each_picture_flipped_left_right_with_its_label():
    images = np.arange(2 * 2 * 3).reshape(2, 2, 3, 1)
    both, labels = runs.mirrored(images, np.array([4, 7]))
    assert both.shape == (4, 2, 3, 1) and labels.tolist() == [4, 7, 4, 7]
    assert (both[:2] == images).all() and (both[2, 0, :, 0] == images[0, 0, ::-1, 0]).all()


def test_mirror_trains_twice_the_batches_an_epoch_and_is_part_of_the_run(tmp_path, mnist_arrays):
    kw = dict(model="mlp", limit=128, batch_size=64, quality_every=0, epochs=1, verbose=0)
    run = runs.train(out_dir=str(tmp_path), mirror=True, **kw)
    assert len(run.history["batches"]["epoch"]) == 2 * 128 // 64
    with pytest.raises(ConfigError, match="different mirror"):
        runs.train(out_dir=str(tmp_path), **kw)


def test_ema_generator_follows_the_average_of_the_generator(tmp_path):
    """One step: the average moves from the initial weights by the ramped decay (1+1)/(10+1)."""
    gan = runs.build_gan(runs.TrainConfig(model="mlp", ema=0.999))
    assert gan.sampler is gan.ema_generator and gan.sampler is not gan.generator
    before = [w.copy() for w in gan.ema_generator.get_weights()]
    images = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
    gan.fit(data.to_dataset(images, batch_size=64), epochs=1, verbose=0)
    decay = 2 / 11
    after_raw = gan.generator.get_weights()
    for b, raw, avg in zip(before, after_raw, gan.ema_generator.get_weights()):
        np.testing.assert_allclose(avg, decay * b + (1 - decay) * raw, rtol=1e-5, atol=1e-6)
    assert any(not np.array_equal(r, a) for r, a in zip(after_raw, gan.ema_generator.get_weights()))


def _input_slope(discriminator, images):
    """Mean squared norm of the discriminator's gradient with respect to `images`."""
    import tensorflow as tf

    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(discriminator(x, training=False))
    slope = tape.gradient(total, x)
    return float(tf.reduce_mean(tf.reduce_sum(tf.square(tf.reshape(slope, (len(images), -1))), 1)))


def test_r1_flattens_the_discriminator_around_the_real_images():
    """The same run with and without R1: with it, the discriminator's gradient at the real
    images ends far smaller, and the logged loss stays the plain one (no penalty in it)."""
    images = np.random.default_rng(0).integers(0, 256, (256, 28, 28, 1), dtype=np.uint8)
    real = data.to_dataset(images, batch_size=64)
    slopes, losses = {}, {}
    for r1 in (0.0, 10.0):
        gan = runs.build_gan(runs.TrainConfig(model="mlp", r1=r1, ema=0, jit_compile=False))
        hist = gan.fit(real, epochs=3, verbose=0)
        slopes[r1] = _input_slope(gan.discriminator, images[:64].astype("float32") / 127.5 - 1)
        losses[r1] = hist.history["d_loss"][-1]
    assert slopes[10.0] < 0.6 * slopes[0.0], slopes
    assert 0 < losses[10.0] < 5  # a plain loss value; the penalty is not logged


@pytest.mark.parametrize("update, passes", [("alternating", 3), ("simultaneous", 2)])
def test_the_simultaneous_update_scores_the_fakes_once(update, passes):
    """Alternating: D scores real images and fakes, steps, then scores the fakes again for G.
    Simultaneous: one scoring of each serves both networks; both still learn."""
    gan = runs.build_gan(runs.TrainConfig(model="mlp", update=update, ema=0, jit_compile=False))
    scored, discriminate = [], gan.discriminate
    gan.discriminate = lambda images, labels, training: scored.append(1) or discriminate(
        images, labels, training)
    before = [w.numpy().copy() for w in (gan.generator.weights[0], gan.discriminator.weights[0])]
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    logs = gan.train_step(images)
    assert len(scored) == passes
    assert all(np.isfinite(float(v)) for v in logs.values())
    after = (gan.generator.weights[0], gan.discriminator.weights[0])
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(before, after))


def test_without_ema_the_sampler_is_the_generator():
    gan = runs.build_gan(runs.TrainConfig(model="mlp", ema=0))
    assert gan.sampler is gan.generator and not hasattr(gan, "ema_generator")


def test_mixed_bfloat16_computes_in_bfloat16_and_returns_float32(tmp_path, mnist_arrays):
    run = runs.train(out_dir=str(tmp_path), model="mlp", precision="mixed_bfloat16", epochs=1,
                     limit=256, quality_every=0, verbose=0)
    dense = [l for l in run.gan.generator._flatten_layers() if l.__class__.__name__ == "Dense"]
    assert dense and all(l.compute_dtype == "bfloat16" and l.variable_dtype == "float32" for l in dense)
    images = run.generator(callbacks.fixed_inputs(run.gan, 4), training=False)
    assert keras.backend.standardize_dtype(images.dtype) == "float32"
    assert np.isfinite(run.history["d_loss"]).all()
    # The saved generator loads and samples like any other.
    loaded, _ = sampling.sample(sampling.load_generator(tmp_path / "generator.keras"), 4)
    assert loaded.shape == (4, 28, 28, 1) and loaded.dtype == np.float32


def test_mixed_float16_scales_the_loss():
    gan = runs.build_gan(runs.TrainConfig(model="mlp", precision="mixed_float16"))
    assert all(type(o).__name__ == "LossScaleOptimizer" for o in (gan.d_optimizer, gan.g_optimizer))


def test_unknown_precision_is_refused():
    with pytest.raises(ConfigError, match="unknown precision 'fp8'"):
        runs.TrainConfig(precision="fp8").validated()


def test_a_run_kept_without_its_resume_state_is_shown_not_trained(tiny_run, tmp_path):
    """A finished run kept as generator + history (a report's long run, committed without
    its large resume state) loads as it was; asking it to train further is refused."""
    import shutil

    kept = tmp_path / "kept"
    shutil.copytree(tiny_run.out_dir, kept)
    (kept / "state.weights.h5").unlink()
    before = {f: f.read_bytes() for f in kept.rglob("*") if f.is_file()}
    run = runs.train(tiny_run.config, out_dir=str(kept), verbose=0)
    assert run.epochs_done == 3 and run.epochs_now == 0 and run.history == tiny_run.history
    noise = callbacks.fixed_inputs(tiny_run.gan, 8)
    np.testing.assert_allclose(run.generator(noise), tiny_run.generator(noise), atol=1e-6)
    assert report.measure(run, n=200)["epochs"] == 3  # measured, but nothing written into it
    assert {f: f.read_bytes() for f in kept.rglob("*") if f.is_file()} == before
    with pytest.raises(ConfigError, match="not trained further"):
        runs.train(tiny_run.config, out_dir=str(kept), epochs=5, verbose=0)
    # shown under another precision (a CPU without bfloat16 units), it says the one it trained in
    other = runs.train(tiny_run.config, out_dir=str(kept), precision="mixed_bfloat16", verbose=0)
    assert other.epochs_done == 3 and other.config.precision == tiny_run.config.precision
    with pytest.raises(ConfigError, match="different precision"):  # a run with its state is not
        runs.train(tiny_run.config, out_dir=str(tiny_run.out_dir), precision="mixed_bfloat16", verbose=0)


def test_keep_packs_a_conditional_run_one_class_a_row(tmp_path, mnist_arrays):
    """A kept conditional run's snapshot holds five images of each class, one class a row,
    and the snapshot strip of the kept run shows them beside the final generator's."""
    run = runs.train(out_dir=str(tmp_path / "c"), model="cgan_mlp", classes=["7", "3"],
                     epochs=1, limit=128, snapshot_epochs=[1], quality_every=0, verbose=0)
    kept = runs.keep(run.out_dir, tmp_path / "kept")
    strip = runs.kept_snapshot(kept / "snapshots" / "epoch_0001.png", conditional=True)
    snap = sampling.load_generator(run.path("snapshots/generator_epoch_0001.keras"))
    np.testing.assert_allclose(strip, callbacks.snapshot_panel(run.gan, snap), atol=1 / 127.5)
    assert strip.shape == (2 * 5, 28, 28, 1)
    report.snapshot_grids(runs.train(run.config, out_dir=str(kept), verbose=0))
    titles = [ax.get_title() for ax in matplotlib.pyplot.gcf().axes]
    assert titles == ["epoch 1", "final (epoch 1)"]


def test_keep_packs_a_finished_run_to_show_without_its_resume_state(tiny_run, tmp_path, monkeypatch):
    """`runs.keep`: what a committed long run needs, and no more. A float16 generator at
    about half the size whose images stay within about one grey level of the run's; the
    history; each snapshot's strip images instead of its generator. The folder then loads
    as the run it was, without training."""
    kept = runs.keep(tiny_run.out_dir, tmp_path / "kept")
    assert not (kept / "state.weights.h5").exists()
    monkeypatch.chdir(tmp_path)  # a folder inside the project is recorded from the project's root
    assert json.loads((runs.keep(tiny_run.out_dir, tmp_path / "kept2") / "config.json").read_text())["out_dir"] == "kept2"
    assert (kept / "generator.keras").stat().st_size < 0.6 * tiny_run.path("generator.keras").stat().st_size
    strip = runs.kept_snapshot(kept / "snapshots" / "epoch_0001.png")
    assert strip.shape == (runs.KEPT_SNAPSHOT_IMAGES, 28, 28, 1)
    inputs = callbacks.fixed_inputs(tiny_run.gan, runs.KEPT_SNAPSHOT_IMAGES)
    first = sampling.load_generator(tiny_run.path("snapshots/generator_epoch_0001.keras"))(inputs)
    np.testing.assert_allclose(strip, first, atol=1 / 127.5)  # the PNG is lossless but 8-bit
    run = runs.train(tiny_run.config, out_dir=str(kept), verbose=0)
    assert run.epochs_done == 3 and run.epochs_now == 0 and run.history == tiny_run.history
    noise = callbacks.fixed_inputs(tiny_run.gan, 8)
    np.testing.assert_allclose(run.generator(noise), tiny_run.generator(noise), atol=2 / 127.5)
    report.snapshot_grids(run)
    titles = [ax.get_title() for ax in matplotlib.pyplot.gcf().axes]
    assert titles == ["epoch 1", "epoch 3", "final (epoch 3)"]
    with pytest.raises(ConfigError, match="no finished run"):
        runs.keep(tmp_path / "empty", tmp_path / "nowhere")


def test_keep_at_a_snapshot_shows_the_run_as_it_stood_then(tiny_run, tmp_path):
    """A long run still training is kept at a measured milestone: the snapshot's generator,
    and history, frames and snapshots up to that epoch, nothing later."""
    kept = runs.keep(tiny_run.out_dir, tmp_path / "kept", epoch=1)
    run = runs.train(tiny_run.config, out_dir=str(kept), epochs=1, verbose=0)
    assert run.epochs_done == 1 and run.history["epochs"] == [1]
    assert run.history["d_loss"] == tiny_run.history["d_loss"][:1]
    assert set(run.history["batches"]["epoch"]) == {1}
    assert sorted(p.name for p in (kept / "snapshots").iterdir()) == ["epoch_0001.png"]
    noise = callbacks.fixed_inputs(tiny_run.gan, 8)
    snap = sampling.load_generator(tiny_run.path("snapshots/generator_epoch_0001.keras"))
    np.testing.assert_allclose(run.generator(noise), snap(noise), atol=2 / 127.5)
    assert len(imageio.mimread(kept / "training.gif")) == 1  # one epoch, one frame
    with pytest.raises(ConfigError, match=r"no snapshot at epoch 2: choose one of \[1, 3\]"):
        runs.keep(tiny_run.out_dir, tmp_path / "kept2", epoch=2)


def test_time_budget_reads_the_logged_training_seconds_as_a_resumed_call_does():
    """Both decisions, to stop within a call and to train at all when called again, read the
    same record: the epochs' training seconds that LossLog keeps (checkpoints and frames
    between epochs do not count). Counting the wall clock in one and the record in the other
    stopped a run short of its budget, then trained it again on the next call."""
    log = types.SimpleNamespace(history={"seconds": [3.0, 3.0]})
    budget = callbacks.TimeBudget(10.0, log=log)
    budget.set_model(types.SimpleNamespace(stop_training=False))
    budget.on_epoch_end(1)  # 6 s spent, the slowest epoch 3 s: 9 <= 10, go on
    assert not budget.model.stop_training
    log.history["seconds"].append(3.0)
    budget.on_epoch_end(2)  # 9 + 3 > 10: stop after this epoch, whatever the wall clock says
    assert budget.model.stop_training and budget.stopped_at == 3
    again = callbacks.TimeBudget(10.0, spent=sum(log.history["seconds"]), slowest=3.0)
    assert again.exhausted()  # what the next call sees: nothing more to train

"""What the reports draw and say: stamped GIF frames, visible grid cells, wrapped titles,
snapshot strips, the comparison table, nearest neighbours, and what a run says it did."""

from __future__ import annotations

import imageio.v2 as imageio
import matplotlib
import numpy as np
import pytest

from ganutils import callbacks, compare, gif, neighbours, plots, report, runs

matplotlib.use("Agg")


def test_gif_frames_carry_their_epoch(tmp_path):
    frame = np.full((60, 80, 3), 128, np.uint8)
    for epoch in (1, 12):
        imageio.imwrite(tmp_path / f"epoch_{epoch:04d}.png", frame)
    frames = imageio.mimread(gif.frames_to_gif(tmp_path, tmp_path / "t.gif"))
    assert frames[0].shape[:2] == (60 + 16, 80)                 # a band above each frame
    band0, band1 = (np.asarray(f)[:16, :, :3].astype(int) for f in frames)
    assert band0.min() < 100 and (band0 != band1).any()        # dark text, different per epoch
    assert (np.asarray(frames[0])[16:, :, :3] == 128).all()     # the picture itself untouched


def test_a_gif_too_large_to_embed_keeps_frames_and_cuts_its_grids(tmp_path):
    rng = np.random.default_rng(0)  # noise: GIF cannot compress it, as colour samples
    for epoch in range(1, 21):
        imageio.imwrite(tmp_path / f"epoch_{epoch:04d}.png", rng.integers(0, 256, (200, 200, 3), np.uint8))
    path = gif.frames_to_gif(tmp_path, tmp_path / "t.gif", max_frames=20)
    full = len(path.read_bytes())
    assert len(imageio.mimread(gif.thinned(path, 20, full))) == 20          # fits: untouched
    small = gif.thinned(path, 20, full // 8)
    frames = imageio.mimread(small)
    assert len(small) <= full // 8 and len(frames) == gif.MIN_FRAMES       # an animation still
    h, w = frames[0].shape[:2]
    assert w < 200 and h - gif.BAND < 200                                  # the grid's corner
    assert np.asarray(frames[0])[:gif.BAND, :, :3].min() < 100             # the epoch stamp kept
    (tmp_path / "small.gif").write_bytes(small)
    said = gif.caption("run", tmp_path / "small.gif", tmp_path / "epoch_0020.png", 20)
    assert said.startswith(f"run: {gif.MIN_FRAMES} frames spread over its 20 epochs")
    assert f"top-left {w / 200:.0%} across" in said
    (tmp_path / "whole.gif").write_bytes(gif.thinned(path, 20, full))
    assert "top-left" not in gif.caption("run", tmp_path / "whole.gif", tmp_path / "epoch_0020.png", 20)

def test_grid_cells_are_visible_on_white_and_on_black():
    for value in (-1.0, 1.0):  # black (MNIST) and white (Pokemon backgrounds)
        grid = plots.tile(np.full((4, 8, 8, 3), value, np.float32), cols=2)
        assert grid[0, 0, 0] == plots.GUTTER and grid[1, 1, 0] in (0, 255)
        assert abs(int(plots.GUTTER) - int(grid[1, 1, 0])) > 60


def test_long_titles_wrap_to_the_figure():
    title = "samples from a generator whose labels blend from one digit to the next " * 3
    lines = plots.wrapped(title, 2.0).splitlines()
    assert len(lines) > 3 and max(map(len, lines)) <= 22
    fig = plots.show_grid(np.zeros((4, 28, 28, 1)), title=title, cols=2)
    assert "\n" in fig.axes[0].get_title()


def test_a_run_says_whether_it_was_resumed(tiny_run, tmp_path):
    import shutil

    assert "resumed" not in report.trained(tiny_run) and "3 epochs" in report.trained(tiny_run)
    copy = shutil.copytree(tiny_run.out_dir, tmp_path / "run")  # the shared run stays as it is
    again = runs.train(tiny_run.config, out_dir=str(copy), verbose=0)  # its epochs all done
    assert report.trained(again) == report.trained(tiny_run)  # shown as it is
    more = runs.train(tiny_run.config, out_dir=str(copy), epochs=4, verbose=0)
    assert "resumed after epoch 3: 1 epochs trained by this call" in report.trained(more)
    again = runs.train(tiny_run.config, out_dir=str(copy), epochs=5, verbose=0)
    assert "resumed after epoch 4: 1 epochs trained by this call" in report.trained(again)
    assert "epoch 3" not in report.trained(again)  # earlier sittings: bookkeeping, not shown
    assert report.trained(again).startswith("5 epochs")
    assert callbacks.device_description() not in report.trained(again)  # named once, in describe


def test_snapshot_strip_has_a_panel_per_snapshot_and_the_final_one(tiny_run, tmp_path):
    report.snapshot_grids(tiny_run, path=tmp_path / "strip.png")
    fig = matplotlib.pyplot.gcf()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["epoch 1", "epoch 3"] and titles[-1].startswith("final (epoch ")
    assert (tmp_path / "strip.png").stat().st_size > 1000


def test_conditional_snapshot_panels_hold_one_class_a_row():
    labels = np.repeat(np.arange(10), 10)  # as callbacks.fixed_inputs draws them
    images = np.broadcast_to(labels[:, None, None, None], (100, 2, 2, 1)).astype(np.float32)
    panel = callbacks.by_class(images)
    grid = panel.reshape(10, 5, 2, 2, 1)
    assert panel.shape == (50, 2, 2, 1)
    assert all(np.all(grid[row] == row) for row in range(10))


def test_grid_rows_carry_their_labels(tmp_path):
    images = np.zeros((20, 28, 28, 1), np.float32)
    fig = plots.show_grid(images, cols=10, row_labels=["0 → 1", "1 → 7"], path=tmp_path / "g.png")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0 → 1", "1 → 7"]
    with pytest.raises(ValueError, match="3 labels for a grid of 2 rows"):
        plots.show_grid(images, cols=10, row_labels=["a", "b", "c"])


def test_a_comparison_names_the_variant_above_each_of_its_curve_figures(tmp_path):
    history = {"epochs": [1, 2, 3, 4], "d_loss": [1.4, 1.3, 1.2, 1.2], "g_loss": [0.8, 0.9, 1.0, 1.0],
               "kid": [None, 0.5, None, 0.3],
               "batches": {"epoch": [4, 4], "step": [0, 1], "d_loss": [1.2, 1.1], "g_loss": [1.0, 0.9]}}
    fig = plots.loss_curves(history, title="plain")
    assert fig.get_suptitle() == "plain" and len(fig.axes) == 3  # whole run, zoom, KID
    fig = plots.batch_losses(history, title="plain")
    assert fig.axes[0].get_title() == "plain: per-batch losses, epoch 4"
    assert plots.loss_curves(history).get_suptitle() == ""  # one run alone needs no name


def test_kid_axes_are_labelled_in_plain_numbers():
    history = {"epochs": [1, 2, 3, 4], "d_loss": [1.4] * 4, "g_loss": [0.8] * 4,
               "kid": [0.65, 0.4, 0.16, 0.031]}
    fig = plots.loss_curves(history)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[-1].get_yticklabels(which="both") if t.get_text()]
    assert "0.1" in labels and all("10^" not in t and "e-" not in t and "times" not in t for t in labels)


def test_real_or_generated_hides_samples_among_photos_and_gives_the_answer(tiny_run, monkeypatch):
    shown = {}
    monkeypatch.setattr(plots, "show_grid", lambda images, **kw: shown.update(images=images, **kw))
    real = np.zeros((30, 28, 28, 1), np.uint8)  # black photos: -1 everywhere once scaled
    answer = report.real_or_generated(tiny_run.generator, real, n=6, cols=4)
    rows = answer.splitlines()[1:]
    assert [len(r.split()) for r in rows] == [4, 4, 4]
    marks = "".join(rows).replace(" ", "")
    black = ["R" if np.all(img == -1.0) else "G" for img in shown["images"]]
    assert list(marks) == black and sorted(marks) == ["G"] * 6 + ["R"] * 6
    assert marks != "G" * 6 + "R" * 6  # shuffled
    quiz = np.array([img for img, m in zip(shown["images"], marks) if m == "G"])
    grid = tiny_run.generator(callbacks.fixed_inputs(tiny_run.gan, 100, 0), training=False)
    for img in quiz:  # none of them is a cell of the final grid shown above the quiz
        assert np.abs(np.asarray(grid) - img).reshape(100, -1).max(axis=1).min() > 1e-3
    other = report.real_or_generated(tiny_run.generator, real[:29], n=6, cols=4)
    assert other != answer  # another notebook's real set: another layout
    with pytest.raises(ValueError, match="between 1 and the 30"):
        report.real_or_generated(tiny_run.generator, real, n=31)


def _m(fid, kid, std, share=None, classes=None):
    m = {"fid": fid, "kid": kid, "kid_std": std, "epochs": 10, "train_minutes": 15.0,
         "floor": {"n_real": 1000, "fid": 1.4, "kid": 0.02, "kid_std": 0.02}}
    if share is not None:
        m.update(class_share=share, classes_at_least_5pct=sum(s >= .05 for s in share))
    if classes:
        m["classes"] = classes
    return m


def test_comparison_table_and_augmentation_effect(capsys):
    dog = [0, 0, 0, .2, 0, .7, 0, 0, .1, 0]
    models = {"dcgan32_plain": _m(30.0, 2.5, 0.1, dog, ["dog"]),
              "dcgan32_diffaugment": _m(17.3, 1.6, 0.1, dog, ["dog"])}
    table = compare.table({"models": models, **models["dcgan32_diffaugment"]})
    lines = table.splitlines()
    assert len(lines) == 2 + 2 + 1 and "| dcgan32_diffaugment | 10 | 15.0 | 17.30 | 1.600 ± 0.100 |" in table
    assert "dog 70%; other 30%" in table and lines[-1].startswith("| real held-out images (1,000)")
    compare.augmentation_effect({"models": models})
    out = capsys.readouterr().out
    assert "FID 17.30 / 30.00 = 0.58" in out and "0.900, is larger than" in out
    models["dcgan32_diffaugment"]["kid"] = 2.45
    compare.augmentation_effect({"models": models})
    assert "is smaller than the two standard deviations added, 0.200" in capsys.readouterr().out
    # any two variants, e.g. the same networks with and without the label asked for
    said = compare.gap({"models": models}, "dcgan32_plain", "dcgan32_diffaugment")
    assert said.startswith("dcgan32_plain / dcgan32_diffaugment: FID 30.00 / 17.30 = 1.73")


def test_comparison_table_of_colour_runs_has_a_saturation_column():
    dog = [0, 0, 0, .2, 0, .7, 0, 0, .1, 0]
    models = {"plain": {**_m(30.0, 2.5, 0.1, dog, ["dog"]), "saturation": 0.18},
              "diffaugment": {**_m(17.3, 1.6, 0.1, dog, ["dog"]), "saturation": 0.22}}
    combined = {"models": models, **models["diffaugment"]}
    combined["floor"] = {**combined["floor"], "saturation": 0.28}
    lines = compare.table(combined).splitlines()
    assert lines[0].count("|") == lines[1].count("|") == lines[-1].count("|") == 8
    assert "| diffaugment | 10 | 15.0 | 17.30 | 1.600 ± 0.100 | 0.22 | dog 70%" in lines[3]
    assert lines[-1].endswith("| 0.28 | |")


def test_comparison_table_says_how_often_a_conditional_generator_draws_the_asked_class():
    share = [.1] * 10
    models = {"maxpool32_diffaugment": _m(40.0, 1.5, 0.1, share),
              "cgan32_diffaugment": {**_m(30.0, 1.2, 0.1, share), "label_accuracy": 0.43}}
    lines = compare.table({"models": models, **models["cgan32_diffaugment"]}).splitlines()
    assert lines[2].endswith("| 10 of 10 classes at 5% or more |")
    assert lines[3].endswith("| 10 of 10 classes at 5% or more; the class asked for in 43% |")


def test_comparison_table_of_a_picture_folder_has_no_verdicts_and_names_its_floor():
    models = {"plain": {**_m(6.6, 0.0726, 0.0083), "dataset": "pokemon"}}
    combined = {"models": models, **models["plain"]}
    combined["floor"] = {"n_real": 410, "fid": 1.67, "kid": 0.0075, "kid_std": 0.00046}
    lines = compare.table(combined).splitlines()
    assert "verdicts" not in lines[0] and lines[0].count("|") == lines[2].count("|") == 6
    assert lines[-1] == "| the other half of the pictures (410) | | | 1.67 | 0.0075 ± 0.0005 |"
    assert "| 0.073 ± 0.008 |" in lines[2]


def test_class_verdicts_for_a_class_subset():
    names = [f"c{i}" for i in range(10)]
    line = report.class_verdicts([.1, 0, 0, .2, 0, .6, 0, 0, .1, 0], names, ["c5"])
    assert line == ("classifier calls the samples: c5 60.0%; all other classes together 40.0%, "
                    "the most common of them c3 20.0%")


def test_description_gives_colour_saturation_beside_the_real_images():
    names = [f"c{i}" for i in range(10)]
    m = {**_m(8.3, 0.8, 0.1, [0, 0, 0, .2, 0, .8, 0, 0, 0, 0], ["c5"]), "device": "CPU"}
    assert "saturation" not in report.describe(m, names)  # greyscale data: none measured
    m["saturation"], m["floor"]["saturation"] = 0.21, 0.28
    assert "colour saturation 0.21 (real images 0.28)" in report.describe(m, names)


class _Stub:
    outputs = [np.zeros((1, 28, 28, 1))]


@pytest.mark.parametrize("copying", [True, False])
def test_nearest_neighbours_tell_copies_from_new_images(monkeypatch, mnist_arrays, copying):
    train = np.asarray(mnist_arrays[0][:300], np.float32) / 127.5 - 1
    fakes = train[:200] if copying else np.random.default_rng(0).uniform(-1, 1, train[:200].shape)
    monkeypatch.setattr(neighbours.sampling, "sample", lambda g, n, seed: (fakes.astype(np.float32), None))
    found = neighbours.nearest(_Stub(), "mnist", n=200, limit=300)  # the 300 it "trained" on
    if copying:
        assert found["near_copies"] > 0.95 and found["median_sample"] < 0.01 * found["median_real"]
    else:
        assert found["near_copies"] == 0 and found["median_sample"] > found["median_real"]
    assert "ratio" in neighbours.describe(found)
    fig = neighbours.figure(found, rows=3, k=2)
    assert len(fig.axes) == 2


def test_the_real_grid_samples_the_whole_set_not_its_first_class(monkeypatch):
    shown = {}
    monkeypatch.setattr(plots, "show_grid", lambda x, **k: shown.update(x=x, **k))
    images = np.repeat(np.arange(10, dtype=np.uint8)[:, None, None, None] * 25, 100, axis=0)
    images = np.broadcast_to(images, (1000, 4, 4, 3))  # stored class by class, as CIFAR-10 is here
    report.real_grid(images, n=64, seed=0)
    assert shown["x"].shape == (64, 4, 4, 3) and shown["x"].min() >= -1 and shown["x"].max() <= 1
    assert len(np.unique(shown["x"][:, 0, 0, 0])) >= 8  # most of the ten classes, not one
    report.real_grid(images[:20], n=64)
    assert len(shown["x"]) == 20


def test_loss_curves_mark_each_loss_at_balance():
    history = {"epochs": [1, 2, 3, 4], "d_loss": [1.4, 1.3, 1.2, 1.2], "g_loss": [0.8, 0.9, 1.0, 1.0]}
    for loss, levels in (("bce", {2 * np.log(2), np.log(2)}), ("hinge", {2.0, 0.0})):
        fig = plots.loss_curves(history, loss=loss)
        dashed = {round(float(l.get_ydata()[0]), 6) for l in fig.axes[0].lines if l.get_linestyle() == "--"}
        assert dashed == {round(float(v), 6) for v in levels}
        zoomed = {round(float(l.get_ydata()[0]), 6) for l in fig.axes[1].lines if l.get_linestyle() == "--"}
        assert zoomed == dashed  # the zoom on the last epochs shows how far they sit from balance
        assert fig.axes[1].get_title().startswith("last quarter")


def test_many_panels_wrap_into_rows():
    panels = {f"epoch {e}": np.zeros((36, 8, 8, 1), np.float32) for e in range(7)}
    fig = plots.grids_side_by_side(panels, per_row=4)
    shown = [ax for ax in fig.axes if ax.get_title()]
    assert len(shown) == 7 and len(fig.axes) == 8  # two rows of four, the last cell empty
    width, height = fig.get_size_inches()
    assert width / height < 5
    four = plots.grids_side_by_side(dict(list(panels.items())[:4]), per_row=3)
    assert len(four.axes) == 4  # two rows of two, not a row of three and one alone


def test_small_gifs_are_shown_twice_as_large(tmp_path):
    from ganutils import gif

    frames = tmp_path / "frames"
    frames.mkdir()
    for e in (1, 2):
        imageio.imwrite(frames / f"epoch_{e:04d}.png", np.zeros((100, 120, 3), np.uint8))
    gif.frames_to_gif(frames, tmp_path / "a.gif")
    assert 'width="240"' in gif.show(tmp_path / "a.gif").data


def test_a_network_as_a_table_of_shapes_names_its_activations():
    from ganutils import models

    g, _ = models.get("mlp").build()
    table = report.shapes(g).splitlines()
    assert table[0] == "mlp_generator: 1,493,520 weights"
    assert table[-2].startswith("Dense, tanh") and "(784,)" in table[-2]
    assert table[-1].split()[:2] == ["Reshape", "(28,"]


def test_multiply_adds_count_each_kind_of_layer_once_per_position():
    import keras

    m = keras.Sequential([keras.Input((4, 4, 3)),
                          keras.layers.Conv2D(5, 3, padding="same"),           # 16 outputs x 27 x 5
                          keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same"),  # 16 inputs x 9 x 5 x 2
                          keras.layers.Flatten(), keras.layers.Dense(7)])      # 128 x 7
    assert report.multiply_adds(m) == 16 * 27 * 5 + 16 * 9 * 5 * 2 + 8 * 8 * 2 * 7
    outer = keras.Sequential([keras.Input((4, 4, 3)), m])  # nested models are opened
    assert report.multiply_adds(outer) == report.multiply_adds(m)


def test_kid_against_images_and_minutes_puts_each_run_on_both_axes():
    from types import SimpleNamespace

    def run(seconds, kid, steps, batch):
        return SimpleNamespace(config=SimpleNamespace(batch_size=batch),
                               history={"seconds": seconds, "kid": kid,
                                        "batches": {"epoch": [e for e in range(1, len(kid) + 1)
                                                              for _ in range(steps)]}})

    fig = report.kid_against_minutes({"cheap": run([60, 60], [30.0, 1.0], 10, 100),
                                      "dear": run([120, 120], [20.0, 0.5], 4, 50)}, images=True)
    images_ax, minutes_ax = fig.axes
    cheap, dear = images_ax.lines[:2]
    assert list(cheap.get_xdata()) == [1.0, 2.0] and list(dear.get_xdata()) == [0.2, 0.4]
    assert list(minutes_ax.lines[1].get_xdata()) == [2.0, 4.0]
    assert images_ax.get_xlabel() == "thousands of training images seen"
    assert minutes_ax.get_yscale() == "log"  # KID from 30 to 0.5
    # a run whose second epoch was slowed by other work on its machine: counted at its median
    shared = report.kid_against_minutes({"shared": run([60, 600, 60], [3.0, 2.0, 1.0], 4, 50)},
                                        median_epochs=True)
    assert list(shared.axes[0].lines[0].get_xdata()) == [1.0, 2.0, 3.0]
    assert "median epoch time" in shared.axes[0].get_xlabel()


def test_a_kid_curve_within_a_factor_of_ten_keeps_a_linear_axis():
    history = {"epochs": [1, 2, 3], "d_loss": [1.4] * 3, "g_loss": [0.8] * 3, "kid": [3.2, 2.0, 1.2]}
    assert plots.loss_curves(history).axes[-1].get_yscale() == "linear"


def test_confusion_matrices_print_each_share_of_a_percent_or_more():
    generated = [[0.9, 0.1, 0.0], [0.5, 0.496, 0.004], [0.0, 0.0, 1.0]]
    fig = plots.confusion({"generated": generated, "real": np.eye(3)}, ["a", "b", "c"])
    texts = [sorted(t.get_text() for t in ax.texts) for ax in fig.axes]
    assert texts[0] == sorted(["90", "10", "50", "50", "100"])  # 0.4% is left blank
    assert texts[1] == ["100", "100", "100"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c"]


def test_blind_tests_are_printed_per_test_and_source(tmp_path):
    import json

    record = {"how": "samples among photos.", "cells": 36, "named": "a dog",
              "tests": [{"generator": "epoch 10", "among": "real dogs",
                         "counts": {"generated": [5, 26, 33], "real dogs": [20, 31, 15]}}]}
    (tmp_path / "b.json").write_text(json.dumps(record))
    lines = report.blind_tests(tmp_path / "b.json").splitlines()
    assert "named = called a dog without a question mark" in " ".join(lines[:2])
    assert "epoch 10, mixed with real dogs:" in lines
    assert lines[-2].split()[-3:] == ["5", "26", "33"] and lines[-1].split()[-3:] == ["20", "31", "15"]


def test_checkerboard_by_epoch_scores_the_start_each_snapshot_and_the_end(tiny_run):
    shares = report.checkerboard_by_epoch(tiny_run, n=64)
    assert list(shares) == ["untrained", 1, 3]  # snapshots at 1 and 3; 3 is also the last
    assert all(0 <= s <= 1 for s in shares.values())


def test_class_histogram_draws_a_reference_per_class_across_each_bar():
    fig = plots.class_histogram([0.5, 0.9, 1.0], ["a", "b", "c"], ylabel="label accuracy",
                                reference=("real images", [0.8, 0.95, 0.99]))
    (marks,) = fig.axes[0].collections
    assert [round(float(seg[0][1]), 2) for seg in marks.get_segments()] == [0.8, 0.95, 0.99]


def test_asked_and_read_sets_each_class_asked_for_beside_real_photos_of_it():
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    m = {"confusion": [[0, 0, 0, .6, 0, .3, 0, 0, 0, .1], [0, 0, 0, .2, 0, .7, .1, 0, 0, 0]],
         "floor": {"confusion": [[0, 0, 0, .8, 0, .15, 0, 0, 0, .05], [0, 0, 0, .1, 0, .85, 0, 0, 0, .05]]}}
    table = report.asked_and_read({"cgan32": m}, ["cat", "dog"], names).splitlines()
    assert table[0] == "| source | asked for | read as cat | read as dog | anything else |"
    assert table[2:] == ["| cgan32 | cat | 60% | 30% | 10% |", "| cgan32 | dog | 20% | 70% | 10% |",
                         "| real held-out photos | labelled cat | 80% | 15% | 5% |",
                         "| real held-out photos | labelled dog | 10% | 85% | 5% |"]


def test_class_histogram_reference_is_an_even_share_of_the_classes_trained_on():
    assert compare.even_share({"dataset": "cifar10", "classes": ["cat", "dog"]}) == \
        ("an even share of cat, dog", 0.5)
    assert compare.even_share({"dataset": "cifar10"}) == ("uniform", None)  # all ten: 1/10

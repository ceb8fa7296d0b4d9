"""What a notebook shows about a finished run: snapshot grids, measured metrics, a summary.

Every numbered notebook ends the same way; keeping these steps here keeps the notebooks to
the idea at hand and makes every report measure the same things the same way.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from . import callbacks, datasets, evaluation, plots, sampling
from .files import write_json


def train_minutes(history: dict) -> float:
    """Minutes spent in training epochs (quality checks included), summed over every session
    of a resumed run, from `losses.json`'s per-epoch seconds."""
    return sum(history.get("seconds", [])) / 60


def trained(run) -> str:
    """One line on the run `runs.train` returned: epochs and minutes in all, and whether this
    call resumed an earlier one. (A run found finished in its folder is shown as it is: how
    many sittings it took is bookkeeping, in its `losses.json`, not part of a report.)"""
    line = (f"{run.epochs_done} epochs in {train_minutes(run.history):.1f} training minutes, "
            f"batch {run.config.batch_size}")
    earlier = run.epochs_done - run.epochs_now
    if earlier and run.epochs_now:
        line += f" (resumed after epoch {earlier}: {run.epochs_now} epochs trained by this call)"
    return line  # the machine is named once, with the measured results (`describe`)


def shapes(model) -> str:
    """A network as a short table: each layer's kind, output shape and weights, with
    nested models opened (what `summary` shows, without its truncated names and rules)."""
    rows = [("layer", "output shape", "weights")]
    for layer in _layers(model):
        out = layer.output
        shape = [tuple(o.shape[1:]) for o in out] if isinstance(out, (list, tuple)) else tuple(out.shape[1:])
        kind = type(layer).__name__
        inner = getattr(layer, "layer", None)  # a wrapper such as SpectralNormalization
        kind = f"{kind}({type(inner).__name__})" if inner else kind
        act = getattr(layer, "activation", None)
        if act is not None and getattr(act, "__name__", "linear") != "linear":
            kind += f", {act.__name__}"
        rows.append((kind, str(shape), f"{layer.count_params():,}"))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:<{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}" for a, b, c in rows]
    return "\n".join([f"{model.name}: {model.count_params():,} weights", *lines])


def _layers(model):
    """The layers of a functional or sequential model in order, nested models opened."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            yield layer


def real_grid(images, n: int = 64, seed: int = 0, path=None):
    """A random `n` of the training images (uint8), as the first grid a notebook shows. Not
    the first `n`: the course's copies store CIFAR-10 class by class, so those would all be
    airplanes (or, of cats and dogs, all cats)."""
    pick = np.sort(np.random.default_rng(seed).choice(len(images), min(n, len(images)), replace=False))
    return plots.show_grid((np.asarray(images)[pick] - 127.5) / 127.5, cols=16, path=path, scale=0.6,
                           title=f"real training images: a random {len(pick)} of {len(images):,}")


def snapshot_grids(run, path=None):
    """The generator snapshots and the final generator side by side, on the same fixed noise
    (and labels), so the panels show one set of samples changing over training (the final
    grid of all 100 is the run's `samples.png`)."""
    from . import runs

    def panel(generator):
        if run.gan.conditional:  # five of each class, one class a row
            return callbacks.snapshot_panel(run.gan, generator, run.config.seed)
        return generator(callbacks.fixed_inputs(run.gan, 100, run.config.seed), training=False)

    panels = {}
    for snap in sorted((run.out_dir / "snapshots").glob("generator_epoch_*.keras")):
        panels[int(snap.stem.rsplit("_", 1)[1])] = panel(sampling.load_generator(snap))
    for kept in (run.out_dir / "snapshots").glob("epoch_*.png"):  # a kept run (`runs.keep`)
        panels[int(kept.stem.rsplit("_", 1)[1])] = runs.kept_snapshot(kept, run.gan.conditional)
    panels = {f"epoch {e}": panels[e] for e in sorted(panels)}
    panels[f"final (epoch {run.epochs_done})"] = panel(run.generator)
    if run.gan.conditional:
        names = run.config.classes or datasets.get(run.config.dataset).classes
        plots.grids_side_by_side(panels, cols=5, rows=len(names), path=path, row_labels=names,
                                 inches=3.0, per_row=3)
    else:  # 6 across in 3 inches: cells of 50 pixels
        plots.grids_side_by_side(panels, path=path, inches=3.0, per_row=3)
    plt.show()


def class_grid(run, generator=None, cols: int = 6, path=None, title: str = ""):
    """Samples of a conditional run, each row labelled with the class asked for: `cols` a
    row, one row a class (three rows a class where there are only two or three classes)."""
    names = run.config.classes or datasets.get(run.config.dataset).classes
    rows_per_class = 3 if len(names) <= 3 else 1
    per_class = cols * rows_per_class
    inputs = callbacks.fixed_inputs(run.gan, per_class * len(names), run.config.seed, len(names))
    images = (generator or run.generator)(inputs, training=False)
    return plots.show_grid(keras.ops.convert_to_numpy(images), title=title, cols=cols, path=path,
                           row_labels=[n for n in names for _ in range(rows_per_class)])


def real_or_generated(generator, real, n: int = 12, cols: int = 6, seed: int = 0, path=None) -> str:
    """A test for the reader's own eye: `n` samples and `n` of the `real` images (uint8),
    shuffled into one grid. Returns the answer as a map of the grid (G generated, R real),
    to print in a later cell, so that the reader decides before seeing it. A classifier
    that calls a blob "dog" has not seen a dog; a reader who cannot tell the samples from
    real images has."""
    if not 0 < n <= len(real):
        raise ValueError(f"n must be between 1 and the {len(real)} real images given, got {n}")
    # The real set's size joins the seed: each notebook's grid gets its own layout, so an
    # answer remembered from one notebook does not give the next one away.
    rng = np.random.default_rng([seed, len(real)])
    # Noise of its own: with `seed` itself the samples would be the first cells of the final
    # grids shown above the quiz (`callbacks.fixed_inputs`), and give the answer away.
    fake = sampling.sample(generator, n, seed=int(rng.integers(2**32)))[0]
    photos = (real[rng.choice(len(real), n, replace=False)].astype("float32") - 127.5) / 127.5
    order = rng.permutation(2 * n)
    plots.show_grid(np.concatenate([fake, photos])[order], cols=cols, path=path, scale=1.0,
                    title=f"{n} samples and {n} real images: which are which?")
    plt.show()
    marks = ["G" if i < n else "R" for i in order]
    rows = (" ".join(marks[i:i + cols]) for i in range(0, len(marks), cols))
    return "The answer (G generated, R real), row by row:\n" + "\n".join(rows)


def measure(run, n: int = 10000) -> dict:
    """Metrics of the run's final generator on `n` samples (`evaluation.evaluate`), with how
    it was trained (epochs, minutes, device, best epoch by KID); written to `metrics.json`
    in the run's folder, unless the run is a kept one (committed as `runs.keep` wrote it)."""
    from . import runs

    m = evaluation.evaluate(run.generator, run.config.dataset, n=n, seed=run.config.seed,
                            path=run.config.data_path, classes=run.config.classes)
    best = run.out_dir / "best.json"
    m.update(model=run.config.model, epochs=run.epochs_done,
             train_minutes=round(train_minutes(run.history), 2),
             best_epoch=json.loads(best.read_text())["epoch"] if best.exists() else None,
             ema=run.config.ema, precision=run.config.precision,
             jit_compile=bool(run.gan.jit_compile),
             device=", ".join(dict.fromkeys(d for d in run.history.get("device", []) if d))
             or callbacks.device_description())
    if not runs.is_kept(run.out_dir):
        write_json(run.out_dir / "metrics.json", m)
    return m


def describe(m: dict, class_names=None, device: bool = True) -> str:
    """The metrics as a few readable lines; the machine only where `device` (a notebook that
    measures several runs names it once)."""
    lines = [f"FID {m['fid']:.2f}  (real floor {m['floor']['fid']:.2f})",
             f"KID {m['kid']:.4f} ± {m['kid_std']:.4f}  (real floor {m['floor']['kid']:.4f})"]
    names = class_names or [str(i) for i in range(10)]
    if "label_accuracy" in m:
        per, asked = m["label_accuracy_per_class"], m.get("classes") or names
        floor = m["floor"].get("label_accuracy")
        lines.append(f"label accuracy {m['label_accuracy']:.1%}"
                     + (f" (real held-out images: {floor:.1%})" if floor is not None else "")
                     + f"; worst class {asked[per.index(min(per))]} {min(per):.1%}")
        lines.append("per class: " + ", ".join(f"{c} {a:.1%}" for c, a in zip(asked, per)))
    if "class_share" in m and m.get("classes"):  # a class subset: what the samples look like
        lines.append(class_verdicts(m["class_share"], names, m["classes"]))
    elif "class_share" in m:
        share = m["class_share"]
        lines.append(f"classes with at least 5% of samples: {m['classes_at_least_5pct']} of "
                     f"{len(share)}; the smallest share: {names[share.index(min(share))]} ({min(share):.1%})")
        lines.append("share of samples per class: " + ", ".join(f"{c} {a:.1%}" for c, a in zip(names, share)))
    if "saturation" in m:
        lines.append(f"colour saturation {m['saturation']:.2f} (real images "
                     f"{m['floor']['saturation']:.2f})")
    lines.append(f"{m['epochs']} epochs in {m['train_minutes']:.1f} min"
                 + (f" on {m['device']}" if device else ""))
    return "\n".join(lines)


def class_verdicts(share, names, classes) -> str:
    """For a run on some classes only: the share of samples the classifier puts in each of
    them, the largest other class, and all others together."""
    picked = {c: share[names.index(c)] for c in classes}
    others = sorted(((s, n) for n, s in zip(names, share) if n not in picked), reverse=True)
    return ("classifier calls the samples: " + ", ".join(f"{c} {s:.1%}" for c, s in picked.items())
            + f"; all other classes together {1 - sum(picked.values()):.1%}, the most common "
            f"of them {others[0][1]} {others[0][0]:.1%}")


def summary(run) -> str:
    """Losses of the last epoch against the guessing discriminator, and KID over the run."""
    h = run.history
    lines = [f"epochs trained: {run.epochs_done}; training time: {train_minutes(h):.1f} min",
             f"last epoch: D loss {h['d_loss'][-1]:.3f}, G loss {h['g_loss'][-1]:.3f} "
             f"(a discriminator reduced to guessing scores 2 ln 2 = {2 * math.log(2):.3f})"]
    kids = [(e, k) for e, k in zip(h["epochs"], h.get("kid", [])) if k is not None]
    if kids:
        best = min(kids, key=lambda ek: ek[1])
        lines.append(f"KID after epoch {kids[0][0]}: {kids[0][1]:.3f}; best {best[1]:.3f} at "
                     f"epoch {best[0]}; last {kids[-1][1]:.3f}")
    return "\n".join(lines)


def kid_against_minutes(runs: dict, path=None, thresholds=None, images: bool = False,
                        median_epochs: bool = False):
    """KID per epoch of several runs against their cumulative training minutes, one line
    each: the fair comparison of models whose epochs cost different time. `thresholds`
    ({label: KID}) adds dashed levels to reach. With `images`, a panel against the training
    images seen comes first: a dear model may learn more from each image and still lose
    per minute. With `median_epochs`, every epoch counts the run's median epoch seconds:
    a long run that shared its machine logged epochs slower than its own work."""
    fig, axes = plt.subplots(1, 2 if images else 1, figsize=(10 if images else 6, 3.5),
                             squeeze=False)
    for label, run in runs.items():
        h = run.history
        minutes, kid, epochs, t = [], [], [], 0.0
        seconds = [float(np.median(h["seconds"]))] * len(h["seconds"]) if median_epochs else h["seconds"]
        for epoch, (s, k) in enumerate(zip(seconds, h.get("kid", [None] * len(h["seconds"]))), 1):
            t += s / 60
            if k is not None:
                minutes.append(t)
                kid.append(k)
                epochs.append(epoch)
        line, = axes[0, -1].plot(minutes, kid, marker=".", label=label)
        if images:
            per_epoch = steps_per_epoch(h) * run.config.batch_size / 1000
            axes[0, 0].plot([e * per_epoch for e in epochs], kid, marker=".",
                            color=line.get_color(), label=f"{label} (batch {run.config.batch_size})")
    clock = "training minutes" + (" (epochs × median epoch time)" if median_epochs else "")
    for ax, x in zip(axes[0], ["thousands of training images seen", clock][-len(axes[0]):]):
        for label, level in (thresholds or {}).items():
            ax.axhline(level, color="grey", linestyle="--", linewidth=0.8)
            ax.annotate(label, (0, level), xycoords=("axes fraction", "data"), fontsize=7,
                        color="grey", va="bottom")
        ax.set(xlabel=x, ylabel="KID (lower is better)",
               title=f"quality against {'images seen' if x.endswith('seen') else 'training time'}")
        plots.log_scale(ax)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return plots._finish(fig, path)


def steps_per_epoch(history: dict) -> int:
    """Training steps in one epoch, from the per-batch log of the last logged epoch."""
    epochs = history["batches"]["epoch"]
    return epochs.count(epochs[-1])


def multiply_adds(model) -> int:
    """Multiply-adds one image costs in the dense and convolution layers, nested models
    opened: the arithmetic that sets a step's price on a CPU (normalisation and activations,
    a few per output value, are left out)."""
    total = 0
    for layer in _layers(model):
        inner = getattr(layer, "layer", None) or layer  # a wrapper such as SpectralNormalization
        if isinstance(inner, keras.layers.Dense):
            total += int(np.prod(inner.kernel.shape)) * int(np.prod(layer.output.shape[1:-1]))
        elif isinstance(inner, keras.layers.Conv2DTranspose):  # every input value stamps the kernel
            total += int(np.prod(layer.input.shape[1:3])) * int(np.prod(inner.kernel.shape))
        elif isinstance(inner, keras.layers.Conv2D):  # every output value sums over the kernel
            total += int(np.prod(layer.output.shape[1:3])) * int(np.prod(inner.kernel.shape))
    return total


def blind_tests(path) -> str:
    """The blind naming tests recorded beside a report (`blind_tests.json`), as a table per
    test: for each source, how many of its cells the viewers named without a guess, named
    counting guesses ("dog?"), and called generated. People, not a classifier, did the
    naming, so the record is written down once and printed here, not recomputed."""
    record = json.loads(Path(path).read_text())
    lines = [textwrap.fill(f"Blind naming test: {record['how']} Counts out of {record['cells']} "
                           f"cells per source; named = called {record['named']} without a "
                           "question mark.", 92)]
    for test in record["tests"]:
        lines += ["", f"{test['generator']}, mixed with {test['among']}:",
                  f"  {'source':34s} {'named':>6s} {'with guesses':>13s} {'called generated':>17s}"]
        lines += [f"  {source:34s} {a:>6d} {b:>13d} {c:>17d}"
                  for source, (a, b, c) in test["counts"].items()]
    return "\n".join(lines)


def compare(runs: dict, metrics: dict, out_dir, baseline=None) -> dict:
    """Pick the run with the lowest FID, and write `metrics.json` in `out_dir` for the pair:
    the better model's metrics at the top level (so the report index reads it like any
    other), every model's under `models`, and the FID ratio to a baseline report's
    `metrics.json` when one is given and exists. The better generator and its final grid
    are copied beside it as `generator.keras` and `samples.png`."""
    import shutil
    from pathlib import Path

    out = Path(out_dir)
    better = min(metrics, key=lambda name: metrics[name]["fid"])
    combined = {**metrics[better], "better": better, "models": metrics}
    if baseline and Path(baseline).exists():
        base = json.loads(Path(baseline).read_text())
        combined.update(baseline=str(baseline), baseline_fid=base["fid"],
                        fid_ratio_to_baseline=metrics[better]["fid"] / base["fid"])
    for name in ("generator.keras", "samples.png"):
        shutil.copy2(runs[better].out_dir / name, out / name)
    write_json(out / "metrics.json", combined)
    return combined


def checkerboard_by_epoch(run, n: int = 1000, measure=None) -> dict:
    """`measure` (default `evaluation.checkerboard`) of `n` samples from the run's generator
    before training (its initial weights, rebuilt from the run's seed), from each kept
    snapshot and from the final generator: {"untrained" or epoch: share}. Shows whether a
    grid pattern was there at the start and when training removed it."""
    from . import runs

    measure = measure or evaluation.checkerboard
    start, _ = runs.fresh_networks(run.config.validated())
    shares = {"untrained": measure(sampling.sample(start, n, run.config.seed)[0])}
    for epoch, path in _snapshots(run).items():
        images = sampling.sample(keras.models.load_model(path), n, run.config.seed)[0]
        shares[epoch] = measure(images)
    shares[run.epochs_done] = measure(sampling.sample(run.generator, n, run.config.seed)[0])
    return shares


def _snapshots(run) -> dict:
    """{epoch: path} of the run's kept generator snapshots, in order."""
    found = {int(p.stem.rsplit("_", 1)[1]): p for p in (run.out_dir / "snapshots").glob("*.keras")}
    return dict(sorted(found.items()))


def snapshot_scores(run, n: int = 5000) -> dict:
    """KID and FID of every generator snapshot of the run and of its final generator, on `n`
    samples against `n` real training images of the run's data: the dog and cat writeup
    compared its snapshots by eye; this puts a number on each. Returns {epoch: scores}, the
    final generator under its epoch count."""

    c = run.config
    space = evaluation.FeatureSpace(c.dataset)
    side = int(run.generator.outputs[0].shape[1])
    reference, _ = evaluation.real_sets(c.dataset, n, c.seed, c.data_path, size=side,
                                        classes=c.classes)
    ref_f, _ = space(reference)
    result = {}
    for epoch, path in _snapshots(run).items():
        fake_f, _ = space(sampling.sample(keras.models.load_model(path), n, c.seed)[0])
        result[epoch] = evaluation.scores(fake_f, ref_f)
    fake_f, _ = space(sampling.sample(run.generator, n, c.seed)[0])
    result[run.epochs_done] = evaluation.scores(fake_f, ref_f)
    return result


def asked_and_read(sources: dict, classes, names) -> str:
    """A Markdown table: for each source ({name: metrics} of conditional generators, whose
    `floor` gives the real photos' row) and each class asked for, the share of its images the
    classifier reads as each of `classes`, and as anything else. A real photo's row is what
    the classifier itself gets right: the reference for a generator's."""
    columns = [names.index(c) for c in classes]
    rows = ["| source | asked for | " + " | ".join(f"read as {c}" for c in classes) + " | anything else |",
            "| --- | --- |" + " --- |" * (len(classes) + 1)]

    def add(source, matrix, asked):
        for c, row in zip(classes, matrix):
            picked = [row[k] for k in columns]
            rows.append(f"| {source} | {asked} {c} | " + " | ".join(f"{s:.0%}" for s in picked)
                        + f" | {1 - sum(picked):.0%} |")

    for source, m in sources.items():
        add(source, m["confusion"], "")
    floor = next(iter(sources.values()))["floor"]
    add("real held-out photos", floor["confusion"], "labelled")
    return "\n".join(rows).replace("|  ", "| ")

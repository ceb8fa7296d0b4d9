"""Several variants of one GAN trained on the same budget, then compared: the steps the
comparison notebooks (04, 05, 06, 08) share, so each of them shows only its question.

A variant is a model and an augmentation (`[model, augment]`, augment None for plain
training); every variant gets the same data, seed and time budget, in its own folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt

from . import callbacks, datasets, plots, report
from .trainconfig import TrainConfig


def name(model: str, augment: str | None) -> str:
    return f"{model}_{augment or 'plain'}"


def configs(variants, out_dir, **common) -> dict:
    """{variant name: TrainConfig} for `variants` ([model, augment] pairs), each training in
    `out_dir/<name>` with the `common` settings (dataset, classes, epochs, time_budget...)."""
    return {name(m, a): TrainConfig(model=m, augment=a, out_dir=str(Path(out_dir) / name(m, a)),
                                    **common)
            for m, a in variants}


def train(configs: dict, verbose: int = 0) -> dict:
    """Train (or resume) each variant in turn, one line each on what was trained."""
    from . import runs

    trained = {}
    for key, c in configs.items():
        trained[key] = runs.train(c, verbose=verbose)
        print(f"{key}: {report.trained(trained[key])}")
    return trained


def long_run(configs: dict, variant, out_dir, seconds=None, **changes):
    """The variant the comparison recommends, trained again in its own folder for `seconds`
    of training (None: its configuration's epochs), resuming wherever an earlier call
    stopped. A short budget ranks recipes; this shows what the chosen one reaches."""
    from . import runs

    key = name(*variant)
    c = dataclasses.replace(configs[key], out_dir=str(out_dir), time_budget=seconds,
                            epochs=100_000 if seconds else configs[key].epochs, **changes)
    run = runs.train(c, verbose=0)
    print(f"long run of {key}: {report.trained(run)}")
    return run


def curves(trained: dict, out_dir) -> None:
    """Each variant's per-epoch losses and KID, and its last epoch's per-batch losses."""
    for key, run in trained.items():
        plots.loss_curves(run.history, path=Path(out_dir) / f"losses_{key}.png", title=key,
                          loss=run.config.loss)  # its balance lines: hinge's differ
        plots.batch_losses(run.history, path=Path(out_dir) / f"batch_losses_{key}.png", title=key)
        plt.show()


def animations(trained: dict, out_dir, max_bytes: int | None = None) -> None:
    """Each variant's epoch GIF, shown under its name and kept beside the report as shown:
    thinned to at most `max_bytes` (default `gif.REPORT_BYTES`). The run's own folder keeps
    every frame."""
    from IPython.display import display

    from . import gif

    max_bytes = max_bytes or gif.REPORT_BYTES
    for key, run in trained.items():
        target = Path(out_dir) / f"training_{key}.gif"
        target.write_bytes(gif.thinned(run.out_dir / "training.gif", max_bytes=max_bytes))
        print(gif.caption(key, target, run.out_dir / "samples.png", run.epochs_done))
        display(gif.show(target, max_bytes=max_bytes))


def snapshots(trained: dict, out_dir) -> None:
    """Each variant's snapshots and final samples, early to late, in one row."""
    for key, run in trained.items():
        print(key)
        report.snapshot_grids(run, path=Path(out_dir) / f"snapshots_{key}.png")


def final_grids(trained: dict, path=None) -> None:
    """The variants' final samples side by side, from the same fixed noise; a conditional
    variant's in a grid of its own, each row labelled with the class asked for."""
    panels = {}
    for key, run in trained.items():
        if run.gan.conditional:
            continue
        inputs = callbacks.fixed_inputs(run.gan, 100, run.config.seed)
        panels[f"{key}, epoch {run.epochs_done}"] = run.generator(inputs, training=False)
    if panels:
        plots.grids_side_by_side(panels, path=path, inches=3.0, per_row=3)
        plt.show()
    for key, run in trained.items():
        if run.gan.conditional:
            where = None if path is None else Path(path).with_name(f"{Path(path).stem}_{key}.png")
            report.class_grid(run, title=f"{key}, epoch {run.epochs_done}: the class asked for at the left",
                              path=where)
            plt.show()


def measure(trained: dict, n: int, out_dir, baseline=None) -> dict:
    """Every variant's final metrics on `n` samples, its classifier histogram where the
    dataset has one, and `metrics.json` for the comparison (`report.compare`, which relates
    the best FID to a `baseline` report's `metrics.json` when given)."""
    metrics = {key: report.measure(run, n) for key, run in trained.items()}
    shown = None
    for key, m in metrics.items():
        names = datasets.get(m["dataset"]).classes
        print(f"--- {key}\n{report.describe(m, names, device=m['device'] != shown)}")
        shown = m["device"]
        if "class_share" in m:
            plots.class_histogram(m["class_share"], names,
                                  f"{key}: what the {m['dataset']} classifier calls the samples",
                                  reference=even_share(m),
                                  path=Path(out_dir) / f"class_histogram_{key}.png")
            plt.show()
    return report.compare(trained, metrics, out_dir, baseline)


def even_share(m: dict) -> tuple:
    """The class histogram's reference line: an even share of the classes the run was trained
    on (a half each for cats and dogs), not of all the classifier knows."""
    trained_on = m.get("classes")
    if not trained_on:
        return ("uniform", None)
    return (f"an even share of {', '.join(trained_on)}", 1 / len(trained_on))


def table(combined: dict) -> str:
    """The comparison as one Markdown table: variant, epochs, minutes, FID, KID ± std, colour
    saturation (colour data) and what the classifier makes of the samples (where one knows
    the dataset), with the real-data floor as the last row."""
    floor, models = combined["floor"], combined["models"]
    colour = "saturation" in floor
    verdicts = any("class_share" in m for m in models.values())
    dataset = next(iter(models.values()), {}).get("dataset")
    held = ("real held-out images" if dataset is None or datasets.get(dataset).labelled
            else "the other half of the pictures")  # folders: no test split (evaluation.real_sets)
    rows = ["| variant | epochs | minutes | FID | KID ± std |" + (" saturation |" if colour else "")
            + (" classifier's verdicts |" if verdicts else ""),
            "| --- | --- | --- | --- | --- |" + (" --- |" if colour else "") + (" --- |" if verdicts else "")]
    for key, m in models.items():
        sat = f" {m['saturation']:.2f} |" if colour else ""
        rows.append(f"| {key} | {m['epochs']} | {m['train_minutes']:.1f} | {m['fid']:.2f} | "
                    f"{_plus_minus(m['kid'], m['kid_std'])} |{sat}"
                    + (f" {_verdicts(m)} |" if verdicts else ""))
    sat = f" {floor['saturation']:.2f} |" if colour else ""
    rows.append(f"| {held} ({floor['n_real']:,}) | | | {floor['fid']:.2f} | "
                f"{_plus_minus(floor['kid'], floor['kid_std'])} |{sat}" + (" |" if verdicts else ""))
    return "\n".join(rows)


def _plus_minus(value: float, std: float) -> str:
    """Three decimals, or four where the deviation would read 0.000."""
    digits = 3 if std >= 0.0005 else 4
    return f"{value:.{digits}f} ± {std:.{digits}f}"


def _verdicts(m: dict) -> str:
    if "class_share" not in m:
        return "no classifier for this dataset"
    share, names = m["class_share"], datasets.get(m.get("dataset", "cifar10")).classes
    if m.get("classes"):
        picked = {c: share[names.index(c)] for c in m["classes"]}
        return (", ".join(f"{c} {s:.0%}" for c, s in picked.items())
                + f"; other {1 - sum(picked.values()):.0%}")
    spread = f"{m['classes_at_least_5pct']} of {len(share)} classes at 5% or more"
    if "label_accuracy" in m:  # a conditional generator: does it draw the class asked for?
        spread += f"; the class asked for in {m['label_accuracy']:.0%}"
    return spread


def gap(combined: dict, first: str, second: str) -> str:
    """Two variants' final scores as ratios, and whether their KIDs differ by more than the
    two standard deviations added (the rule every notebook uses to call a gap real)."""
    a, b = combined["models"][first], combined["models"][second]
    difference, spread = abs(a["kid"] - b["kid"]), a["kid_std"] + b["kid_std"]
    return (f"{first} / {second}: FID {a['fid']:.2f} / {b['fid']:.2f} = {a['fid'] / b['fid']:.2f}; "
            f"KID {a['kid']:.3f} / {b['kid']:.3f} = {a['kid'] / b['kid']:.2f} (the KID gap, "
            f"{difference:.3f}, is {'larger' if difference > spread else 'smaller'} than the two "
            f"standard deviations added, {spread:.3f})")


def augmentation_effect(combined: dict) -> None:
    """For each model trained both ways, its scores with DiffAugment over without."""
    models = combined["models"]
    for key in models:
        plain = key.replace("_diffaugment", "_plain")
        if key.endswith("_diffaugment") and plain in models:
            print(gap(combined, key, plain))

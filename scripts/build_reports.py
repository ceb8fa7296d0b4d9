"""Execute notebooks with their report parameters into `reports/<name>/` and rebuild the index.

    python scripts/build_reports.py [NAME ...]      # `make reports` runs them all
    python scripts/build_reports.py --gpu NAME      # the GPU parameters, where they differ
    python scripts/build_reports.py --prose NAME    # the notebook's Markdown into its report
    python scripts/build_reports.py --html NAME     # an HTML copy to read offline (not kept)

Each report folder gets the executed notebook (GitHub and Jupyter render it, figures and
GIFs included), `metrics.json`, the final `generator.keras` (in float16, as a kept long run's:
half the size, images within about one grey level of float32's) and `samples.png` for the
index. Nothing else: every figure would be stored a second time, in every clone's history (an
HTML export too: `--html` writes one for reading, ignored by git). Training
scratch (frames, snapshots, resume state) stays under `runs/reports/<name>/`, so an
interrupted report run resumes when this script is run again. After each notebook,
`check_report.py` lists what would stop a reader (missing figures, stray stderr, machine
paths, numbers in the discussion that no output shows).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ganutils.checkpoint import save_generator  # first: quiets TensorFlow
from ganutils import jit

import keras
import papermill

import check_report  # beside this script

ROOT = Path(__file__).resolve().parent.parent
# Report parameters: what each notebook trains for its report (at most 40 CPU minutes).
REPORTS = {
    "01_mnist_gan": {"epochs": 100, "time_budget": 900},  # 30 minutes did worse (measure_snapshots.py)
    "02_mnist_dcgan": {"epochs": 1000, "time_budget": 900,  # 15 minutes for each of two models
                       "snapshot_epochs": [1, 5, 20],        # (epochs of 200 batches)
                       "long_dir": "reports/02_mnist_dcgan/long"},  # the faster pair for longer
    "03_mnist_cgan": {"epochs": 100, "time_budget": 900},  # as 01, which it is compared with
    "07_fashion_mnist": {"epochs": 73, "time_budget": 1800},  # KID levels off by epoch 70
    # The augmentation notebooks: a budget for EACH variant (two in 04 and 06, three in 05, four in 08),
    # in mixed bfloat16 where the CPU has bf16 units, else float32 (`build`).
    "04_cifar_dog": {"epochs": 130, "time_budget": 900, "long_dir": "reports/04_cifar_dog/long",
                     "precision": "mixed_bfloat16"},
    "05_cifar_cat_dog": {"epochs": 300, "time_budget": 480, "precision": "mixed_bfloat16",
                         "long_dir": "reports/05_cifar_cat_dog/long"},
    "06_pokemon": {"epochs": 3000, "time_budget": 900, "precision": "mixed_bfloat16",
                   "quality_every": 25, "long_dir": "reports/06_pokemon/long",
                   "fastgan_dir": "reports/06_pokemon/fastgan"},
    # A pass over all 50,000 images takes ~13 minutes per variant on this CPU: epochs of 50
    # batches (6,400 images) instead, KID every second one (about 40 seconds apart).
    "08_cifar10": {"epochs": 1000, "time_budget": 480, "steps_per_epoch": 50, "quality_every": 2,
                   "precision": "mixed_bfloat16", "long_dir": "reports/08_cifar10/long"},
}
# Where a GPU trains a report instead (any length is allowed there): longer runs.
GPU_REPORTS = {
    "02_mnist_dcgan": {"epochs": 1000, "time_budget": 180},  # each model: 3 minutes on the GPU
    "04_cifar_dog": {"epochs": 130, "time_budget": 90},
    "05_cifar_cat_dog": {"epochs": 300, "time_budget": 40},
    "06_pokemon": {"epochs": 3000, "time_budget": 90},
    "08_cifar10": {"epochs": 200, "time_budget": 75},
}
# Beside the executed notebook, which holds every figure and GIF: the numbers, the generator,
# and the final grid that the index shows (each unless the kept long run holds it already).
KEEP = ("metrics.json", "generator.keras", "samples.png")


def build(name: str, gpu: bool = False) -> None:
    work = ROOT / "runs" / "reports" / name
    dest = ROOT / "reports" / name
    work.mkdir(parents=True, exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    params = dict(GPU_REPORTS[name] if gpu and name in GPU_REPORTS else REPORTS[name])
    if params.get("precision") == "mixed_bfloat16" and not jit.bf16_units():
        params["precision"] = "float32"  # without bf16 units bfloat16 is only converted: slower
    for key in [k for k in params if k.endswith("_dir")]:  # long_dir, and any other kept run
        kept = ROOT / params[key] / "losses.json"
        if kept.exists():  # a run kept in the report (runs.keep): shown with the budget it had
            params[key.replace("_dir", "_budget")] = int(sum(json.loads(kept.read_text())["seconds"]))
    print(f"{name}: {params}")
    # Relative paths: the report's metadata then names no folder of this machine.
    os.chdir(ROOT)
    report = ROOT / "reports" / name / f"{name}.ipynb"
    papermill.execute_notebook(f"notebooks/{name}.ipynb", str(report.relative_to(ROOT)),
                               parameters={**params, "out_dir": str(work.relative_to(ROOT))},
                               cwd=str(ROOT), log_output=False, progress_bar=False)
    as_read(report)
    held = set().union(*map(_contents, check_report.kept_runs(dest)))  # not stored twice
    for f in (work / k for k in KEEP):
        if f.exists() and _digest(f) in held:  # a kept run's: a copy from before is stale
            (dest / f.name).unlink(missing_ok=True)
        if not f.exists() or _digest(f) in held:
            continue
        if f.name == "generator.keras":  # in float16: half the bytes in every clone's history
            if not _same_generator(f, dest / f.name):  # a file rewritten alike is 3 MB more history
                save_generator(keras.saving.load_model(f), dest / f.name, "float16")
        else:
            shutil.copy2(f, dest / f.name)
    report_size(name)
    found = check_report.problems(dest)
    for line in found:
        print(f"{name}: {line}", file=sys.stderr)
    if found:
        print(f"{name}: the report is not whole ({len(found)} problems above)", file=sys.stderr)


def _same_generator(new: Path, kept: Path) -> bool:
    """Whether `kept` (float16) holds `new`'s weights already: the same run, measured again."""
    import numpy as np

    if not kept.exists():
        return False
    a, b = keras.saving.load_model(new).get_weights(), keras.saving.load_model(kept).get_weights()
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x.astype("float16"), y.astype("float16"))
                                    for x, y in zip(a, b))


PARAMETER = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?P<gap>\s*=\s*)(?P<value>.*?)(?P<comment>\s+#.*)?$")


def one_parameters_cell(nb) -> None:
    """Fold papermill's injected cell into the notebook's own parameters cell: each
    injected value replaces the default on its line, its comment kept, so a reader of the
    report sees one cell of parameters, each explained, with the values the report used."""
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    own = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if not injected or not own:
        return
    values = {}
    for line in injected[0].source.splitlines():
        m = PARAMETER.match(line)
        if m:
            values[m["name"]] = m["value"]
    lines = []
    for line in own[0].source.splitlines():
        m = PARAMETER.match(line)
        if m and m["name"] in values:
            line = f"{m['name']}{m['gap']}{values.pop(m['name'])}"
            if m["comment"]:  # at the column it had
                comment = m["comment"].lstrip()
                line += " " * max(m.start("comment") + len(m["comment"]) - len(comment) - len(line), 1) + comment
        lines.append(line)
    lines += [f"{k} = {v}" for k, v in values.items()]  # not among the notebook's own
    own[0].source = "\n".join(lines)
    nb.cells.remove(injected[0])


def report_links(nb) -> None:
    """Links as seen from reports/NAME/ instead of notebooks/: to pages beside the notebooks
    (`how_we_measure.md`), and up out of notebooks/ (`../reports/colour_runs.md`)."""
    for c in nb.cells:
        if c.cell_type == "markdown":
            c.source = re.sub(r"\]\((?!https?:|\.\./|#)([\w-]+\.md)\)", r"](../../notebooks/\1)", c.source)
            c.source = re.sub(r"\]\(\.\./(?!\.\./)", "](../../", c.source)


def as_read(path: Path) -> None:
    """The executed report as a reader should meet it: one parameters cell, working links."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    one_parameters_cell(nb)
    report_links(nb)
    nbformat.write(nb, path)


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _contents(folder: Path) -> set:
    return {_digest(f) for f in folder.rglob("*") if f.is_file()} if folder.exists() else set()


def prose(name: str) -> None:
    """Carry the notebook's Markdown cells into its executed report, then check it.

    For a change of words only (the discussion written after reading a run's outputs):
    Markdown does not execute, so the report is then what executing the notebook would give,
    without training again; Markdown cells may be added or removed. Refused when any code
    cell differs from the one executed."""
    import nbformat

    source = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    path = ROOT / "reports" / name / f"{name}.ipynb"
    report = nbformat.read(path, as_version=4)
    injected = [c for c in report.cells if "injected-parameters" in c.metadata.get("tags", [])]
    executed = [c for c in report.cells if c.cell_type == "code" and c not in injected]
    code = [c for c in source.cells if c.cell_type == "code"]
    same = len(executed) == len(code) and all(
        a.source == b.source or "parameters" in a.metadata.get("tags", [])
        for a, b in zip(code, executed))
    if not same:
        sys.exit(f"error: {name}'s code differs from its report's: rebuild it "
                 f"(python scripts/build_reports.py {name})")
    cells, ran = [], iter(executed)  # the notebook's Markdown, the report's executed code
    for c in source.cells:
        cells.append(next(ran) if c.cell_type == "code" else c)
        if "parameters" in c.metadata.get("tags", []):
            cells += injected
    report.cells = cells
    one_parameters_cell(report)
    report_links(report)
    nbformat.write(report, path)
    report_size(name)
    for line in check_report.problems(path.parent):
        print(f"{name}: {line}", file=sys.stderr)


def export(name: str) -> None:
    """The executed notebook as HTML beside it, to read without Jupyter (git ignores it)."""
    dest = ROOT / "reports" / name
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html",
                    "--log-level", "WARN", str(dest / f"{name}.ipynb")], check=True)


def report_size(name: str) -> None:
    dest = ROOT / "reports" / name
    size = sum(f.stat().st_size for f in dest.iterdir()) / 2**20
    print(f"{name}: report in {dest.relative_to(ROOT)} ({size:.1f} MB; at most "
          f"{check_report.LIMIT_MB} MB)")


def _headline(m: dict) -> str:
    parts = [f"FID {m['fid']:.2f} (floor {m['floor']['fid']:.2f})",
             f"KID {m['kid']:.3f} (floor {m['floor']['kid']:.3f})"]
    if "label_accuracy" in m:
        parts.append(f"label accuracy {m['label_accuracy']:.1%}, worst class "
                     f"{min(m['label_accuracy_per_class']):.1%}")
    if "class_share" in m and m.get("classes"):  # a class subset: how much of it the samples show
        from ganutils.data import CIFAR10_CLASSES

        parts.append("classifier calls the samples " + ", ".join(
            f"{c} {m['class_share'][CIFAR10_CLASSES.index(c)]:.0%}" for c in m["classes"]))
    elif "class_share" in m:
        parts.append(f"{m['classes_at_least_5pct']}/10 classes >= 5%, smallest "
                     f"{min(m['class_share']):.1%}")
    if "better" in m:
        parts.insert(0, f"better model {m['better']}")
    if "fid_ratio_to_baseline" in m:
        parts.append(f"FID / notebook 01's = {m['fid_ratio_to_baseline']:.2f}")
    return "; ".join(parts)


def index() -> None:
    """reports/README.md: one row per report with its headline metrics, a thumbnail, a link."""
    rows = []
    for folder in sorted(p for p in (ROOT / "reports").iterdir() if any(p.glob("*.ipynb"))):
        if not (folder / "metrics.json").exists():  # a report whose run failed or is unfinished
            print(f"warning: {folder} has no metrics.json: left out of the index", file=sys.stderr)
            continue
        m = json.loads((folder / "metrics.json").read_text())
        models = m.get("models", {folder.name: m})
        # Variants trained on different machines (a long run kept from another) name theirs.
        mixed = len({mm.get("device") for mm in models.values()}) > 1
        trained = "; ".join(f"{name}: {mm.get('epochs', '?')} epochs, "
                            f"{mm.get('train_minutes', '?')} min"
                            + (f" on {mm.get('device', '?')}" if mixed else "")
                            for name, mm in models.items())
        # The better model's generator: beside the report, or in the kept run that holds it.
        homes = [folder] + [folder / k for k in (m.get("better"), "long") if k and (folder / k).is_dir()]
        kept = next((g for g in (h / "generator.keras" for h in homes) if g.exists()), None)
        trained += f" (generator: `{kept.relative_to(folder).as_posix()}`)" if kept else " (no generator kept)"
        thumb = next((g for g in (h / "samples.png" for h in homes) if g.exists()), folder / "samples.png")
        rows.append(f"| [{folder.name}]({folder.name}/{folder.name}.ipynb) | {_headline(m)} | "
                    f"{trained}{'' if mixed else ' on ' + m.get('device', '?')} | "
                    f"![]({thumb.relative_to(folder.parent).as_posix()}) |")
    (ROOT / "reports" / "README.md").write_text(
        "# Reports\n\nExecuted notebooks, rebuilt by `make reports` (`scripts/build_reports.py`). "
        "Metrics on 10,000 samples in each dataset's classifier feature space "
        "(`ganutils.evaluation`); the floor is real held-out images.\n\n"
        "| report | measured | training | final samples |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows) + "\n" + targets() + run_records())


def run_records() -> str:
    """The experiments' records, appended to the index: the MNIST recipes
    (`reports/mnist_runs.md`), then the colour notebooks' recipe comparison and long runs
    (`reports/colour_runs.md`), each written from its runs' measured outputs."""
    found = (ROOT / "reports" / name for name in ("mnist_runs.md", "colour_runs.md"))
    return "".join("\n" + path.read_text() for path in found if path.exists())


def targets() -> str:
    """What each report should reach (the quality bars the course set), checked against the
    metrics files."""
    def load(name):
        path = ROOT / "reports" / name / "metrics.json"
        return json.loads(path.read_text()) if path.exists() else None

    def mark(ok):
        return "met" if ok else "**not met**"

    lines = []
    m01, m02, m03, m07 = (load(n) for n in ("01_mnist_gan", "02_mnist_dcgan", "03_mnist_cgan",
                                            "07_fashion_mnist"))
    if m03:
        per = m03["label_accuracy_per_class"]
        lines.append(f"| 03: label accuracy >= 97%, every class >= 93% | {m03['label_accuracy']:.1%}, "
                     f"worst {min(per):.1%} | {mark(m03['label_accuracy'] >= .97 and min(per) >= .93)} |")
    for name, m in (("01", m01), *((f"02 {k}", v) for k, v in (m02 or {}).get("models", {}).items())):
        if m:
            share = min(m["class_share"])
            lines.append(f"| {name}: every digit >= 7% of samples | smallest {share:.1%} | "
                         f"{mark(share >= .07)} |")
    if m02 and "fid_ratio_to_baseline" in m02:
        r = m02["fid_ratio_to_baseline"]
        lines.append(f"| 02: better DCGAN's FID <= half of 01's (01's report when 02 ran) | {m02['fid']:.2f} / "
                     f"{m02['baseline_fid']:.2f} = {r:.2f} | {mark(r <= .5)} |")
    if m07:
        lines.append(f"| 07: label accuracy >= 85% | {m07['label_accuracy']:.1%} | "
                     f"{mark(m07['label_accuracy'] >= .85)} |")
    for name in ("04_cifar_dog", "05_cifar_cat_dog", "08_cifar10", "06_pokemon"):
        m = load(name)
        if not m:
            continue
        for v, mm in m["models"].items():
            plain = m["models"].get(v.replace("_diffaugment", "_plain"))
            if v.endswith("_diffaugment") and plain:
                key, limit = ("kid", 0.7) if name == "06_pokemon" else ("fid", 1.0)
                r = mm[key] / plain[key]
                lines.append(f"| {name[:2]}: {v}'s {key.upper()} {'<= 70% of' if limit < 1 else '<'} "
                             f"the plain run's | {mm[key]:.3g} / {plain[key]:.3g} = {r:.2f} | "
                             f"{mark(r <= limit if limit < 1 else r < limit)} |")
        best = m["models"][m["better"]]
        if name == "04_cifar_dog" and "saturation" in best:
            s, real = best["saturation"], best["floor"]["saturation"]
            lines.append(f"| 04: colour saturation within 20% of the real dogs' ({m['better']}) | "
                         f"{s:.2f} against {real:.2f} | {mark(abs(s - real) <= .2 * real)} |")
        if name == "05_cifar_cat_dog":
            from ganutils.data import CIFAR10_CLASSES

            cat, dog = (best["class_share"][CIFAR10_CLASSES.index(c)] for c in ("cat", "dog"))
            lines.append(f"| 05: the classifier calls >= 70% cat or dog, each >= 25% ({m['better']}) | "
                         f"cat {cat:.1%}, dog {dog:.1%} | {mark(cat + dog >= .7 and min(cat, dog) >= .25)} |")
        if name == "08_cifar10":
            lines.append(f"| 08: >= 9 of 10 classes get >= 5% of samples ({m['better']}) | "
                         f"{best['classes_at_least_5pct']} | {mark(best['classes_at_least_5pct'] >= 9)} |")
            lines.append(f"| 08: FID <= 20 ({m['better']}) | {best['fid']:.1f} | {mark(best['fid'] <= 20)} |")
    if not lines:
        return ""
    return ("\n## What each report should reach\n\nChecked by `scripts/build_reports.py` against "
            "the reports' `metrics.json`; training minutes are in the table above.\n\n"
            "| should reach | measured | |\n| --- | --- | --- |\n" + "\n".join(lines) + "\n")


def main(argv) -> None:
    import argparse

    p = argparse.ArgumentParser(description="Execute notebooks into reports/ and rebuild the index.")
    p.add_argument("names", nargs="*", help=f"reports to build (default: all): {', '.join(REPORTS)}")
    p.add_argument("--gpu", action="store_true", help="use GPU_REPORTS' parameters where given")
    p.add_argument("--no-index", action="store_true", help="leave reports/README.md as it is")
    p.add_argument("--prose", action="store_true",
                   help="only carry the notebooks' Markdown into their reports (no execution)")
    p.add_argument("--html", action="store_true", help="only write an HTML copy to read offline")
    a = p.parse_args(argv)
    for name in a.names or REPORTS:
        if name not in REPORTS:
            sys.exit(f"error: unknown report {name!r}: choose one of {', '.join(REPORTS)}")
        if a.prose:
            prose(name)
        elif a.html:
            export(name)
        else:
            build(name, gpu=a.gpu)
    if not a.no_index:
        index()


if __name__ == "__main__":
    main(sys.argv[1:])

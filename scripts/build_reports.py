"""Execute notebooks with their report parameters into `reports/<name>/` and rebuild the index.

    python scripts/build_reports.py [NAME ...]      # `make reports` runs them all

Each report folder gets the executed notebook, an HTML export readable without Jupyter, the
epoch GIF, the PNG figures, `metrics.json` and the final `generator.keras`. Training
scratch (frames, snapshots, resume state) stays under `runs/reports/<name>/`, so an
interrupted report run resumes when this script is run again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import papermill

ROOT = Path(__file__).resolve().parent.parent
# Report parameters: what each notebook trains for its report (at most 40 CPU minutes).
REPORTS = {
    "01_mnist_gan": {"epochs": 100, "time_budget": 900},
    "02_mnist_dcgan": {"epochs": 100, "time_budget": 900},  # 15 minutes for each of two models
    "03_mnist_cgan": {"epochs": 100, "time_budget": 1200},
    "07_fashion_mnist": {"epochs": 100, "time_budget": 900},
}
KEEP = ("metrics.json", "generator.keras")
LIMIT_MB = 15


def build(name: str) -> None:
    work = ROOT / "runs" / "reports" / name
    dest = ROOT / "reports" / name
    work.mkdir(parents=True, exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    notebook = dest / f"{name}.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(notebook),
                               parameters={**REPORTS[name], "out_dir": str(work.relative_to(ROOT))},
                               cwd=str(ROOT), log_output=False, progress_bar=False)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html",
                    "--log-level", "WARN", str(notebook)], check=True)
    for f in [*work.glob("*.png"), *work.glob("*.gif"), *(work / k for k in KEEP)]:
        if f.exists():
            shutil.copy2(f, dest / f.name)
    size = sum(f.stat().st_size for f in dest.iterdir()) / 2**20
    print(f"{name}: report in {dest} ({size:.1f} MB)")
    if size > LIMIT_MB:
        print(f"warning: {dest} is over {LIMIT_MB} MB", file=sys.stderr)


def _headline(m: dict) -> str:
    parts = [f"FID {m['fid']:.2f} (floor {m['floor']['fid']:.2f})",
             f"KID {m['kid']:.3f} (floor {m['floor']['kid']:.3f})"]
    if "label_accuracy" in m:
        parts.append(f"label accuracy {m['label_accuracy']:.1%}, worst class "
                     f"{min(m['label_accuracy_per_class']):.1%}")
    if "class_share" in m:
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
    for folder in sorted(p for p in (ROOT / "reports").iterdir() if p.is_dir()):
        m = json.loads((folder / "metrics.json").read_text())
        trained = "; ".join(f"{name}: {mm.get('epochs', '?')} epochs, "
                            f"{mm.get('train_minutes', '?')} min"
                            for name, mm in m.get("models", {folder.name: m}).items())
        rows.append(f"| [{folder.name}]({folder.name}/{folder.name}.html) | {_headline(m)} | "
                    f"{trained} on {m.get('device', '?')} | ![]({folder.name}/samples.png) |")
    (ROOT / "reports" / "README.md").write_text(
        "# Reports\n\nExecuted notebooks, rebuilt by `make reports` (`scripts/build_reports.py`). "
        "Metrics on 10,000 samples in each dataset's classifier feature space "
        "(`ganutils.evaluation`); the floor is real held-out images.\n\n"
        "| report | measured | training | final samples |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows) + "\n")


def main(names) -> None:
    for name in names or REPORTS:
        if name not in REPORTS:
            sys.exit(f"error: unknown report {name!r}: choose one of {', '.join(REPORTS)}")
        build(name)
    index()


if __name__ == "__main__":
    main(sys.argv[1:])

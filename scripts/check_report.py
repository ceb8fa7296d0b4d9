"""Is an executed report whole? Problems a reader would meet, one line each.

    python scripts/check_report.py reports/04_cifar_dog [...]   # exit status 1 if any

* every code cell that draws a figure has an image among its outputs;
* no output holds an error, a traceback, a stderr stream or a path of the machine it ran on,
  and the notebook's metadata holds no absolute path;
* a run that trained more epochs than its parameters say (it was resumed) says so;
* every number in the discussion (the Markdown section "What the run showed", up to the
  next heading of its level or above) is among the notebook's outputs, so the prose cannot drift from what the run printed;
* the folder stays small (every rebuild adds its files to every clone's history).

`scripts/build_reports.py` runs it after each notebook.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Calls that draw: ganutils' plotting and report helpers, matplotlib's show, the GIF player.
DRAWS = re.compile(r"plt\.show\(|plots\.(show_grid|loss_curves|batch_losses|class_histogram)\("
                   r"|report\.(kid_against_minutes|snapshot_grids)\(|gif\.show\("
                   r"|compare\.(curves|animations|snapshots|final_grids)\(|neighbours\.figure\(")
MACHINE_PATH = re.compile(r"(?<![\w.])/(root|home|work|tmp|usr|opt|var|mnt|Users)/|site-packages"
                          r"|\b[A-Z]:\\")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\.\d+)?")
DISCUSSION = re.compile(r"^#+\s*What the runs? showed", re.M)
NEXT_SECTION = re.compile(r"^##?\s", re.M)
NOTEBOOK_MB = 8  # the executed notebook, every figure and GIF inside it
LIMIT_MB = 14   # one report folder, with its generator and one kept long run
KEPT_MB = 9     # each kept run (`long/` and any other: generator in float16, history, GIF,
                # snapshots); a second kept run raises the folder's limit by as much
TOTAL_MB = 90   # all of reports/ (FastGAN's generator alone is 6.7 MB in float16)


def _text(output) -> str:
    """The readable text of one output (not image data)."""
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    if output.get("output_type") == "error":
        return "\n".join([output.get("ename", ""), output.get("evalue", ""),
                          *output.get("traceback", [])])
    data = output.get("data", {})
    return "".join("".join(data[k]) for k in ("text/plain", "text/markdown") if k in data)


def _has_image(outputs) -> bool:
    for o in outputs:
        data = o.get("data", {})
        if "image/png" in data or "image/gif" in data or "image/jpeg" in data:
            return True
        if "<img" in "".join(data.get("text/html", "")):
            return True
    return False


def _numbers(text: str) -> set:
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def _roundings(numbers: set) -> set:
    """Each number as printed and rounded to fewer decimals (prose may quote 17.33 as 17.3)."""
    out = set(numbers)
    for n in numbers:
        if "." in n:
            digits = len(n.split(".")[1])
            out |= {f"{float(n):.{d}f}" for d in range(digits)}
    return out


def problems(folder) -> list[str]:
    folder = Path(folder)
    found = []
    (path,) = folder.glob("*.ipynb")
    nb = json.loads(path.read_text())
    if MACHINE_PATH.search(json.dumps(nb.get("metadata", {}))) or re.search(
            r'"(input|output)_path": "/', json.dumps(nb.get("metadata", {}))):
        found.append("notebook metadata holds an absolute path")
    outputs_text, sources = [], []
    for i, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        sources.append(source)
        outputs = cell.get("outputs", [])
        texts = [_text(o) for o in outputs]
        outputs_text += texts
        if DRAWS.search(source) and not _has_image(outputs):
            found.append(f"cell {i} draws a figure but has no image output")
        for o, text in zip(outputs, texts):
            if o.get("output_type") == "error" or "Traceback (most recent call last)" in text:
                found.append(f"cell {i} has an error in its output")
            elif o.get("output_type") == "stream" and o.get("name") == "stderr":
                found.append(f"cell {i} writes to stderr: {text.strip()[:80]!r}")
            if MACHINE_PATH.search(text):
                found.append(f"cell {i} shows a machine path: "
                              f"{MACHINE_PATH.search(text).group(0)!r}")
    kept = {d.name: _megabytes(d) for d in kept_runs(folder)}
    limit = LIMIT_MB + KEPT_MB * max(len(kept) - 1, 0)
    if _megabytes(folder) > limit:
        found.append(f"the folder holds {_megabytes(folder):.1f} MB, more than {limit} MB")
    for name, mb in kept.items():
        if mb > KEPT_MB:
            found.append(f"the kept run {name}/ holds {mb:.1f} MB, more than {KEPT_MB} MB")
    for f in folder.glob("*.ipynb"):
        if f.stat().st_size / 2**20 > NOTEBOOK_MB:
            found.append(f"the notebook holds {f.stat().st_size / 2**20:.1f} MB, more than {NOTEBOOK_MB} MB")
    found += _resumed_unsaid(folder, nb, "\n".join(outputs_text))
    found += _unbacked_numbers(nb, "\n".join(outputs_text), "\n".join(sources))
    return found


def kept_runs(folder: Path) -> list:
    """The runs kept in a report's folder (`runs.keep`: long/, and any other)."""
    return [d for d in sorted(Path(folder).iterdir()) if d.is_dir() and (d / "losses.json").exists()]


def _megabytes(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def total_problem(reports) -> list[str]:
    """All report folders together over TOTAL_MB."""
    size = _megabytes(Path(reports))
    return [f"reports/ holds {size:.1f} MB, more than {TOTAL_MB} MB"] if size > TOTAL_MB else []


def _resumed_unsaid(folder: Path, nb: dict, outputs: str) -> list[str]:
    params = nb.get("metadata", {}).get("papermill", {}).get("parameters", {})
    metrics_path = folder / "metrics.json"
    if "epochs" not in params or not metrics_path.exists():
        return []
    metrics = json.loads(metrics_path.read_text())
    trained = {name: m.get("epochs") for name, m in metrics.get("models", {"run": metrics}).items()}
    over = {n: e for n, e in trained.items() if isinstance(e, int) and e > params["epochs"]}
    if over and "resumed" not in outputs.lower():
        return [f"trained {over} epochs against its parameters' epochs = {params['epochs']}, "
                "and no output says the run was resumed"]
    return []


def _unbacked_numbers(nb: dict, outputs: str, code: str) -> list[str]:
    """Numbers in the discussion that no output (and no code cell) shows."""
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    start = DISCUSSION.search(markdown)
    if not start:
        return ["no discussion section (a Markdown heading 'What the run showed')"]
    discussion = markdown[start.end():]
    end = NEXT_SECTION.search(discussion)  # the exercises and sources after it are not results
    discussion = discussion[:end.start()] if end else discussion
    backed = _roundings(_numbers(outputs) | _numbers(code))
    missing = []
    for n in sorted(_numbers(discussion)):
        if len(n.replace(".", "")) < 2 or (n.isdigit() and len(n) == 4 and n[:2] in ("19", "20")):
            continue  # single digits, years
        if n.startswith("0") and "." not in n:
            continue  # a notebook's number: "02", "003"
        if n not in backed:
            missing.append(n)
    return [f"the discussion quotes {', '.join(missing)}, which no output shows"] if missing else []


def main(argv) -> int:
    bad = 0
    for folder in argv:
        found = problems(folder)
        bad += bool(found)
        print(f"{folder}: {'whole' if not found else f'{len(found)} problems'}")
        for line in found:
            print(f"  {line}")
    for parent in {Path(folder).resolve().parent for folder in argv}:
        for line in total_problem(parent):
            bad += 1
            print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Two or more runs' KID checks side by side at equal training minutes, as the tables of
reports/colour_runs.md give them.

    python reports/experiments/compare_runs.py ~/runs/s06_fastgan ~/runs/s06_dcgan --every 10

For each mark (every `--every` minutes of training, from each run's `losses.json`: the sum
of its epochs' seconds, quality checks included), the last KID check at or before it, with
its epoch; and each run's steps per minute, so a table at equal steps can be read off too.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def checks(folder: Path):
    h = json.loads((folder / "losses.json").read_text())
    minutes = np.cumsum(h["seconds"]) / 60
    kid = h.get("kid", [None] * len(minutes))
    fid = h.get("fid", [None] * len(minutes))
    return [(m, e, k, f) for m, e, k, f in zip(minutes, h["epochs"], kid, fid) if k is not None], minutes


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--every", type=float, default=10.0)
    a = p.parse_args()
    data = {r.name: checks(r) for r in a.runs}
    end = min(minutes[-1] for _, minutes in data.values())
    marks = np.arange(a.every, end + 1e-9, a.every)
    print("| minutes | " + " | ".join(f"{n} epoch | {n} KID | {n} FID" for n in data) + " |")
    print("| --- |" + " --- | --- | --- |" * len(data))
    for mark in marks:
        cells = []
        for found, _ in data.values():
            before = [c for c in found if c[0] <= mark + 1e-9]
            m, e, k, f = before[-1] if before else (None, "-", None, None)
            cells.append(f"{e} | {k:.3f} | {f:.1f}" if k is not None else "- | - | -")
        print(f"| {mark:.0f} | " + " | ".join(cells) + " |")
    for name, (found, minutes) in data.items():
        cfg = json.loads((a.runs[list(data).index(name)] / "config.json").read_text())
        print(f"{name}: {len(minutes)} epochs in {minutes[-1]:.1f} min ({cfg['model']}, batch "
              f"{cfg['batch_size']}); best KID {min(c[2] for c in found):.3f}" if found else name)


if __name__ == "__main__":
    main()

"""A run's kept snapshots and final generator measured as a report measures its final one:
FID, KID, the smallest class share and (conditional runs) label accuracy, on `--n` samples.
Used to see whether the MNIST lessons' runs, trained past their reports' 15 minutes, reach
what reports/README.md asks of them, and from which epoch.

    python reports/experiments/measure_snapshots.py ~/runs/m02_transpose --n 10000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import keras

from ganutils import evaluation


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--from-epoch", type=int, default=0, help="skip snapshots before this epoch")
    a = p.parse_args()
    config = json.loads((a.run / "config.json").read_text())
    minutes = json.loads((a.run / "losses.json").read_text())["seconds"]
    files = sorted((a.run / "snapshots").glob("generator_epoch_*.keras"))
    files = [f for f in files if int(f.stem.rsplit("_", 1)[1]) >= a.from_epoch]
    files.append(a.run / "generator.keras")
    print("| generator | training minutes | FID | KID | smallest class share | label accuracy |")
    print("| --- | --- | --- | --- | --- | --- |")
    for f in files:
        epoch = int(f.stem.rsplit("_", 1)[1]) if "epoch" in f.stem else len(minutes)
        m = evaluation.evaluate(keras.saving.load_model(f), config["dataset"], n=a.n,
                                seed=config["seed"], classes=config["classes"])
        label = f"{m['label_accuracy']:.1%}" if "label_accuracy" in m else ""
        print(f"| {f.name} (epoch {epoch}) | {sum(minutes[:epoch]) / 60:.1f} | {m['fid']:.2f} | "
              f"{m['kid']:.3f} ± {m['kid_std']:.3f} | {min(m['class_share']):.1%} | {label} |",
              flush=True)


if __name__ == "__main__":
    main()

"""The blind naming test of a Pokemon generator (`../shared/judge/`), as reports/colour_runs.md
records it: samples hidden among the artwork and the artwork blurred with a sigma-1
Gaussian, twelve of each per grid, a fresh viewer per grid.

    python reports/experiments/blind_pokemon.py prep GENERATOR.keras FOLDER
    python reports/experiments/blind_pokemon.py grids FOLDER 31 32 33
    python reports/experiments/blind_pokemon.py prompt FOLDER/grid_31.png   # what a viewer is told
    python reports/experiments/blind_pokemon.py score FOLDER/grid_31.key.json ANSWERS.txt [...]

`prep` writes 1,000 samples, the 819 pictures at 64x64 and the same pictures blurred;
`grids` calls the judge's `blind_grid.py` once per seed; `score` pools the answers of several
grids: per source, the cells called a creature without a guess ("yes" in the creature
column, not "yes?"), counting guesses, and called generated. Each test's keys and answers
are kept in `blind/<test>/` beside this script (the grids themselves are not: 0.6 MB each),
so that `score` reproduces the counts in reports/colour_runs.md:

    python reports/experiments/blind_pokemon.py score reports/experiments/blind/fg200/grid_37.key.json \
        reports/experiments/blind/fg200/ans_37.txt ...
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

JUDGE = Path(__file__).resolve().parents[2].parent / "shared" / "judge"

PROMPT = """Open the image {grid} (and no other file). It is a grid of 36 numbered pictures,
each 64x64 pixels shown enlarged. Some are official artwork of cartoon creatures, some are
that artwork slightly blurred, and some were drawn by a computer program; you are not told
which is which. For each number, say at a glance, as a person would:
- what it shows, in one to three words (add "?" when you are guessing, or write "unclear");
- whether it shows a cartoon creature: yes, no, or yes? / no? when unsure;
- whether it looks like "artwork" or "generated";
- your confidence in that last answer: low, medium or high.
Answer with exactly one line per number, nothing else:
N | subject | creature | artwork-or-generated | confidence"""


def prep(generator: str, folder: Path) -> None:
    from scipy.ndimage import gaussian_filter

    from ganutils import data, sampling

    folder.mkdir(parents=True, exist_ok=True)
    images, _ = sampling.sample(sampling.load_generator(generator), 1000, seed=0)
    np.savez_compressed(folder / "gen.npz", images=images.astype("float32"))
    real = data.load_arrays("pokemon", size=64)[0]
    np.savez_compressed(folder / "real.npz", images=real)
    blurred = np.stack([gaussian_filter(x.astype("float32"), sigma=(1, 1, 0)) for x in real])
    np.savez_compressed(folder / "blur.npz", images=np.clip(blurred + 0.5, 0, 255).astype("uint8"))
    print(f"{folder}: gen.npz {images.shape}, real.npz and blur.npz {real.shape}")


def grids(folder: Path, seeds) -> None:
    for s in seeds:
        subprocess.run([sys.executable, str(JUDGE / "blind_grid.py"), str(folder / f"grid_{s}"), str(s),
                        f"gen={folder / 'gen.npz'}", f"real={folder / 'real.npz'}",
                        f"blur={folder / 'blur.npz'}"], check=True)


def counts(pairs) -> dict:
    """{source: {"named", "guessed", "generated", "total"}} pooled over (key, answers) pairs:
    named is a plain "yes" in the creature column, guessed counts "yes?" too."""
    named, guessed, generated, total = (defaultdict(int) for _ in range(4))
    for key_path, answers in zip(pairs[::2], pairs[1::2]):
        key = json.loads(Path(key_path).read_text())
        for line in Path(answers).read_text().splitlines():
            parts = [p.strip().lower() for p in line.split("|")]
            if len(parts) < 4 or parts[0] not in key:
                continue
            src = key[parts[0]]
            total[src] += 1
            creature = parts[2].startswith("yes")
            # The creature column answers the question; a "?" on the subject ("Vulpix?")
            # doubts which creature, not whether it is one.
            sure = "?" not in parts[2]
            named[src] += creature and sure
            guessed[src] += creature
            generated[src] += parts[3].startswith("gen")
    return {src: {"named": named[src], "guessed": guessed[src], "generated": generated[src],
                  "total": total[src]} for src in sorted(total)}


def test_pairs(folder: Path) -> list:
    """[key, answers, key, answers, ...] of a kept test folder (`blind/<test>/`)."""
    pairs = []
    for key in sorted(folder.glob("grid_*.key.json")):
        pairs += [key, folder / f"ans_{key.name.split('.')[0].split('_')[1]}.txt"]
    return pairs


def score(pairs) -> None:
    for src, c in counts(pairs).items():
        print(f"{src:5s} creature without a guess {c['named']}/{c['total']}, counting guesses "
              f"{c['guessed']}/{c['total']}, called generated {c['generated']}/{c['total']}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("prep"); a.add_argument("generator"); a.add_argument("folder", type=Path)
    a = sub.add_parser("grids"); a.add_argument("folder", type=Path); a.add_argument("seeds", nargs="+")
    a = sub.add_parser("prompt"); a.add_argument("grid")
    a = sub.add_parser("score"); a.add_argument("pairs", nargs="+", help="KEY ANSWERS, repeated")
    a = p.parse_args()
    if a.command == "prep":
        prep(a.generator, a.folder)
    elif a.command == "grids":
        grids(a.folder, a.seeds)
    elif a.command == "prompt":
        print(PROMPT.format(grid=Path(a.grid).resolve()))
    else:
        score(a.pairs)


if __name__ == "__main__":
    main()

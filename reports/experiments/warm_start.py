"""Start a long run again from its kept generator, when the machine holding its resume state
was lost: the generator (and its weight average) from the kept `.keras` file, a fresh
discriminator trained alone against it for a few epochs, then a resume state at the kept
epoch, which `recipes.py` continues like any other.

    python reports/experiments/warm_start.py reports/06_pokemon/fastgan \\
        pokemon_fastgan ~/runs/s06_fastgan 200000 --warm-epochs 5
    python reports/experiments/recipes.py pokemon_fastgan ~/runs/s06_fastgan 200000

Not the same as the lost run: the discriminator, both optimizers' moments and the random
streams start afresh. While the discriminator warms up the generator's learning rate is 0, so
the generator is not pushed around by a critic that has not learned anything yet.
How it went the one time it was used (FastGAN, from epoch 300): reports/colour_runs.md.
"""

import json
import sys
from pathlib import Path

import keras
import numpy as np

import recipes
from ganutils import checkpoint, data, runs
from ganutils.files import write_json


def main():
    p = recipes.parser()
    p.add_argument("--warm-epochs", type=int, default=5)
    kept = Path(sys.argv.pop(1))
    a = p.parse_args()
    c = recipes.config(a).validated()
    out = Path(a.out_dir).expanduser()
    if (out / "state.weights.h5").exists():
        sys.exit(f"{out} already holds a resume state: continue it with recipes.py instead")
    history = json.loads((kept / "losses.json").read_text())
    epoch = int(history["epochs"][-1])

    gan = runs.build_gan(c)
    gan.build_optimizers()
    weights = [w.astype("float32") for w in keras.saving.load_model(kept / "generator.keras").get_weights()]
    gan.generator.set_weights(weights)
    gan.ema_generator.set_weights(weights)
    images, _, _ = data.load_arrays(c.dataset, "train", c.classes, c.image_size, c.limit, c.data_path)
    if c.mirror:
        images, _ = runs.mirrored(images)
    steps = len(images) // c.batch_size
    ds = data.to_dataset(images, None, c.batch_size, c.seed + 1000, epochs=a.warm_epochs)
    gan.g_optimizer.learning_rate = 0.0  # the discriminator alone learns
    gan.fit(ds, epochs=a.warm_epochs, steps_per_epoch=steps, verbose=2)
    gan.g_optimizer.learning_rate = c.lr  # saved with the state: a 0 here would freeze the generator
    assert np.allclose(gan.generator.get_weights()[0], weights[0]), "the generator moved"

    out.mkdir(parents=True, exist_ok=True)
    gan.epochs_done.assign(epoch)
    checkpoint.save_state(gan, out / "state.weights.h5")
    write_json(out / "losses.json", history)  # the history to `epoch`; recipes.py marks the resume
    print(f"{out}: resume state at epoch {epoch}, discriminator warmed for {a.warm_epochs} epochs")


if __name__ == "__main__":
    main()

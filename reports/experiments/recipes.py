"""The long and side-by-side runs of reports/colour_runs.md that are not a notebook's own:
one named recipe, trained (or resumed) in a folder for a budget of training seconds.

    python reports/experiments/recipes.py pokemon_fastgan ~/runs/s06_fastgan 3600 --epochs 60
    python reports/experiments/recipes.py pokemon_dcgan ~/runs/s06_dcgan 3600
    python reports/experiments/recipes.py --list

Run it again with a larger budget (or more --epochs) to continue. A side by side at equal
CPU-minutes is best set by --epochs, from each recipe's seconds per step timed alone
(`runs.step_seconds`): an epoch's logged seconds include any time the machine spent on
other work, or the process spent stopped. Needs GANUTILS_DATA (or the project's data
folder). The recorded runs used mixed bfloat16 where the CPU had bfloat16 units
(`--precision mixed_bfloat16`); float32 elsewhere.
"""

import argparse
import dataclasses

import variants  # noqa: F401 (registers the networks that were compared but not kept)
from ganutils import runs

T = runs.TrainConfig
POKEMON = dict(dataset="pokemon", augment="diffaugment", batch_size=64)
CATS_DOGS = dict(dataset="cifar10", classes=["cat", "dog"], augment="diffaugment", batch_size=128)
CIFAR10 = dict(dataset="cifar10", augment="diffaugment", batch_size=128, steps_per_epoch=50)

RECIPES = {
    # Report 06's kept long run, and the changes tried on it one at a time.
    "pokemon_dcgan": T(model="dcgan64_resize", **POKEMON),
    "pokemon_mirror": T(model="dcgan64_resize", mirror=True, **POKEMON),
    "pokemon_r1": T(model="dcgan64_resize", mirror=True, r1=0.1, **POKEMON),
    "pokemon_sa": T(model="dcgan64_sa16", mirror=True, r1=0.1, **POKEMON),
    # FastGAN, as notebook 06 trains it (`runs.CONFIGS`).
    "pokemon_fastgan": runs.CONFIGS["pokemon_fastgan"],
    # The MNIST lessons' pairs trained past their reports' 15 minutes (--xla, as they run):
    # notebook 01's dense pair, and notebook 07's conditional one on Fashion-MNIST.
    "mnist_mlp": T(dataset="mnist", model="mlp", batch_size=64),
    "fashion_cgan": T(dataset="fashion_mnist", model="cgan_mlp", batch_size=64),
    # Report 02's DCGAN (transposed convolutions) trained past its 15-minute comparison, to
    # set beside notebook 01's dense pair; XLA on, as the notebook runs MNIST (--xla).
    "mnist_dcgan": T(dataset="mnist", model="dcgan_transpose", batch_size=128,
                     steps_per_epoch=200),
    # Report 05's kept long run (cats and dogs, asking for the animal), and its variants.
    "cats_dogs_cgan": T(model="cgan32", **CATS_DOGS),
    "cats_dogs_mirror": T(model="cgan32", mirror=True, **CATS_DOGS),
    "cats_dogs_g192": T(model="cgan32_g192", **CATS_DOGS),
    "cats_dogs_d15": T(model="cgan32_d15", **CATS_DOGS),
    # Report 08's kept long run (all of CIFAR-10, asking for the class), and the wider D.
    "cifar10_cgan": T(model="cgan32", **CIFAR10),
    "cifar10_d15": T(model="cgan32_d15", **CIFAR10),
}


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("recipe", nargs="?", choices=RECIPES)
    p.add_argument("out_dir", nargs="?")
    p.add_argument("budget", nargs="?", type=float, help="training seconds in all, resumes included")
    p.add_argument("--list", action="store_true", help="print the recipes and stop")
    p.add_argument("--precision", default="float32")
    p.add_argument("--epochs", type=int, default=100_000, help="epochs in all (default: until the budget)")
    p.add_argument("--quality-every", type=int, default=5)
    p.add_argument("--snapshot-every", type=int, default=50)
    p.add_argument("--xla", action="store_true", help="compile the step with XLA (pays on MNIST's small networks)")
    return p


def config(a) -> runs.TrainConfig:
    """The settings of recipe `a.recipe` trained in `a.out_dir` (arguments as `parser` reads them)."""
    return dataclasses.replace(RECIPES[a.recipe], out_dir=a.out_dir, time_budget=a.budget,
                               epochs=a.epochs, precision=a.precision, quality_every=a.quality_every,
                               snapshot_epochs=list(range(a.snapshot_every, 100_000, a.snapshot_every)),
                               jit_compile=None if a.xla else False)


def main():
    a = parser().parse_args()
    if a.list or not a.budget:
        for name, c in RECIPES.items():
            print(f"{name:18s} {c.model} on {c.dataset}{' ' + str(c.classes) if c.classes else ''}, "
                  f"batch {c.batch_size}, {c.loss}, augment {c.augment}"
                  + (", mirror" if c.mirror else "") + (f", r1 {c.r1}" if c.r1 else ""))
        return
    run = runs.train(config(a), verbose=2)
    print(f"{run.epochs_done} epochs, {sum(run.history['seconds']) / 60:.1f} training minutes")


if __name__ == "__main__":
    main()

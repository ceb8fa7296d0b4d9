"""Command line: `python -m ganutils {train,sample,evaluate,classifiers,fetch} --help`."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from .errors import GanUtilsError
from .trainconfig import CONFIGS, HELP, TrainConfig


def _train(args):
    from . import runs

    overrides = {k: v for k, v in vars(args).items()
                 if k in {f.name for f in dataclasses.fields(TrainConfig)} and v is not None}
    run = runs.train(CONFIGS[args.name], verbose=2, **overrides)
    print(f"trained {run.epochs_done} epochs in {run.train_seconds:.0f} s; outputs in {run.out_dir}")


def _sample(args):
    import numpy as np

    from .files import atomic_path
    from .sampling import load_generator, sample

    images, labels = sample(load_generator(args.generator), args.n, args.seed)
    with atomic_path(args.out) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, images=images, **({} if labels is None else {"labels": labels}))
    print(f"wrote {len(images)} images {images.shape[1:]}"
          f"{'' if labels is None else ' with labels'} to {args.out}")


def _evaluate(args):
    import json
    from pathlib import Path

    from .evaluation import evaluate
    from .files import write_json
    from .sampling import load_generator

    result = evaluate(load_generator(args.generator), args.dataset, args.n, args.seed,
                      args.features, args.data_path, classes=args.classes)
    print(json.dumps(result))
    if args.write:
        write_json(Path(args.generator).with_name("metrics.json"), result)


def _classifiers(args):
    import numpy as np

    from . import data
    from .classifiers import Classifier
    from .datasets import to_tanh_range

    for name in args.datasets:
        x, y, _ = data.load_arrays(name, "test")
        predicted = Classifier(name).predict(to_tanh_range(x))
        print(f"{name} classifier: test accuracy {(predicted == y).mean():.4f} on {len(y)} images")


def _fetch(args):
    from . import data

    for name in args.datasets:
        images, labels, _ = data.load_arrays(name, "train")
        print(f"{name}: {len(images)} training images {images.shape[1:]} ready")


def _switch(text: str):
    """A yes/no command-line value as a bool; "auto" as None."""
    words = {"on": True, "yes": True, "true": True, "off": False, "no": False,
             "false": False, "auto": None}
    if text.lower() not in words:
        raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")
    return words[text.lower()]


def _option(annotation: str) -> dict:
    """argparse keywords for a TrainConfig field, from its type annotation."""
    kinds = {"int": {"type": int}, "float": {"type": float}, "str": {},
             "list": {"nargs": "+", "type": int}, "bool": {"type": _switch, "metavar": "on|off"}}
    kind = annotation.split(" | ")[0]
    option = dict(kinds[kind])
    if annotation == "list | None":  # class names
        option = {"nargs": "+"}
    if annotation == "bool | None":
        option["metavar"] = "on|off|auto"
    return option


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line, like every other error of this command."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m ganutils",
                                description="Train GANs, sample from them, fetch datasets.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a named configuration (same outputs as a notebook)",
                       description="Train a named configuration; options override its settings. "
                                   "Run it again with the same options to resume.")
    t.add_argument("name", choices=CONFIGS, metavar="NAME", help=f"one of: {', '.join(CONFIGS)}")
    for f in dataclasses.fields(TrainConfig):
        flags = [f"--{f.name.replace('_', '-')}", *(["--out"] if f.name == "out_dir" else [])]
        t.add_argument(*flags, dest=f.name, help=HELP[f.name], **_option(f.type))
    t.set_defaults(func=_train)

    s = sub.add_parser("sample", help="write N generated images to an .npz file",
                       description="Write `images` (N, H, W, C) float32 in [-1, 1] and, for a "
                                   "conditional generator, `labels` (N,) balanced over classes.")
    s.add_argument("--generator", required=True, help="a generator .keras file")
    s.add_argument("--n", type=int, default=100)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help="output .npz file")
    s.set_defaults(func=_sample)

    e = sub.add_parser("evaluate", help="FID, KID, class coverage and label accuracy of a generator",
                       description="Print one JSON line with every metric and the real-data floor.")
    e.add_argument("--generator", required=True, help="a generator .keras file")
    e.add_argument("--dataset", required=True, help="mnist, fashion_mnist, cifar10, pokemon, folder")
    e.add_argument("--n", type=int, default=10000, help="generated (and real) images")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--features", default="classifier", choices=["classifier", "inception"],
                   help="feature space: our domain classifier, or InceptionV3 where its "
                        "ImageNet weights can be downloaded")
    e.add_argument("--data-path", dest="data_path", help="image folder for dataset 'folder'")
    e.add_argument("--classes", nargs="+", help="the classes the generator was trained on, in "
                   "their order (e.g. cat dog): scored against those real images only")
    e.add_argument("--write", action="store_true", help="also write metrics.json beside the generator")
    e.set_defaults(func=_evaluate)

    k = sub.add_parser("classifiers", help="test accuracy of the committed domain classifiers",
                       description="Evaluate each domain classifier on its dataset's test split.")
    k.add_argument("datasets", nargs="*", default=["mnist", "fashion_mnist", "cifar10"])
    k.set_defaults(func=_classifiers)

    f = sub.add_parser("fetch", help="make sure datasets are in the data folder",
                       description="Load each dataset once, downloading it if it is missing.")
    f.add_argument("datasets", nargs="+", help="mnist, fashion_mnist, cifar10, pokemon")
    f.set_defaults(func=_fetch)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except GanUtilsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Figures every report shows: sample grids and loss curves, saved as PNG and shown inline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .files import atomic_path


GUTTER = 160  # mid-grey gutters: cell borders show on white backgrounds (Pokemon) and black (MNIST)


def tile(images, cols: int | None = None, pad: int = 1) -> np.ndarray:
    """Images in [-1, 1], shape (N, H, W, C), as one uint8 grid picture with grey gutters."""
    images = np.asarray(images, np.float32)
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    pixels = np.clip((images + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), GUTTER, np.uint8)
    for i, img in enumerate(pixels):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y:y + h, x:x + w] = img
    return grid[..., 0] if c == 1 else grid


def save_grid(images, path, cols: int | None = None, pad: int = 1) -> Path:
    """Write the grid of `images` to a PNG, pixel for pixel (no resampling)."""
    import imageio.v2 as imageio

    with atomic_path(path) as tmp:
        imageio.imwrite(tmp, tile(images, cols, pad), format="PNG")
    return Path(path)


def wrapped(title: str, width_inches: float) -> str:
    """`title` broken into lines that fit a figure `width_inches` wide (about 11 characters
    an inch at matplotlib's default title size): a long title never overhangs its grid."""
    import textwrap

    return textwrap.fill(title, max(12, int(width_inches * 11)))


def _finish(fig, path):
    if path is not None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
    return fig


def show_grid(images, title: str = "", cols: int | None = None, path=None, scale: float = 0.5,
              row_labels=None):
    """A matplotlib figure of the grid (inline in notebooks), saved to `path` if given, with
    `row_labels` (one per row) at the left when each row means something: a class, a pair."""
    import matplotlib.pyplot as plt

    grid = tile(images, cols)
    width = scale * grid.shape[1] / 28
    fig, ax = plt.subplots(figsize=(width, scale * grid.shape[0] / 28))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255)
    _label_rows(ax, row_labels, len(images), cols or int(np.ceil(np.sqrt(len(images)))),
                np.shape(images)[1])
    ax.set_title(wrapped(title, width))
    return _finish(fig, path)


def _label_rows(ax, labels, n: int, cols: int, side: int, pad: int = 1) -> None:
    """Each row's label as a tick at its centre; no axes otherwise."""
    if labels is None:
        ax.set_axis_off()
        return
    rows = int(np.ceil(n / cols))
    if len(labels) != rows:
        raise ValueError(f"row_labels: {len(labels)} labels for a grid of {rows} rows")
    ax.set_yticks([pad + r * (side + pad) + side / 2 for r in range(rows)], labels=list(labels))
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def grids_side_by_side(panels: dict, cols: int = 6, rows: int | None = None, path=None,
                       inches: float = 2.2, row_labels=None, per_row: int = 4):
    """Grids side by side, `per_row` to a row, each under its label ({label: images in
    [-1, 1]}): the snapshots of one run from early to late, or the final samples of several
    variants.
    Each panel shows its first `rows` x `cols` images (square by default); `row_labels`
    name the rows of the first panel (a class a row)."""
    import matplotlib.pyplot as plt

    rows = rows or cols
    lines = -(-len(panels) // per_row)  # wrapped: no strip wider than about 5:1,
    across = -(-len(panels) // lines)    # the rows filled evenly (4 panels by 3: two of two)
    fig, axes = plt.subplots(lines, across, figsize=(inches * across, (inches * rows / cols + 0.5) * lines),
                             squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for i, (ax, (label, images)) in enumerate(zip(axes.flat, panels.items())):
        images = np.asarray(images)[:rows * cols]
        grid = tile(images, cols)
        ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255)
        _label_rows(ax, row_labels if i % across == 0 else None, len(images), cols, images.shape[1])
        ax.set_title(wrapped(label, inches), fontsize=10)
    fig.tight_layout()
    return _finish(fig, path)


def log_scale(ax) -> None:
    """A logarithmic y axis labelled in plain numbers (2, 0.3), where matplotlib's default
    writes 2×10⁰ and 3×10⁻¹: KID curves span one or two decades, read at a glance. A curve
    within a factor of 10 keeps its linear axis, whose ticks a log axis would mostly drop."""
    from matplotlib import ticker

    class Plain(ticker.LogFormatter):  # its choice of which ticks to label, in "%g"
        def __call__(self, x, pos=None):
            return f"{x:g}" if super().__call__(x, pos) else ""

    low, high = ax.dataLim.intervaly  # the data is plotted: within a factor of 10, log ticks are few
    if low <= 0 or high / low < 10:
        return
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(Plain(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.yaxis.set_minor_formatter(Plain(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


# Each loss where neither network is ahead: the discriminator scores every image 0 (a
# probability of 1/2). Binary cross-entropy: D pays ln 2 on real and ln 2 on fake images,
# G pays ln 2. Hinge: D pays 1 on each, G pays 0.
BALANCE = {"bce": {"d_loss": 2 * np.log(2), "g_loss": np.log(2)},
           "hinge": {"d_loss": 2.0, "g_loss": 0.0}}


def loss_curves(history: dict, zoom: tuple | None = None, path=None, title: str = "",
                loss: str = "bce"):
    """Per-epoch mean losses of D and G over the whole run, a zoomed window beside it, and
    KID per epoch when the run measured it.

    `zoom=(first, last)` picks epochs for the right panel; by default the last quarter,
    where the writeups' plots showed the losses settling. `title` names the run above all
    panels, for a page that shows several runs' curves. Dashed lines: each loss at balance
    (`BALANCE` for the run's `loss`), where the discriminator can only guess.
    """
    import matplotlib.pyplot as plt

    epochs = np.asarray(history["epochs"])
    panels = [("whole run", np.ones_like(epochs, bool))]
    if len(epochs) > 1:
        lo, hi = zoom or (epochs[int(len(epochs) * 0.75)], epochs[-1])
        panels.append((f"{'' if zoom else 'last quarter, '}epochs {lo}-{hi}", (epochs >= lo) & (epochs <= hi)))
    kid = [(e, k) for e, k in zip(epochs, history.get("kid", [])) if k is not None]
    fig, axes = plt.subplots(1, len(panels) + bool(kid), figsize=(5 * (len(panels) + bool(kid)), 3.4),
                             squeeze=False)
    if kid:  # quality per epoch beside the losses: lower is better
        ax = axes[0][-1]
        ax.plot(*zip(*kid), ".-", color="tab:green")
        ax.set(xlabel="epoch", ylabel="KID", title="sample quality (KID, lower is better)")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        if min(k for _, k in kid) > 0:
            log_scale(ax)
        ax.grid(alpha=0.3)
    for ax, (panel, keep) in zip(axes[0], panels):
        for key, colour in (("d_loss", "tab:blue"), ("g_loss", "tab:orange")):
            ax.plot(epochs[keep], np.asarray(history[key])[keep], ".-", color=colour,
                    label=f"{key[0].upper()} loss")
            ax.axhline(BALANCE[loss][key], color=colour, ls="--", lw=1,  # in the zoom too:
                       label=f"{key[0].upper()} at balance ({BALANCE[loss][key]:.2f})")  # how far off
        ax.set(xlabel="epoch", ylabel="mean loss", title=panel)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return _finish(fig, path)


def batch_losses(history: dict, epoch: int | None = None, path=None, title: str = ""):
    """Loss of every batch in one epoch (the last by default), as "GANs-Pokemons-NaturalImages" plotted them:
    the batch-to-batch see-saw between D and G that epoch means hide."""
    import matplotlib.pyplot as plt

    b = {k: np.asarray(v) for k, v in history["batches"].items()}
    epoch = int(b["epoch"].max()) if epoch is None else epoch
    keep = b["epoch"] == epoch
    fig, axes = plt.subplots(2, 1, figsize=(8, 3.6), sharex=True)  # apart: they overlap
    for ax, key, colour in zip(axes, ("d_loss", "g_loss"), ("tab:blue", "tab:orange")):
        ax.plot(b["step"][keep], b[key][keep], lw=1, color=colour)
        ax.set(ylabel=f"{key[0].upper()} loss")
        ax.grid(alpha=0.3)
    heading = f"per-batch losses, epoch {epoch}"
    axes[0].set_title(f"{title}: {heading}" if title else heading)
    axes[1].set_xlabel("batch")
    fig.tight_layout()
    return _finish(fig, path)


def class_histogram(shares, names, title: str = "", path=None, ylabel: str = "share of samples",
                    reference: tuple | None = ("uniform", None), ylim: tuple | None = None):
    """One bar per class: by default the share of generated samples the domain classifier
    puts in each class, with the uniform share as a dashed line. For other per-class values
    (label accuracy) pass their `ylabel` and a `reference` (label, level), or None; a level
    per class (the same reading of real images) is drawn across each bar."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.bar(range(len(shares)), shares, color="tab:blue")
    if reference:
        label, level = reference
        if np.ndim(level):  # one reference per class: a short black line across each bar
            ax.hlines(level, np.arange(len(shares)) - 0.4, np.arange(len(shares)) + 0.4,
                      color="k", lw=2, label=label)
        else:
            ax.axhline(1 / len(shares) if level is None else level, color="k", lw=1, ls="--",
                       label=label)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)  # off the bars
    ax.set_xticks(range(len(shares)), names, rotation=30 if max(map(len, names)) > 2 else 0)
    ax.set(ylabel=ylabel, title=wrapped(title, 7))
    if ylim:  # e.g. accuracies all near 1: a bar's height is then readable
        ax.set_ylim(*ylim)
    fig.tight_layout()
    return _finish(fig, path)


def confusion(panels: dict, names, rows=None, path=None):
    """Confusion matrices side by side ({title: matrix}, `evaluation.confusion`'s rows): the
    share of each row's images the classifier reads as each column's class, printed in
    every cell of 1% or more, so that what a failing class is drawn as can be read off."""
    import matplotlib.pyplot as plt

    rows = rows or names
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), squeeze=False)
    for ax, (title, matrix) in zip(axes[0], panels.items()):
        m = np.asarray(matrix)
        ax.imshow(m, cmap="Blues", vmin=0, vmax=1)
        for (r, c), v in np.ndenumerate(m):
            if v >= 0.01:
                ax.text(c, r, f"{v * 100:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.5 else "black")
        ax.set_xticks(range(m.shape[1]), names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(m.shape[0]), rows, fontsize=8)
        ax.set(xlabel="what the classifier reads", title=wrapped(title, 5))
    axes[0, 0].set_ylabel("class asked for (or true class)")
    fig.tight_layout()
    return _finish(fig, path)

"""The epoch GIF: every saved grid frame, in order, as one looping animation."""

from __future__ import annotations

import io
from pathlib import Path

import imageio.v2 as imageio

from .files import atomic_path

# A report's GIF, as its notebook embeds it and a kept long run stores it: colour grids are
# large, and a report holds one GIF per variant.
REPORT_BYTES = 600_000
BAND = 16  # pixels of the white band above each frame that holds its epoch
SMALL = 400  # a GIF narrower than this (a grid of 28- or 32-pixel cells) is shown at twice its size
# A GIF thinned to fit: no fewer frames than this while its grids can be cut instead...
MIN_FRAMES = 6
# ...to these parts of a frame's width and height (a 10x10 grid's top-left 8x8, 6x6, 4x4).
CROPS = (1.0, 0.8, 0.6, 0.4)


def frames_to_gif(frames_dir, path, fps: float = 4.0, hold_last: float = 2.0,
                  max_frames: int = 60, last_epoch: int | None = None) -> Path:
    """Assemble `frames_dir/epoch_*.png` into `path` (a GIF that loops forever), each frame
    stamped with its epoch.

    A long run's hundreds of epochs would make a GIF of many MB that no one watches to the
    end: at most `max_frames` evenly spaced frames are kept, the first and last among them.
    The last frame stays on screen for `hold_last` seconds so the final result can be read.
    """
    frames = sorted(f for f in Path(frames_dir).glob("epoch_*.png")  # up to `last_epoch`, if given
                    if last_epoch is None or int(f.stem[6:]) <= last_epoch)
    if not frames:
        raise FileNotFoundError(f"no epoch_*.png frames in {frames_dir}: train at least one epoch")
    frames = [frames[i] for i in _evenly(len(frames), max_frames)]
    images = [stamped(imageio.imread(f), f"epoch {int(f.stem.split('_')[1])}") for f in frames]
    durations = [1000.0 / fps] * (len(images) - 1) + [1000.0 * hold_last]
    with atomic_path(path) as tmp:
        imageio.mimsave(tmp, images, format="GIF", loop=0,  # Pillow wants a number for 1 frame
                        duration=durations if len(durations) > 1 else durations[0])
    return Path(path)


def stamped(image, text: str, band: int | None = None):
    """`image` (uint8, grey or RGB) with a white band above it that says `text`: a reader of
    the animation sees which epoch each frame is."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    band = band or BAND
    picture = Image.fromarray(np.asarray(image))
    out = Image.new(picture.mode, (picture.width, picture.height + band), "white")
    out.paste(picture, (0, band))
    try:
        font = ImageFont.load_default(size=band - 4)
    except TypeError:  # Pillow < 10.1: one small bitmap font
        font = ImageFont.load_default()
    ImageDraw.Draw(out).text((3, 1), text, fill="black", font=font)
    return np.asarray(out)


def show(path, max_frames: int = 12, max_bytes: int = 1_500_000):
    """The GIF as an inline HTML image: it animates in Jupyter and Colab and, unlike
    `IPython.display.Image`, survives nbconvert's HTML export of a report.

    The image is embedded in the notebook (and its HTML) as base64, so a long run's GIF
    would make both several MB larger: at most `max_frames` evenly spaced frames are
    embedded, the last always among them, and fewer while the result is over `max_bytes`
    (large colour grids). The file at `path` keeps every frame."""
    import base64

    from IPython.display import HTML

    raw = thinned(path, max_frames, max_bytes)
    width = imageio.imread(raw).shape[1]  # the first frame
    shown = width * 2 if width < SMALL else width  # small cells drawn twice as large, not stored so
    data = base64.b64encode(raw).decode("ascii")
    return HTML(f'<img src="data:image/gif;base64,{data}" width="{shown}" '
                'style="image-rendering: pixelated" alt="' f'{Path(path).name}: samples '
                'from fixed noise as training went on, the epoch above each frame"/>')


def thinned(path, max_frames: int = 12, max_bytes: int = 1_500_000) -> bytes:
    """The GIF at `path` as at most `max_frames` evenly spaced frames (the last always among
    them), fewer while it is over `max_bytes`: what a report embeds and keeps. Large colour
    grids (64x64 Pokemon, 100 to a frame) would leave two frames, no longer an animation: below
    MIN_FRAMES frames, each frame's grid is cut to its top-left part instead (its epoch stamp
    kept), down to CROPS[-1] of its width and height, before frames are dropped further."""
    raw = Path(path).read_bytes()
    frames = imageio.mimread(io.BytesIO(raw), format="GIF", memtest=False)
    n, crops = min(max_frames, len(frames)), list(CROPS)
    if n < len(frames):
        raw = _thinned(frames, n)
    while len(raw) > max_bytes and n > 2:
        if n > MIN_FRAMES or len(crops) == 1:
            n = max(MIN_FRAMES if len(crops) > 1 else 2, n // 2)
        else:
            crops.pop(0)
        raw = _thinned(frames, n, crops[0])
    return raw


def caption(name: str, shown, grid, epochs: int) -> str:
    """What the GIF `shown` holds of a run of `epochs` epochs whose whole grid is the picture
    `grid` (its final `samples.png`, drawn as every frame is): how many frames, and, where
    its grids were cut to fit, which part of each (a reader otherwise takes the missing rows
    and columns for something the generator did)."""
    from PIL import Image

    with Image.open(shown) as a, Image.open(grid) as b:
        kept, (w, h), (gw, gh) = getattr(a, "n_frames", 1), a.size, b.size
    line = f"{name}: {kept} frames spread over its {epochs} epochs, the epoch above each"
    if w < gw:
        line += (f"; each grid cut to its top-left {w / gw:.0%} across and {(h - BAND) / gh:.0%}"
                 " down, to keep the report small")
    return line


def _evenly(total: int, n: int) -> list[int]:
    """Indices of `n` evenly spaced items of `total` (all of them if n >= total), the first
    and last included."""
    if n >= total:
        return list(range(total))
    return sorted({round(i * (total - 1) / max(n - 1, 1)) for i in range(n)})


def _thinned(frames, n: int, crop: float = 1.0) -> bytes:
    """`n` evenly spaced frames of `frames` (first and last included) as GIF bytes, each cut
    to the top-left `crop` of the grid below its stamp."""
    keep = _evenly(len(frames), n)
    buf = io.BytesIO()
    imageio.mimsave(buf, [_cropped(frames[i], crop) for i in keep], format="GIF", loop=0,
                    duration=[500.0] * (len(keep) - 1) + [2000.0])
    return buf.getvalue()


def _cropped(frame, crop: float):
    if crop >= 1.0:
        return frame
    h, w = frame.shape[:2]
    return frame[:BAND + round((h - BAND) * crop), :round(w * crop)]

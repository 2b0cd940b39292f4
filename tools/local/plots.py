"""Loss curves without a plotting library: a text plot for the terminal and a small PNG file.

matplotlib is not a dependency, so the PNG is drawn pixel by pixel and encoded with
zlib/struct (the PNG format is simple enough); numbers on the axes use a 3×5 pixel font.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

from tools.errors import ToolError
from tools.platforms.base import JobInfo, LossPoint

Point = LossPoint | tuple[float, float]

_FONT = {  # 3x5 glyphs, rows top to bottom, bits left to right
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1), "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7), ".": (0, 0, 0, 0, 2), "-": (0, 0, 7, 0, 0),
    "e": (0, 7, 7, 4, 7),
}
_TRAIN_RGB, _VAL_RGB, _AXIS_RGB = (31, 119, 180), (255, 127, 14), (90, 90, 90)


def _xy(points: Sequence[Point]) -> list[tuple[float, float]]:
    out = []
    for p in points:
        x, y = (p.step, p.loss) if isinstance(p, LossPoint) else (p[0], p[1])
        if math.isfinite(y):
            out.append((float(x), float(y)))
    return out


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def ascii_loss_plot(points: Sequence[Point], width: int = 60, height: int = 12,
                    val_points: Sequence[Point] = ()) -> str:
    """A text plot of loss over steps: `*` training, `o` validation; y range and steps labelled."""
    train, val = _xy(points), _xy(val_points)
    every = train + val
    if not every:
        return "(no loss reported yet)"
    xs, ys = [p[0] for p in every], [p[1] for p in every]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    width, height = max(10, width), max(3, height)
    grid = [[" "] * width for _ in range(height)]
    for series, mark in ((train, "*"), (val, "o")):
        for x, y in series:
            col = 0 if x1 == x0 else round((x - x0) / (x1 - x0) * (width - 1))
            line = 0 if y1 == y0 else round((y1 - y) / (y1 - y0) * (height - 1))
            grid[line][col] = mark
    label_w = max(len(_fmt(y0)), len(_fmt(y1)))
    lines = []
    for i, row in enumerate(grid):
        label = _fmt(y1) if i == 0 else _fmt(y0) if i == height - 1 else ""
        lines.append(f"{label:>{label_w}} |" + "".join(row))
    lines.append(" " * label_w + " +" + "-" * width)
    left, right = f"step {int(x0)}", f"step {int(x1)}"
    lines.append(" " * (label_w + 2) + left + right.rjust(width - len(left)))
    if val:
        lines.append(" " * (label_w + 2) + "* train   o validation")
    return "\n".join(lines)


def _png(width: int, height: int, pixels: list[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) \
        + chunk(b"IEND", b"")


def loss_plot_png(job_info: JobInfo, path: str | Path, width: int = 640, height: int = 360) -> Path:
    """Draw the job's training (blue) and validation (orange) loss into a PNG at `path`."""
    train, val = _xy(job_info.train_loss), _xy(job_info.val_loss)
    if not train and not val:
        raise ToolError(f"Job {job_info.name} has reported no loss yet.", "Plot it once training has begun.")
    pixels = [bytearray(b"\xff" * (3 * width)) for _ in range(height)]

    def put(x: int, y: int, rgb: tuple[int, int, int]) -> None:
        if 0 <= x < width and 0 <= y < height:
            pixels[y][3 * x:3 * x + 3] = bytes(rgb)

    def text(x: int, y: int, s: str) -> None:
        for ch in s:
            for r, bits in enumerate(_FONT.get(ch, (0,) * 5)):
                for c in range(3):
                    if bits >> (2 - c) & 1:
                        for dy in range(2):
                            for dx in range(2):
                                put(x + 2 * c + dx, y + 2 * r + dy, (0, 0, 0))
            x += 8

    left, right, top, bottom = 60, width - 20, 20, height - 40
    every = train + val
    x0, x1 = min(p[0] for p in every), max(p[0] for p in every)
    y0, y1 = min(p[1] for p in every), max(p[1] for p in every)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1

    def to_px(x: float, y: float) -> tuple[int, int]:
        return (round(left + (x - x0) / (x1 - x0) * (right - left)),
                round(bottom - (y - y0) / (y1 - y0) * (bottom - top)))

    for x in range(left, right + 1):
        put(x, bottom, _AXIS_RGB)
    for y in range(top, bottom + 1):
        put(left, y, _AXIS_RGB)
    for series, rgb in ((train, _TRAIN_RGB), (val, _VAL_RGB)):
        prev = None
        for sx, sy in series:
            px, py = to_px(sx, sy)
            if prev is not None:  # straight segment, one pixel per step along the longer axis
                n = max(abs(px - prev[0]), abs(py - prev[1]), 1)
                for i in range(n + 1):
                    put(round(prev[0] + (px - prev[0]) * i / n), round(prev[1] + (py - prev[1]) * i / n), rgb)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    put(px + dx, py + dy, rgb)
            prev = (px, py)
    text(4, top - 4, _fmt(y1))
    text(4, bottom - 6, _fmt(y0))
    text(left, bottom + 10, str(int(x0)))
    text(right - 8 * len(str(int(x1))), bottom + 10, str(int(x1)))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_png(width, height, pixels))
    return out

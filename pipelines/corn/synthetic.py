"""A procedural generator of SYNTHETIC corn-field photos, written in Kaggle's folder layout.

The real photos (Kaggle "labeledcorndataset") cannot be had on these machines, so the
offline default is this generator. It imitates what a phone held 1–1.5 m above a field sees:

- ground (`Chao`): soil texture at several scales, clods lit from one side, stones, straw
  residue, soft shadows, uneven light;
- corn (`Milho`): rows of plants whose long strap-shaped leaves leave the stem on two opposite
  sides (maize leaves are distichous), each leaf curved, tapering, with a pale midrib;
- weeds (`Ervas`): scattered broad-leaf rosettes and grass tufts;
- corn + weeds (`Milho_ervas`): both.

Every image then gets a random scale, rotation, camera tilt (perspective), colour cast,
brightness, blur, sensor noise and JPEG compression, and plant sizes, cover and colours
overlap between classes, so that mean colour alone cannot solve the task (the evaluation
reports a mean-colour + logistic-regression baseline to show it).

Accuracy on these images says nothing about real fields: they only exercise the pipeline.
"""

from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from pipelines.corn.layout import CLASSES, DATASET_FOLDER

PORTUGUESE_SPLITS = {"train": "Treino", "validation": "Validação", "test": "Teste"}
EXTENSIONS = (".jpg", ".JPG", ".jpeg", ".png")


@dataclass(frozen=True)
class Style:
    """Ranges of the random nuisances applied to every image (see params.yaml corn.generate)."""

    zoom: tuple[float, float] = (0.8, 1.4)
    tilt: float = 0.18  # fraction of the side by which the far edge of the view shrinks (camera tilt)
    colour_cast: float = 0.08  # per-channel gain in 1 ± colour_cast
    brightness: tuple[float, float] = (0.7, 1.2)
    blur: tuple[float, float] = (0.0, 1.2)  # Gaussian radius in output pixels
    noise: tuple[float, float] = (0.0, 8.0)  # sensor noise sd on the 0–255 scale


def _value_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth noise in [-1, 1]: a coarse random grid upsampled bicubically."""
    grid = rng.uniform(0, 255, size=(cells, cells)).astype(np.uint8)
    big = Image.fromarray(grid, mode="L").resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.float32) / 127.5 - 1.0


def _soil(rng: np.random.Generator, size: int) -> np.ndarray:
    """Float RGB soil: a base colour from dry tan to wet dark brown, textured at several scales."""
    wetness = rng.uniform(0, 1)
    dry, wet = np.array([168, 138, 104]), np.array([82, 60, 44])
    base = dry * (1 - wetness) + wet * wetness + rng.normal(0, 8, 3)
    texture = sum(
        weight * _value_noise(rng, size, cells) for weight, cells in ((0.5, 4), (0.3, 12), (0.2, 40), (0.15, 120))
    )
    grain = rng.normal(0, 0.06, size=(size, size))
    shade = 1 + 0.22 * texture + grain
    return base[None, None, :] * shade[..., None]


def _rgb(colour) -> tuple[int, int, int]:
    return tuple(int(v) for v in np.clip(colour, 0, 255))


def _blob(rng: np.random.Generator, x: float, y: float, r: float) -> list[tuple[float, float]]:
    """An irregular roundish outline (a clod, a stone)."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, int(rng.integers(6, 10))))
    radii = r * rng.uniform(0.6, 1.2, angles.size)
    return [(x + rad * math.cos(a), y + rad * math.sin(a)) for a, rad in zip(angles, radii)]


def _draw_clods_and_stones(draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: int, base: np.ndarray) -> None:
    light = rng.uniform(0, 2 * math.pi)
    dx, dy = math.cos(light), math.sin(light)
    for _ in range(rng.integers(15, 80)):
        x, y = rng.uniform(0, size, 2)
        r = rng.uniform(0.005, 0.025) * size
        outline = _blob(rng, x, y, r)
        tone = base * rng.uniform(0.75, 1.1)
        draw.polygon([(px + dx * r * 0.35, py + dy * r * 0.35) for px, py in outline], _rgb(tone * 0.65))
        draw.polygon(outline, _rgb(tone))
        draw.polygon(_blob(rng, x - dx * r * 0.35, y - dy * r * 0.35, r * 0.4), _rgb(tone * 1.15))
    for _ in range(rng.integers(0, 16)):
        x, y = rng.uniform(0, size, 2)
        r = rng.uniform(0.003, 0.015) * size
        draw.polygon(_blob(rng, x, y, r), _rgb(rng.uniform(110, 200) + rng.normal(0, 10, 3)))


def _draw_straw(draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: int, count: int) -> None:
    """Dead residue: thin pale-yellow to brown strokes."""
    for _ in range(count):
        x, y = rng.uniform(0, size, 2)
        angle, length = rng.uniform(0, math.pi), rng.uniform(0.02, 0.09) * size
        colour = tuple(int(v) for v in np.array([190, 165, 110]) * rng.uniform(0.6, 1.1))
        draw.line((x, y, x + math.cos(angle) * length, y + math.sin(angle) * length), colour, width=1)


def _green(rng: np.random.Generator, yellowish: float = 0.0) -> np.ndarray:
    """A leaf colour: dark to light green, optionally towards yellow-green."""
    lightness = rng.uniform(0.55, 1.15)
    colour = np.array([55 + 60 * yellowish, 125 + 20 * yellowish, 40]) * lightness + rng.normal(0, 10, 3)
    return np.clip(colour, 0, 255)


_T = np.linspace(0.0, 1.0, 11)


def _leaf_polygon(origin, angle, length, width, bend, tip_taper=0.55):
    """Outline of a curved, tapering leaf (a centreline arc and a width profile), and its centreline."""
    t = _T
    along = length * t
    sin, cos = math.sin(angle), math.cos(angle)
    cx = origin[0] + along * cos - 0.5 * bend * along * t * sin
    cy = origin[1] + along * sin + 0.5 * bend * along * t * cos
    half = 0.5 * width * np.sin(np.pi * np.minimum(t * (1 + tip_taper), 1.0)) ** 0.7 * (1 - 0.85 * t**3)
    heading = angle + bend * t
    nx, ny = -np.sin(heading) * half, np.cos(heading) * half
    xs = np.concatenate([cx + nx, (cx - nx)[::-1]])
    ys = np.concatenate([cy + ny, (cy - ny)[::-1]])
    outline = np.stack([xs, ys], axis=1).ravel().tolist()
    centre = np.stack([cx, cy], axis=1)
    return outline, centre


def _draw_corn(draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: int, out_size: int, view: float) -> None:
    """Rows of maize plants; leaves in two opposite ranks, roughly across the row."""
    growth = rng.uniform(0.45, 1.1)
    row_angle = rng.uniform(0, math.pi)
    spacing = rng.uniform(0.55, 0.85) * out_size
    plant_step = rng.uniform(0.16, 0.3) * out_size
    ux, uy = math.cos(row_angle), math.sin(row_angle)
    nx, ny = -uy, ux
    offset0 = rng.uniform(0, spacing)
    centre = size / 2
    reach = size * 0.75
    visible = view + 0.42 * out_size * growth
    offset = -reach + offset0
    while offset < reach:
        along = -reach + rng.uniform(0, plant_step)
        while along < reach:
            px = centre + nx * offset + ux * along + rng.normal(0, 0.02 * out_size)
            py = centre + ny * offset + uy * along + rng.normal(0, 0.02 * out_size)
            # only plants that can reach the camera's view (a disc around the centre) are drawn
            if math.hypot(px - centre, py - centre) < visible and rng.uniform() > 0.08:
                _draw_corn_plant(draw, rng, (px, py), row_angle, growth, out_size)
            along += plant_step * rng.uniform(0.75, 1.25)
        offset += spacing


def _draw_corn_plant(draw, rng, origin, row_angle, growth, out_size) -> None:
    rank = row_angle + math.pi / 2 + rng.normal(0, 0.35)
    base_colour = _green(rng, yellowish=rng.uniform(0, 0.5))
    for leaf in range(rng.integers(4, 10)):
        side = math.pi * (leaf % 2)
        angle = rank + side + rng.normal(0, 0.45)
        length = rng.uniform(0.16, 0.42) * out_size * growth
        width = rng.uniform(0.03, 0.055) * out_size * growth
        bend = rng.normal(0, 0.6)
        outline, centre = _leaf_polygon(origin, angle, length, width, bend)
        colour = np.clip(base_colour * rng.uniform(0.85, 1.12), 0, 255)
        draw.polygon(outline, tuple(int(v) for v in colour))
        draw.line(centre[1:-2].ravel().tolist(), _rgb(colour * 1.3 + 15), width=1)
    r = 0.018 * out_size * growth
    draw.ellipse((origin[0] - r, origin[1] - r, origin[0] + r, origin[1] + r), tuple(int(v) for v in base_colour * 0.8))


def _draw_rosette(draw, rng, origin, out_size) -> None:
    """A broad-leaf weed: 4–8 short ovate leaves around a centre."""
    colour = _green(rng, yellowish=rng.uniform(0, 1))
    length = rng.uniform(0.03, 0.1) * out_size
    start = rng.uniform(0, 2 * math.pi)
    count = rng.integers(4, 9)
    for k in range(count):
        angle = start + 2 * math.pi * k / count + rng.normal(0, 0.2)
        leaf_length = length * rng.uniform(0.7, 1.2)
        outline, _ = _leaf_polygon(
            origin, angle, leaf_length, leaf_length * rng.uniform(0.5, 0.85), rng.normal(0, 0.3), tip_taper=0.1
        )
        draw.polygon(outline, tuple(int(v) for v in np.clip(colour * rng.uniform(0.85, 1.15), 0, 255)))


def _draw_grass_tuft(draw, rng, origin, out_size) -> None:
    """A grass weed: thin blades fanning out from one point."""
    colour = _green(rng, yellowish=rng.uniform(0.2, 1))
    direction = rng.uniform(0, 2 * math.pi)
    for _ in range(rng.integers(5, 16)):
        angle = direction + rng.normal(0, 0.8)
        length = rng.uniform(0.04, 0.14) * out_size
        outline, _ = _leaf_polygon(origin, angle, length, rng.uniform(0.006, 0.014) * out_size, rng.normal(0, 0.5))
        draw.polygon(outline, tuple(int(v) for v in np.clip(colour * rng.uniform(0.8, 1.2), 0, 255)))


def _draw_weeds(draw, rng, size, out_size, count, view) -> None:
    clustered = rng.uniform() < 0.5
    centres = size / 2 + rng.uniform(-0.7 * view, 0.7 * view, size=(rng.integers(1, 4), 2))
    grass_share = rng.uniform(0, 1)
    for _ in range(count):
        if clustered:
            origin = centres[rng.integers(len(centres))] + rng.normal(0, 0.25 * view, 2)
        else:
            origin = size / 2 + rng.uniform(-view, view, 2)
        if rng.uniform() < grass_share:
            _draw_grass_tuft(draw, rng, tuple(origin), out_size)
        else:
            _draw_rosette(draw, rng, tuple(origin), out_size)


def _shadows(rng: np.random.Generator, size: int) -> np.ndarray:
    """A multiplicative light map: a brightness gradient and 0–2 soft shadows."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * math.pi)
    light = 1 + rng.uniform(0, 0.25) * ((xx - 0.5) * math.cos(angle) + (yy - 0.5) * math.sin(angle))
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(rng.choice([0, 0, 1, 2])):
        cx, cy = rng.uniform(0, size, 2)
        points = [
            (cx + rng.uniform(0.15, 0.5) * size * math.cos(a), cy + rng.uniform(0.15, 0.5) * size * math.sin(a))
            for a in np.sort(rng.uniform(0, 2 * math.pi, 7))
        ]
        draw.polygon(points, int(255 * rng.uniform(0.25, 0.5)))
    mask = mask.filter(ImageFilter.GaussianBlur(size * 0.02))
    return light * (1 - np.asarray(mask, dtype=np.float32) / 255.0)


def _perspective_coefficients(target: list[tuple[float, float]], source: list[tuple[float, float]]) -> list[float]:
    """PIL PERSPECTIVE coefficients mapping output corners `target` to input points `source`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(target, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    return list(np.linalg.solve(np.asarray(rows, dtype=float), np.asarray(rhs, dtype=float)))


@dataclass(frozen=True)
class _View:
    half: float  # half the side of the square of ground seen, in scene pixels
    tilt: float
    rotation: float

    @property
    def radius(self) -> float:
        """Distance from the scene centre beyond which nothing is seen."""
        return self.half * (1 + self.tilt) * math.sqrt(2)


def _camera(scene: Image.Image, view: _View, out_size: int) -> Image.Image:
    """Look at the scene through the zoomed, rotated and tilted camera `view`."""
    size = scene.width
    half, tilt, rotation = view.half, view.tilt, view.rotation
    # the far (top) edge of the view covers more ground than the near edge when the phone is tilted
    corners = [(-half * (1 + tilt), -half), (half * (1 + tilt), -half), (half, half), (-half, half)]
    cos, sin = math.cos(rotation), math.sin(rotation)
    source = [(size / 2 + x * cos - y * sin, size / 2 + x * sin + y * cos) for x, y in corners]
    target = [(0, 0), (out_size, 0), (out_size, out_size), (0, out_size)]
    coefficients = _perspective_coefficients(target, source)
    return scene.transform((out_size, out_size), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR)


def render_image(label: str, rng: np.random.Generator, out_size: int = 128, style: Style = Style()) -> np.ndarray:
    """One synthetic field photo of class `label` (a Kaggle folder name): uint8 (out_size, out_size, 3)."""
    if label not in CLASSES:
        raise ValueError(f"unknown class {label!r}; expected one of {CLASSES}")
    size = int(out_size * 2.2)  # the scene is larger than any rotated, zoomed, tilted view of it
    view = _View(out_size * rng.uniform(*style.zoom) / 2, rng.uniform(0, style.tilt), rng.uniform(0, 2 * math.pi))
    soil = _soil(rng, size)
    scene = Image.fromarray(np.clip(soil, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(scene)
    _draw_clods_and_stones(draw, rng, size, soil.mean(axis=(0, 1)))
    _draw_straw(draw, rng, size, int(rng.integers(0, 25 if label == "Chao" else 10)))
    if label in ("Milho", "Milho_ervas"):
        _draw_corn(draw, rng, size, out_size, view.radius)
    if label == "Ervas":
        _draw_weeds(draw, rng, size, out_size, int(rng.integers(5, 30)), view.radius)
    if label == "Milho_ervas":
        _draw_weeds(draw, rng, size, out_size, int(rng.integers(3, 20)), view.radius)
    lit = np.asarray(scene, dtype=np.float32) * _shadows(rng, size)[..., None]
    photo = _camera(Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8)), view, out_size)
    blur = rng.uniform(*style.blur)
    if blur > 0.05:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(photo, dtype=np.float32)
    gains = rng.uniform(1 - style.colour_cast, 1 + style.colour_cast, 3) * rng.uniform(*style.brightness)
    pixels = pixels * gains + rng.normal(0, rng.uniform(*style.noise), pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def encode(image: np.ndarray, extension: str, rng: np.random.Generator) -> bytes:
    buffer = io.BytesIO()
    if extension.casefold() == ".png":
        Image.fromarray(image).save(buffer, format="PNG")
    else:
        Image.fromarray(image).save(buffer, format="JPEG", quality=int(rng.integers(70, 96)))
    return buffer.getvalue()


def split_folder_name(split: str, unicode_form: str) -> str:
    return unicodedata.normalize(unicode_form, PORTUGUESE_SPLITS[split])


def write_dataset(
    root: str | Path,
    per_split: dict[str, int],
    image_size: int,
    seed: int,
    style: Style = Style(),
    unicode_form: str = "NFD",
    corrupt_files: int = 0,
    extension_weights: tuple[float, ...] = (0.85, 0.05, 0.05, 0.05),
) -> dict:
    """Write `<root>/ImagensTCCRotuladas/<split>/<class>/*` as Kaggle lays it out; return a manifest.

    `per_split` is the number of images per class in each split. Each image has its own
    random stream (seed, split, class, index), so changing one count does not change the
    other images. `corrupt_files` truncated JPEGs are added to the training split so the
    loader's skip-and-count path is exercised end to end.
    """
    base = Path(root) / DATASET_FOLDER
    counts: dict[str, dict[str, int]] = {}
    weights = np.asarray(extension_weights, dtype=float) / sum(extension_weights)
    extension_counts = {ext: 0 for ext in EXTENSIONS}
    for split_index, split in enumerate(("train", "validation", "test")):
        folder = base / split_folder_name(split, unicode_form)
        counts[split] = {}
        for class_index, label in enumerate(CLASSES):
            target = folder / label
            target.mkdir(parents=True, exist_ok=True)
            for index in range(per_split[split]):
                rng = np.random.default_rng([seed, split_index, class_index, index])
                extension = EXTENSIONS[rng.choice(len(EXTENSIONS), p=weights)]
                image = render_image(label, rng, image_size, style)
                (target / f"{label.lower()}_{split}_{index:05d}{extension}").write_bytes(encode(image, extension, rng))
                extension_counts[extension] += 1
            counts[split][label] = per_split[split]
    train_folder = base / split_folder_name("train", unicode_form)
    for index in range(corrupt_files):
        rng = np.random.default_rng([seed, 99, index])
        label = CLASSES[index % len(CLASSES)]
        data = encode(render_image(label, rng, image_size, style), ".jpg", rng)
        (train_folder / label / f"corrupt_{index:03d}.jpg").write_bytes(data[: len(data) // 5])
    return {
        "kind": "synthetic",
        "generator": "pipelines.corn.synthetic",
        "seed": seed,
        "image_size": image_size,
        "unicode_form": unicode_form,
        "per_class": per_split,
        "counts": counts,
        "extensions": extension_counts,
        "corrupt_files": corrupt_files,
    }

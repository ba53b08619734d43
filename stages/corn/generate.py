"""Stage corn_generate: write the SYNTHETIC field images in Kaggle's layout (offline default).

Output: `data/raw/corn/synthetic/ImagensTCCRotuladas/{Treino,Validação,Teste}/{Chao,Ervas,Milho,Milho_ervas}`
and a manifest `data/raw/corn/synthetic/generation.json` that marks the folder as synthetic
(the prepare stage refuses to call it real data).
"""

from __future__ import annotations

import shutil

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.corn.paths import SYNTHETIC_DIR, SYNTHETIC_MANIFEST
from pipelines.corn.synthetic import Style, write_dataset

log = get_logger("corn.generate")


def style_from_params(params) -> Style:
    return Style(
        zoom=tuple(params.get("zoom", type_=list)),
        tilt=params.number("tilt", minimum=0, maximum=0.9),
        colour_cast=params.number("colour_cast", minimum=0, maximum=0.9),
        brightness=tuple(params.get("brightness", type_=list)),
        blur=tuple(params.get("blur", type_=list)),
        noise=tuple(params.get("noise", type_=list)),
    )


def main() -> None:
    params = load_params("corn")
    generate = params.section("generate")
    per_class = generate.section("per_class")
    per_split = {split: per_class.integer(split, minimum=1) for split in ("train", "validation", "test")}
    image_size = generate.integer("image_size", minimum=16, maximum=1024)
    seed = params.integer("seed")
    style = style_from_params(generate.section("style"))
    unicode_form = generate.choice("unicode_form", ["NFC", "NFD"])
    corrupt = generate.integer("corrupt_files", minimum=0)
    # Written next to the final folder, then swapped in, so an interrupted run leaves no half data set.
    staging = SYNTHETIC_DIR.with_name(SYNTHETIC_DIR.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    manifest = write_dataset(staging, per_split, image_size, seed, style, unicode_form, corrupt)
    write_json(staging / SYNTHETIC_MANIFEST.name, manifest)
    shutil.rmtree(SYNTHETIC_DIR, ignore_errors=True)
    staging.rename(SYNTHETIC_DIR)
    total = sum(sum(c.values()) for c in manifest["counts"].values())
    log.info("wrote %d synthetic images (%d px, seed %d) + %d corrupt files", total, image_size, seed, corrupt)


if __name__ == "__main__":
    run_stage(main, "corn.generate")

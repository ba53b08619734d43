"""Stage corn_generate: write the SYNTHETIC field images in Kaggle's layout (offline default).

Output: `data/raw/corn/synthetic/ImagensTCCRotuladas/{Treino,Validação,Teste}/{Chao,Ervas,Milho,Milho_ervas}`
and a manifest `data/raw/corn/synthetic/generation.json` that marks the folder as synthetic
(the prepare stage refuses to call it real data).
"""

from __future__ import annotations

import shutil

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.stage import run_stage
from pipelines.corn.paths import SYNTHETIC_DIR, SYNTHETIC_MANIFEST
from pipelines.corn.settings import corn_params
from pipelines.corn.synthetic import Style, write_dataset

log = get_logger("corn.generate")


def main() -> None:
    params = corn_params()
    generate = params.generate
    per_split = generate.per_class.model_dump()
    image_size = generate.image_size
    seed = params.seed
    ranges = generate.style
    style = Style(
        zoom=tuple(ranges.zoom),
        tilt=ranges.tilt,
        colour_cast=ranges.colour_cast,
        brightness=tuple(ranges.brightness),
        blur=tuple(ranges.blur),
        noise=tuple(ranges.noise),
    )
    unicode_form = generate.unicode_form
    corrupt = generate.corrupt_files
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

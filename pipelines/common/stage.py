"""The entry point of every stage command: a command line, logging set up, user errors as one clear line.

`python -m stages.<pipeline>.<stage> --help` describes the stage (its module docstring) and the params it
reads (its `params:` in dvc.yaml), and does nothing else; an unknown argument is refused (exit 2).
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable

import yaml

from pipelines.common.errors import PipelineError
from pipelines.common.logs import get_logger
from pipelines.common.paths import ROOT


def declared_params(module: str) -> list[str]:
    """The params.yaml keys dvc.yaml declares for the stage that runs `python -m <module>`."""
    try:
        stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return []
    for stage in stages.values():
        if str(stage.get("cmd", "")).split() == ["python", "-m", module]:
            return [
                str(key) if not isinstance(key, dict) else ", ".join(map(str, key)) for key in stage.get("params", [])
            ]
    return []


def stage_parser(name: str, description: str | None = None) -> argparse.ArgumentParser:
    """The parser of stage `name` (`weather.batch`): its description and the params it reads; a stage that
    takes options adds them to it."""
    module = f"stages.{name}"
    if description is None:
        description = inspect.getdoc(sys.modules.get("__main__")) or f"DVC stage {name}."
    params = declared_params(module)
    epilog = (
        "Reads params.yaml: "
        + ", ".join(params)
        + ". Change them there (or `dvc exp run -S key=value`), then `dvc repro`."
        if params
        else "Reads no params.yaml key."
    )
    return argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def run_stage(main: Callable[..., None], name: str, argv: list[str] | None = None) -> None:
    """Run a stage's main(); a PipelineError becomes `error: …` on stderr and exit code 2.

    A main() without parameters takes no option: the arguments are checked here (`--help`, anything else
    refused). A main(argv) parses its own options, with `stage_parser(name)`."""
    argv = sys.argv[1:] if argv is None else argv
    takes_options = bool(inspect.signature(main).parameters)
    if not takes_options:
        stage_parser(name).parse_args(argv)
    log = get_logger(name)
    try:
        main(argv) if takes_options else main()
    except PipelineError as error:
        log.debug("stage failed", exc_info=True)
        print(f"error: {name}: {error}", file=sys.stderr)
        sys.exit(2)

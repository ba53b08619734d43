"""The entry point of every stage command: logging set up, user errors as one clear line."""

from __future__ import annotations

import sys
from collections.abc import Callable

from pipelines.common.errors import PipelineError
from pipelines.common.logs import get_logger


def run_stage(main: Callable[[], None], name: str) -> None:
    """Run a stage's main(); a PipelineError becomes `error: …` on stderr and exit code 2."""
    log = get_logger(name)
    try:
        main()
    except PipelineError as error:
        log.debug("stage failed", exc_info=True)
        print(f"error: {name}: {error}", file=sys.stderr)
        sys.exit(2)

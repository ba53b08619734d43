"""One logging setup for stages, batch scripts and the API; the level comes from LOG_LEVEL."""

from __future__ import annotations

import logging
import os

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def get_logger(name: str) -> logging.Logger:
    configure()
    return logging.getLogger(name)


def configure(level: str | None = None) -> None:
    """Configure the root logger once; LOG_LEVEL (DEBUG, INFO, WARNING…) overrides the default INFO."""
    root = logging.getLogger()
    wanted = (level or os.environ.get("LOG_LEVEL", "INFO")).upper()
    if not root.handlers:
        logging.basicConfig(level=wanted, format=FORMAT)
    root.setLevel(wanted)
    # Third-party chatter (matplotlib's category notices, …) only when debugging.
    for noisy in ("matplotlib", "PIL", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

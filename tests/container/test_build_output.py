"""How the container test reads a build's output (fast; runs in `make test`): which steps came from the
cache, and which layer images a podman build made (removed at the end of the container test)."""

from __future__ import annotations

from tests.container.image import intermediate_images, step_cached

# Excerpt of a real podman 4.3 rebuild of the Dockerfile after a change in api/ (multi-stage: "[i/n]").
PODMAN = """\
[1/2] STEP 4/5: COPY requirements-api.txt /tmp/requirements-api.txt
--> Using cache 0ee7de29df546626ab36961b48a689052f770b63e4e6491bf0f8945c209626f8
--> 0ee7de29df5
[1/2] STEP 5/5: RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements-api.txt
--> Using cache 07d97adb320cea0163f8ccca7409af0d44a7ef1f52f527eeb759a143c235076f
--> 07d97adb320
[2/2] STEP 14/21: COPY api/ api/
--> 3173b1a8d40
[2/2] STEP 15/21: ARG APP_VERSION=0.0.0
--> 617183bc040
"""
# Docker BuildKit with --progress=plain: a step's line, then "#<n> CACHED" when it came from the cache.
BUILDKIT = """\
#7 [deps 3/4] COPY requirements-api.txt /tmp/requirements-api.txt
#7 CACHED

#8 [deps 4/4] RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements-api.txt
#8 CACHED

#14 [runtime  9/14] COPY api/ api/
#14 DONE 0.1s
"""


def test_cached_steps_are_read_from_podman_output() -> None:
    assert step_cached(PODMAN, r"pip install") is True
    assert step_cached(PODMAN, r"^COPY .*requirements-api\.txt") is True
    assert step_cached(PODMAN, r"^COPY api/") is False
    assert step_cached(PODMAN, r"^ARG APP_VERSION") is False
    assert step_cached(PODMAN, r"^RUN groupadd") is None  # not in this output


def test_cached_steps_are_read_from_buildkit_output() -> None:
    assert step_cached(BUILDKIT, r"pip install") is True
    assert step_cached(BUILDKIT, r"^COPY api/") is False
    assert step_cached(BUILDKIT, r"^USER") is None


def test_the_layers_a_podman_build_made_are_listed_once_in_order() -> None:
    layers = intermediate_images(PODMAN)
    assert layers == [
        "0ee7de29df546626ab36961b48a689052f770b63e4e6491bf0f8945c209626f8",
        "07d97adb320cea0163f8ccca7409af0d44a7ef1f52f527eeb759a143c235076f",
        "3173b1a8d40",
        "617183bc040",
    ]  # a cached layer's short id is not listed again
    assert intermediate_images(BUILDKIT) == []

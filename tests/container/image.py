"""Build the API image from the committed Dockerfile, run it on 127.0.0.1, and look inside it.

Used by tests/container/test_image.py (`make image-test`); nothing here is specific to pytest.

* `find_engine()`: Docker when its daemon answers, else podman (`CONTAINER_ENGINE=docker|podman` chooses).
  With podman: `--runtime runc` when runc is installed (crun fails on hybrid cgroups), a containers.conf
  with `default_ulimits = []` (some machines refuse podman's default ulimits) unless CONTAINERS_CONF is
  set, and host networking for the builds (pip reaches PyPI that way on machines without a bridge).
* `ensure_base()`: the Dockerfile's `FROM python:3.11-slim-bookworm`. Pulled when a registry answers;
  otherwise (podman, root, debootstrap) a local stand-in with that exact name: Debian bookworm (minbase,
  from the machine's Debian mirror) + python3.11 + the machine's CA bundle ($PIP_CERT), so that pip inside
  the build reaches PyPI through the machine's proxy. Built once per machine and kept: the image carries a
  label with the hash of its recipe, and the debootstrap tarball is cached (IMAGE_TEST_CACHE, default
  ~/.cache/mlops-image-test) under that hash; a changed recipe or CA bundle builds a new one.
* `make_context()`: a temporary build context — the checkout's files (git's view: tracked and untracked
  but not ignored; the engine applies .dockerignore itself) plus the pipeline artefacts the Dockerfile
  copies, the working tree's when present (`artefacts="work-tree"`), or small ones made in seconds with the
  API tests' own helpers (`"small"`: the same database and credit model as tests/api/conftest.py).
* `build()`, `start()`, `exec_in()`: the engine's commands, with bounded waits.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "docker.io/library/python:3.11-slim-bookworm"
RECIPE_LABEL = "org.mlops-pipelines.standin-recipe"
# Pipeline outputs the Dockerfile copies (DVC outputs: not in git, not in a fresh clone).
ARTEFACTS = (
    "data/db/weather.sqlite",
    "models/weather/model_card.json",
    "models/credit/model.joblib",
    "models/credit/model_card.json",
    "models/credit/shap_background.csv.gz",
    "models/credit/missing_value_grid.json",
    "models/cars/model.joblib",
    "models/cars/model_card.json",
    "models/freelance/model.joblib",
    "models/freelance/model_card.json",
)
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
DEBOOTSTRAP = ["debootstrap", "--variant=minbase", "bookworm"]
# What python:3.11-slim-bookworm offers the Dockerfile: `python` (3.11) with venv, groupadd/useradd, CA
# certificates. {base} is the imported debootstrap tree; the extra CA (the machine's bundle) is optional.
STANDIN_CONTAINERFILE = """\
FROM {base}
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
       python3.11 python3.11-venv python-is-python3 ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
"""


class Unavailable(RuntimeError):
    """The machine cannot build or run the image; the message says why and how to fix it."""


@dataclass
class Engine:
    name: str  # "docker" or "podman"
    command: list[str]  # the executable and global options
    env: dict[str, str] = field(default_factory=dict)
    build_options: list[str] = field(default_factory=list)

    def run(self, *args: str, timeout: float, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*self.command, *args],
            env=os.environ | self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{self.name} {' '.join(args[:3])}… failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def image_exists(self, name: str) -> bool:
        return self.run("image", "inspect", name, timeout=60, check=False).returncode == 0

    def label(self, image: str, label: str) -> str | None:
        result = self.run("image", "inspect", "--format", "{{json .Config.Labels}}", image, timeout=60, check=False)
        if result.returncode != 0:
            return None
        return (json.loads(result.stdout.strip() or "null") or {}).get(label)


def cache_dir() -> Path:
    path = Path(os.environ.get("IMAGE_TEST_CACHE") or Path.home() / ".cache" / "mlops-image-test")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _answers(command: list[str], timeout: float = 30) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_engine(preferred: str | None = None) -> Engine:
    preferred = preferred or os.environ.get("CONTAINER_ENGINE") or None
    if preferred not in (None, "docker", "podman"):
        raise Unavailable(f"CONTAINER_ENGINE={preferred!r}: use docker or podman")
    if preferred in (None, "docker") and shutil.which("docker") and _answers(["docker", "info"]):
        return Engine("docker", ["docker"], build_options=["--progress=plain"])
    if preferred in (None, "podman") and shutil.which("podman"):
        command = ["podman"]
        if shutil.which("runc"):
            command += ["--runtime", "runc"]
        env = {}
        if not os.environ.get("CONTAINERS_CONF"):
            conf, text = cache_dir() / "containers.conf", "[containers]\ndefault_ulimits = []\n"
            if not conf.is_file() or conf.read_text(encoding="utf-8") != text:
                conf.write_text(text, encoding="utf-8")
            env["CONTAINERS_CONF"] = str(conf)
        # --format docker keeps the Dockerfile's HEALTHCHECK (the OCI image format has no such field).
        engine = Engine("podman", command, env, build_options=["--format", "docker", "--network=host", "--layers"])
        if engine.run("info", timeout=60, check=False).returncode == 0:
            return engine
        raise Unavailable(f"`{' '.join(command)} info` fails (install runc, or check podman's set-up)")
    raise Unavailable("neither a Docker daemon nor podman answers (apt-get install podman runc debootstrap)")


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # two runs on one machine build the stand-in once
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _extra_ca() -> bytes:
    bundle = os.environ.get("PIP_CERT") or os.environ.get("REQUESTS_CA_BUNDLE")
    return Path(bundle).read_bytes() if bundle and Path(bundle).is_file() else b""


def _hash(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part.encode() if isinstance(part, str) else part) + b"\0")
    return digest.hexdigest()[:16]


def rootfs_hash() -> str:
    """The debootstrap tree: its command and mirror."""
    return _hash(" ".join(DEBOOTSTRAP), DEBIAN_MIRROR)


def recipe_hash() -> str:
    """Everything the stand-in is made of: the debootstrap tree, the Containerfile, the CA bundle."""
    return _hash(rootfs_hash(), STANDIN_CONTAINERFILE, _extra_ca())


@dataclass
class Base:
    name: str
    origin: str  # "pulled", "stand-in (cached)", "stand-in (built)", "local"
    seconds: float


def ensure_base(engine: Engine, log=print) -> Base:
    start = time.monotonic()
    pull = engine.run("pull", BASE_IMAGE, timeout=300, check=False) if _may_pull() else None
    if pull is not None and pull.returncode == 0:
        return Base(BASE_IMAGE, "pulled", time.monotonic() - start)
    log(f"cannot pull {BASE_IMAGE}; using a local stand-in")
    if engine.name != "podman":
        if engine.image_exists(BASE_IMAGE):
            return Base(BASE_IMAGE, "local", time.monotonic() - start)
        raise Unavailable(f"{BASE_IMAGE} cannot be pulled, and the stand-in is built with podman only")
    wanted = recipe_hash()
    with _lock(cache_dir() / "base.lock"):
        current = engine.label(BASE_IMAGE, RECIPE_LABEL)
        if current == wanted:
            return Base(BASE_IMAGE, "stand-in (cached)", time.monotonic() - start)
        if current is None and engine.image_exists(BASE_IMAGE):
            return Base(BASE_IMAGE, "local", time.monotonic() - start)  # the real one, pulled earlier
        _build_standin(engine, wanted, log)
    return Base(BASE_IMAGE, "stand-in (built)", time.monotonic() - start)


def _may_pull() -> bool:
    """IMAGE_TEST_PULL=0 skips the pull attempt (a machine known to be offline)."""
    return os.environ.get("IMAGE_TEST_PULL", "1") != "0"


def _build_standin(engine: Engine, wanted: str, log) -> None:
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        raise Unavailable("building the stand-in base needs root and debootstrap (apt-get install debootstrap)")
    tree_hash = rootfs_hash()
    tarball = cache_dir() / f"bookworm-minbase-{tree_hash}.tar"
    if not tarball.is_file():
        for stale in cache_dir().glob("bookworm-minbase-*.tar"):  # an older recipe's tree
            stale.unlink()
        log(f"debootstrap bookworm from {DEBIAN_MIRROR} (about a minute)")
        with tempfile.TemporaryDirectory(prefix="bookworm-", dir=cache_dir()) as tree:
            subprocess.run([*DEBOOTSTRAP, tree, DEBIAN_MIRROR], check=True, capture_output=True, timeout=900)
            partial = tarball.with_suffix(".partial")
            subprocess.run(["tar", "-C", tree, "-cf", str(partial), "."], check=True, timeout=600)
            partial.rename(tarball)
    rootfs = f"localhost/mlops-bookworm-minbase:{tree_hash}"
    if not engine.image_exists(rootfs):
        engine.run("import", str(tarball), rootfs, timeout=600)
    with tempfile.TemporaryDirectory(prefix="standin-") as directory:
        context = Path(directory)
        (context / "extra-ca").mkdir()
        if ca := _extra_ca():
            (context / "extra-ca" / "machine-bundle.crt").write_bytes(ca)
        (context / "Containerfile").write_text(STANDIN_CONTAINERFILE.format(base=rootfs), encoding="utf-8")
        engine.run(
            "build", *engine.build_options, "--label", f"{RECIPE_LABEL}={wanted}", "-t", BASE_IMAGE,
            "-f", str(context / "Containerfile"), str(context), timeout=1200,
        )  # fmt: skip
    log(f"stand-in {BASE_IMAGE} built (recipe {wanted})")


def make_context(destination: Path, artefacts: str = "small") -> str:
    """Fill `destination` with a build context; returns where the artefacts came from."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")  # fmt: skip
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():  # tracked but deleted in the working tree: not sent
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    present = all((ROOT / name).is_file() for name in ARTEFACTS)
    if artefacts == "work-tree" or (artefacts == "auto" and present):
        if not present:
            raise Unavailable(
                "artefacts missing from the working tree "
                f"(dvc repro weather_batch credit_register cars_register freelance_register): {ARTEFACTS}"
            )
        for name in ARTEFACTS:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
        return "working tree (dvc outputs)"
    from tests.api.conftest import (
        build_database,
        register_small_cars_model,
        register_small_credit_model,
        write_model_card,
    )

    (destination / "data" / "db").mkdir(parents=True, exist_ok=True)
    (destination / "models" / "weather").mkdir(parents=True, exist_ok=True)
    build_database(destination / "data" / "db" / "weather.sqlite")
    write_model_card(destination / "models" / "weather" / "model_card.json")
    register_small_credit_model(destination / "models" / "credit")
    register_small_cars_model(destination / "models" / "cars")
    from tests.freelance.conftest import register_small_estimator

    register_small_estimator(destination / "models" / "freelance")
    return "small (tests/api/conftest.py helpers)"


@dataclass
class Build:
    tag: str
    seconds: float
    output: str


def build(engine: Engine, context: Path, tag: str, version: str, timeout: float = 1800) -> Build:
    start = time.monotonic()
    result = engine.run(
        "build", *engine.build_options, "--build-arg", f"APP_VERSION={version}", "-t", tag,
        "-f", str(context / "Dockerfile"), str(context), timeout=timeout,
    )  # fmt: skip
    return Build(tag, time.monotonic() - start, result.stdout + result.stderr)


def step_cached(output: str, pattern: str) -> bool | None:
    """Whether the build step whose instruction matches `pattern` came from the cache (None: no such step).

    podman: "[1/2] STEP 5/5: RUN …" then "--> Using cache <id>"; Docker BuildKit (--progress=plain):
    "#8 [deps 4/4] RUN …" then "#8 CACHED".
    """
    lines = output.splitlines()
    for index, line in enumerate(lines):
        podman = re.match(r"(?:\[\d+/\d+\] )?STEP \d+/\d+: (.*)", line)
        if podman and re.search(pattern, podman.group(1)):
            following = lines[index + 1 : index + 3]
            return any(item.startswith("--> Using cache") for item in following)
        docker = re.match(r"(#\d+) \[[^\]]*\] (.*)", line)
        if docker and re.search(pattern, docker.group(2)):
            return any(item.strip() == f"{docker.group(1)} CACHED" for item in lines[index + 1 :])
    return None


def image_size(engine: Engine, tag: str) -> int:
    return int(engine.run("image", "inspect", "--format", "{{.Size}}", tag, timeout=60).stdout.strip())


def healthcheck_command(engine: Engine, tag: str) -> list[str]:
    """The image's HEALTHCHECK as an exec argument list (["CMD", …] form, or CMD-SHELL via sh -c)."""
    result = engine.run("image", "inspect", "--format", "{{json .Config.Healthcheck}}", tag, timeout=60)
    test = (json.loads(result.stdout.strip() or "null") or {}).get("Test") or []
    if test[:1] == ["CMD"]:
        return test[1:]
    if test[:1] == ["CMD-SHELL"]:
        return ["/bin/sh", "-c", test[1]]
    raise AssertionError(f"the image has no HEALTHCHECK command: {result.stdout.strip()}")


def start(engine: Engine, tag: str, name: str, port: int) -> str:
    """Run the image detached, its port 8000 published on 127.0.0.1:`port`; returns the base URL."""
    engine.run("run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:8000", tag, timeout=120)
    return f"http://127.0.0.1:{port}"


def exec_in(engine: Engine, name: str, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return engine.run("exec", name, *command, timeout=timeout, check=False)


def logs(engine: Engine, name: str) -> str:
    result = engine.run("logs", name, timeout=60, check=False)
    return (result.stdout + result.stderr)[-5000:]


def intermediate_images(output: str) -> list[str]:
    """The layer images a podman build printed ("--> <id>"), in order; Docker's BuildKit prints none."""
    layers: list[str] = []
    for found in re.findall(r"^--> (?:Using cache )?([0-9a-f]{11,64})\s*$", output, flags=re.MULTILINE):
        if not any(layer.startswith(found) for layer in layers):  # "--> <short id>" after "Using cache <id>"
            layers.append(found)
    return layers


def remove(engine: Engine, *, containers: list[str] = (), images: list[str] = (), layers: list[str] = ()) -> None:
    """Remove what a run made. `layers` (intermediate images) go without --force, children first, so that
    one still used by someone else's image or build stays."""
    for container in containers:
        engine.run("stop", "--time", "5", container, timeout=120, check=False)
        engine.run("rm", "--force", container, timeout=120, check=False)
    for tag in images:
        engine.run("rmi", "--force", tag, timeout=120, check=False)
    for layer in reversed(layers):
        engine.run("rmi", layer, timeout=120, check=False)

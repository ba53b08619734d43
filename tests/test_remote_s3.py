"""`dvc push` / `dvc pull` through the project's own S3 remote, against a local S3-compatible server.

The remote is the one committed in `.dvc/config` (name, bucket and prefix); the endpoint and keys are set
with `dvc remote modify --local`, as docs/remote.md tells a user to, and then through the environment
alone (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), as CI would. The server is moto's, started on a
free 127.0.0.1 port. Without moto the test is skipped, except in CI (CI=true) where it fails, so the remote
is never silently untested.
"""

from __future__ import annotations

import hashlib
import importlib.util
import secrets
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from configobj import ConfigObj

from pipelines.common.paths import ROOT
from tests.dvc_project import copy_project, run
from tests.services import free_port, stop, unavailable, wait_until_up

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

# moto accepts any keys: made up for each run, under the names DVC's remote options use.
MOTO_KEYS = {"access_key_id": secrets.token_hex(10), "secret_access_key": secrets.token_hex(20)}
REGION = "us-east-1"
STAGES = ["weather_download", "weather_clean", "weather_aggregate"]  # the cheap, offline head of the weather chain
SERVER_MODULES = ("moto", "flask", "flask_cors", "boto3")  # moto[server] and the client that makes the bucket
SMALL_PARAMS = {"download": {"start": "2024-10-01", "end": "2025-04-04"}}  # six months of the shipped export


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError:
        return True  # an HTTP error status is still an answer
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    """The URL of a moto S3 server running in a subprocess for the duration of the module."""
    # Looked up, not imported: importing moto would hook its stubber into botocore in this process.
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        unavailable(
            "S3 remote test", f"moto's server is not installed (no {', '.join(missing)})", "pip install 'moto[server]'"
        )
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        if not wait_until_up(lambda: _answers(url), server, timeout_s=30):
            pytest.fail(f"moto server did not start on {url}:\n{log_path.read_text()}", pytrace=False)
        yield url
    finally:
        stop(server)


def _keys(s3, bucket: str, prefix: str) -> set[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {item["Key"] for item in listing.get("Contents", [])}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _isolated_env(env: dict[str, str], home: Path) -> dict[str, str]:
    """`env` without any AWS setting or DVC user/system config of the machine running the tests."""
    clean = {name: value for name, value in env.items() if not name.startswith("AWS_")}
    for name in ("aws", "dvc-global", "dvc-system", "dvc-site-cache"):
        (home / name).mkdir()
    return clean | {
        "AWS_CONFIG_FILE": str(home / "aws/config"),  # absent files: no profile, no shared credentials
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws/credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site-cache"),
    }


def test_push_wipe_pull_restores_the_outputs_byte_for_byte(s3_endpoint, tmp_path):
    import boto3

    copy, home = tmp_path / "project", tmp_path / "home"
    copy.mkdir()
    home.mkdir()
    env = _isolated_env(copy_project(copy, ["data/external/weather"], "weather", SMALL_PARAMS), home)
    shutil.copy(ROOT / ".dvc/config", copy / ".dvc/config")  # the committed remote, as a clone has it

    committed = ConfigObj(str(ROOT / ".dvc/config"))
    remote = committed["core"]["remote"]
    remote_url = urlsplit(committed[f'remote "{remote}"']["url"])
    assert remote_url.scheme == "s3"
    private = {"endpointurl", "access_key_id", "secret_access_key", "session_token"}
    assert private.isdisjoint(committed[f'remote "{remote}"'])  # endpoint and keys never committed
    bucket, prefix = remote_url.netloc, remote_url.path.strip("/")
    key_prefix = f"{prefix}/" if prefix else ""
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=REGION, **{f"aws_{name}": key for name, key in MOTO_KEYS.items()}
    )
    s3.create_bucket(Bucket=bucket)

    # A default remote changes nothing for repro (nor status, below): neither contacts it.
    run(["dvc", "repro", *STAGES], copy, env)
    lock = yaml.safe_load((copy / "dvc.lock").read_text())["stages"]
    outs = {out["path"]: out["md5"] for stage in STAGES for out in lock[stage]["outs"]}
    assert len(outs) == 5 and all(not path.startswith("reports/") for path in outs)
    before = {path: _sha256(copy / path) for path in outs}

    # Endpoint and keys as a user sets them: in .dvc/config.local, which git ignores.
    for option, value in {"endpointurl": s3_endpoint, **MOTO_KEYS}.items():
        run(["dvc", "remote", "modify", "--local", remote, option, value], copy, env)
    assert "config.local" in (copy / ".dvc/.gitignore").read_text()
    assert (copy / ".dvc/config").read_text() == (ROOT / ".dvc/config").read_text()  # nothing leaked into it

    pushed = run(["dvc", "push", *STAGES], copy, env).stdout
    assert f"{len(outs)} files pushed" in pushed, pushed
    expected = {f"{key_prefix}files/md5/{md5[:2]}/{md5[2:]}" for md5 in outs.values()}  # DVC 3 cache layout
    assert _keys(s3, bucket, key_prefix) == expected

    shutil.rmtree(copy / ".dvc/cache")
    for path in outs:
        (copy / path).unlink()
    assert not any((copy / path).exists() for path in outs)

    run(["dvc", "pull", *STAGES], copy, env)
    assert {path: _sha256(copy / path) for path in outs} == before

    # Without endpoint or keys anywhere, `dvc status` still works and finds everything in place.
    (copy / ".dvc/config.local").unlink()
    assert "up to date" in run(["dvc", "status", *STAGES], copy, env).stdout.lower()

    # The same remote through the environment alone (how CI would reach it).
    # One object is removed from the bucket first, so the push has to reach the server to put it back.
    env_only = env | {f"AWS_{name.upper()}": key for name, key in MOTO_KEYS.items()}
    env_only |= {"AWS_ENDPOINT_URL_S3": s3_endpoint, "AWS_DEFAULT_REGION": REGION}
    s3.delete_object(Bucket=bucket, Key=min(expected))
    assert _keys(s3, bucket, key_prefix) == expected - {min(expected)}
    pushed = run(["dvc", "push", *STAGES], copy, env_only).stdout
    assert "1 file pushed" in pushed, pushed
    assert _keys(s3, bucket, key_prefix) == expected

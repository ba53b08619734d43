"""A throwaway PostgreSQL server for tests: real PostgreSQL SQL, started once per session, removed at the end.

`postgres_url` yields a SQLAlchemy URL. WEATHER_TEST_POSTGRES_URL points it at an existing server
(e.g. a CI service container). Otherwise a private server is started from the local PostgreSQL
binaries on a free 127.0.0.1 port, as the `postgres` user when running as root (postgres refuses to
run as root). Without binaries the tests are skipped, except in CI (CI=true) where they fail, so a
missing database is never silently untested.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import free_port, unavailable

ENV_URL = "WEATHER_TEST_POSTGRES_URL"
SERVER_USER = "postgres"  # the OS user the Debian/Ubuntu package creates
DATABASE = "weather_test"
TOOLS = ("initdb", "pg_ctl", "postgres", "createdb")


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, then a schema of its own on the PostgreSQL server
    (isolated, and harmless on a shared server given by WEATHER_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'test.sqlite'}"
        return
    import sqlalchemy as sa

    server = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield sa.make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if url := os.environ.get(ENV_URL):
        yield url
        return
    bindir = find_bindir()
    if bindir is None:
        unavailable(
            "PostgreSQL tests",
            f"no PostgreSQL server binaries ({', '.join(TOOLS)}) on PATH or in /usr/lib/postgresql/*/bin",
            f"install postgresql or set {ENV_URL}",
        )
    as_root = os.geteuid() == 0
    if as_root and not _user_exists(SERVER_USER):
        unavailable(
            "PostgreSQL tests",
            f"running as root and there is no '{SERVER_USER}' user to run the server as",
            f"install postgresql or set {ENV_URL}",
        )
    with _server(bindir, as_root) as url:
        yield url


def find_bindir() -> Path | None:
    """The newest folder holding all the server tools: pg_ctl's own folder on PATH, else Debian's layout."""
    on_path = shutil.which("pg_ctl")
    # Debian puts server binaries outside PATH, and /usr/bin/pg_ctl may be a wrapper script elsewhere.
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: _version(Path(d).parent.name), reverse=True)
    candidates = ([Path(on_path).resolve().parent] if on_path else []) + [Path(d) for d in debian]
    return next((d for d in candidates if all((d / tool).is_file() for tool in TOOLS)), None)


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def _server(bindir: Path, as_root: bool) -> Iterator[str]:
    # mkdtemp under /tmp (not pytest's 0700 tmp tree) so the postgres user can reach it; short socket path.
    workdir = Path(tempfile.mkdtemp(prefix="weather-pg-"))
    data, log_file, port = workdir / "data", workdir / "server.log", free_port()
    prefix = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
    if as_root:
        shutil.chown(workdir, SERVER_USER)

    def run(tool: str, *args: str, check: bool = True) -> None:
        subprocess.run([*prefix, str(bindir / tool), *args], cwd=workdir, check=check, capture_output=True, timeout=60)

    try:
        try:
            run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
            # -F: no fsync, a throwaway server needs no durability; -k: the unix socket stays in the temp dir.
            options = f"-h 127.0.0.1 -p {port} -k {workdir} -F"
            run("pg_ctl", "start", "-w", "-t", "30", "-D", str(data), "-l", str(log_file), "-o", options)
            run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE)
        except (OSError, subprocess.SubprocessError) as error:
            output = getattr(error, "stderr", b"") or b""
            server_log = log_file.read_text(errors="replace") if log_file.exists() else ""
            pytest.fail(f"could not start PostgreSQL from {bindir}: {error}\n{output.decode()}\n{server_log}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        if (data / "postmaster.pid").exists():  # a server is (still) running
            run("pg_ctl", "stop", "-D", str(data), "-m", "immediate", check=False)
        shutil.rmtree(workdir, ignore_errors=True)

"""Shared fixtures. OCR is the slow part, so the sample corpus is generated and
ingested once per session; tests that change state use their own DANGAN_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dangan.config import Settings

FORMATS = ("png", "jpeg", "tiff", "pdf_image", "pdf_text")

# DANGAN_TEST_CATALOG=postgresql runs the tests that use a DANGAN_HOME on the
# PostgreSQL catalog instead: each home gets a database of its own on the test
# server (scripts/services/postgres.sh). scripts/test.sh runs part of the suite
# this way after the main run.
PG_CATALOG = os.environ.get("DANGAN_TEST_CATALOG") == "postgresql"
_PG_URLS: dict[str, str] = {}


def catalog_env(home: Path | str) -> dict[str, str]:
    """The catalog setting for a test's DANGAN_HOME (none: SQLite in the home)."""
    if not PG_CATALOG:
        return {}
    key = str(Path(home).resolve())
    if key not in _PG_URLS:
        import services

        base = services.start("postgres")
        _PG_URLS[key] = pg_database(base)["DANGAN_DATABASE_URL"]
    return {"DANGAN_DATABASE_URL": _PG_URLS[key]}


# Fixtures that start real servers or run real OCR over the sample corpus: a test
# using one belongs to the full run (CI), not to `scripts/test.sh --fast`.
SLOW_FIXTURES = {"corpus", "ingested", "minio_env", "elastic_env", "postgres_env", "clamd_env"}
# Test modules whose tests run OCR, start processes or a browser throughout.
SLOW_MODULES = {
    "test_browser",
    "test_capture_e2e",
    "test_cli_end_to_end",
    "test_crash_safety",
    "test_demo",
    "test_integration",
    "test_ocr_input",
    "test_ocr_boundaries",
    "test_ocr_pool",
    "test_preprocess",
    "test_rapid",
}


# Parameters that put a test on a real server (e.g. `archive[minio]`, `[postgresql]`).
SERVER_PARAMS = ("minio", "postgres", "elastic", "s3")


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        params = item.name.partition("[")[2].lower()
        if (
            module in SLOW_MODULES
            or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
            or any(server in params for server in SERVER_PARAMS)
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def _catalog_for_every_home():
    """With DANGAN_TEST_CATALOG=postgresql, settings built for a home in tests
    point at that home's PostgreSQL database."""
    if not PG_CATALOG:
        yield
        return
    original = Settings.from_env.__func__

    def from_env(cls, env=None):
        env = dict(os.environ if env is None else env)
        if "DANGAN_DATABASE_URL" not in env and env.get("DANGAN_HOME"):
            env.update(catalog_env(env["DANGAN_HOME"]))
        return original(cls, env)

    Settings.from_env = classmethod(from_env)
    yield
    Settings.from_env = classmethod(original)
    _drop_databases(list(_PG_URLS.values()))


def _drop_databases(urls: list[str]) -> None:
    import psycopg

    if not urls:
        return
    admin = urls[0].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for url in urls:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def run_cli(
    home: Path, *args: str, env: dict | None = None, check: bool = False, input: str | None = None
):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_")}
    full_env["DANGAN_HOME"] = str(home)
    full_env.update(catalog_env(home))
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "dangan", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=900,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dangan {args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"DANGAN_HOME": str(tmp_path / "home"), "DANGAN_OCR_JOBS": "2"})


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    from dangan.synth import generate_corpus

    out = tmp_path_factory.mktemp("corpus")
    return generate_corpus(out, 5, seed=11, formats=FORMATS, levels=("clean", "light"))


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory):
    from dangan.synth import write_bad_files

    return write_bad_files(tmp_path_factory.mktemp("bad"))


@pytest.fixture(scope="session")
def ingested(tmp_path_factory, corpus, bad_files):
    """One CLI ingest of the whole corpus plus every bad file, in one batch."""
    home = tmp_path_factory.mktemp("home")
    paths = []
    for doc in corpus:
        paths.append(str(doc.path))
    paths.insert(2, str(bad_files["corrupt"]))
    paths += [str(p) for p in bad_files.values()]
    proc = run_cli(home, "ingest", "--json", *paths)
    results = json_lines(proc.stdout)
    return {"home": home, "results": results, "returncode": proc.returncode, "stderr": proc.stderr}


@pytest.fixture(scope="session")
def minio_env() -> dict[str, str]:
    """A real MinIO server (scripts/services/minio.sh): its DANGAN_S3_* settings.
    Each user of it takes a bucket of its own (see `minio_bucket`)."""
    import services

    return services.start("minio")


@pytest.fixture(scope="session")
def elastic_env() -> dict[str, str]:
    """A real Elasticsearch node (scripts/services/elasticsearch.sh): its
    DANGAN_SEARCH_URL. Each user of it takes an index of its own."""
    import services

    return services.start("elasticsearch")


@pytest.fixture(scope="session")
def postgres_env():
    """A real PostgreSQL server (scripts/services/postgres.sh): its
    DANGAN_DATABASE_URL (the maintenance database). Each user of it takes a
    database of its own (see `pg_database`); they are dropped at the end."""
    import psycopg
    import services

    env = services.start("postgres")
    yield env
    with psycopg.connect(env["DANGAN_DATABASE_URL"], autocommit=True) as conn:
        names = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'test_%'")
        for (name,) in names.fetchall():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_database(env: dict[str, str]) -> dict[str, str]:
    """The PostgreSQL settings with a fresh, empty database."""
    import uuid

    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(env["DANGAN_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = env["DANGAN_DATABASE_URL"].rsplit("/", 1)[0]
    return {**env, "DANGAN_DATABASE_URL": f"{base}/{name}"}


def minio_bucket(env: dict[str, str]) -> dict[str, str]:
    """The MinIO settings with a fresh bucket, so tests never share objects."""
    import uuid

    return {**env, "DANGAN_S3_BUCKET": f"test-{uuid.uuid4().hex[:12]}"}


def login(client, *roles: str, username: str | None = None) -> str:
    """Create a user with `roles` in the app's account store and log the test
    client in as that user (the session cookie stays on the client). The client
    then sends `Origin` as a browser on dangan's own pages does (api/security.py
    refuses state-changing requests with the session cookie from elsewhere)."""
    client.headers["origin"] = str(client.base_url).rstrip("/")
    username = username or "u_" + "_".join(roles)
    password = "test-password-1234"
    accounts = client.app.state.accounts
    if not any(u["username"] == username for u in accounts.list_users()):
        accounts.add_user(username, username, set(roles), password)
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return username

from __future__ import annotations

import hashlib

import pytest
from dangan.catalog.blobs import LocalBlobStore

from dangan.config import Settings
from dangan.errors import ConfigError


def test_blob_roundtrip_hash_list_delete(tmp_path):
    store = LocalBlobStore(tmp_path / "b")
    info = store.put_bytes("records/ab/x/original.pdf", b"hello")
    assert info.sha256 == hashlib.sha256(b"hello").hexdigest() and info.size == 5
    with store.open("records/ab/x/original.pdf") as fh:
        assert fh.read() == b"hello"
    assert list(store.list("records")) == ["records/ab/x/original.pdf"]
    store.delete("records/ab/x/original.pdf")
    assert not store.exists("records/ab/x/original.pdf")
    assert list(store.list("records")) == []


def test_blob_keys_cannot_escape_the_root(tmp_path):
    store = LocalBlobStore(tmp_path / "b")
    with pytest.raises(ValueError):
        store.put_bytes("../outside", b"x")


def test_settings_default_home_and_errors():
    assert Settings.from_env({}).home.name == "dangan"
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_OCR_JOBS": "many"})
    assert "DANGAN_OCR_JOBS" in err.value.message
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_HOEM": "/tmp/x"})
    assert "DANGAN_HOEM" in err.value.message


def test_every_setting_is_documented_in_readme():
    from pathlib import Path

    from dangan.config import SETTINGS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name in SETTINGS:
        assert name in readme, name


def test_docker_compose_is_in_step_with_the_settings():
    from pathlib import Path

    import yaml

    from dangan.config import SETTINGS, Settings

    compose = yaml.safe_load((Path(__file__).parent.parent / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "minio", "elasticsearch", "api", "worker"} <= set(services)
    for name in ("api", "worker"):
        env = {k: str(v) for k, v in services[name]["environment"].items()}
        assert set(env) <= set(SETTINGS), set(env) - set(SETTINGS)
        settings = Settings.from_env(env)  # every value is one dangan accepts
        assert settings.s3_endpoint == "http://minio:9000"
        assert settings.search_url == "http://elasticsearch:9200"
        assert settings.s3_secret_key == services["minio"]["environment"]["MINIO_ROOT_PASSWORD"]
        db = services["postgres"]["environment"]
        assert settings.database_url == (
            f"postgresql://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@postgres:5432/"
            f"{db['POSTGRES_DB']}"
        )
        assert settings.task_runner == "procrastinate"
    assert services["worker"]["command"][:2] == ["dangan", "worker"]


@pytest.mark.slow  # needs docker-compose, which only the full tier installs
def test_docker_compose_accepts_the_file():
    """`docker-compose config` (Debian's, installed by scripts/test.sh) parses and
    validates the file without a Docker engine. Slow tier: the fast tier installs
    nothing beyond the virtual environment, so on a fresh machine it has none."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).parent.parent
    proc = subprocess.run(
        ["docker-compose", "-f", str(root / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_an_unreachable_or_malformed_search_url_stops_start_up_by_name(tmp_path):
    import time

    from dangan.archive import Archive

    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_SEARCH_URL": "elasticsearch:9200"})
    assert "DANGAN_SEARCH_URL" in err.value.message
    settings = Settings.from_env(
        {"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_SEARCH_URL": "http://127.0.0.1:1"}
    )
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        Archive.open(settings)
    assert "DANGAN_SEARCH_URL" in err.value.message
    assert time.monotonic() - started < 60
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_OCR_ENGINE": "paddle"})
    assert "DANGAN_OCR_ENGINE" in err.value.message


def test_a_malformed_or_unreachable_database_stops_start_up_by_name(tmp_path):
    from dangan.archive import Archive

    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_DATABASE_URL": "mysql://db/dangan"})
    assert "DANGAN_DATABASE_URL" in err.value.message
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_TASK_RUNNER": "procrastinate"})  # needs PostgreSQL
    assert "DANGAN_DATABASE_URL" in err.value.message
    settings = Settings.from_env(
        {
            "DANGAN_HOME": str(tmp_path / "h"),
            "DANGAN_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/dangan",
        }
    )
    with pytest.raises(ConfigError) as err:
        Archive.open(settings)
    assert "DANGAN_DATABASE_URL" in err.value.message

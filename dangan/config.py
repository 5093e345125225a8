"""Settings: read once from the environment at start-up, never at import time.

Every setting is declared here once; the CLI, the API and README use this table.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dangan.errors import ConfigError

DEFAULT_HOME = Path.home() / ".local" / "share" / "dangan"

# name -> (description, default shown to people)
SETTINGS: dict[str, tuple[str, str]] = {
    "DANGAN_HOME": ("Data directory holding all state (catalog, blobs, index).", str(DEFAULT_HOME)),
    "DANGAN_OCR_ENGINE": (
        "Text recognition inside OCRmyPDF: rapidocr (PP-OCRv4 models from the wheel) or tesseract.",
        "rapidocr",
    ),
    "DANGAN_OCR_LANGUAGES": ("Tesseract languages for OCR.", "chi_sim+eng"),
    "DANGAN_OCR_JOBS": ("Parallel OCR workers (pages or files).", "number of CPU cores"),
    "DANGAN_OCR_PREPROCESS": (
        "Page preprocessing before OCR, comma-separated: orient (RapidOCR: sideways and upside-down"
        " pages read upright), seal, border (dark scanner borders), blank (blank pages reported,"
        " not OCR'd), denoise, binarize, rotate and deskew (Tesseract); or none.",
        "orient,seal,border,blank,denoise",
    ),
    "DANGAN_OCR_TIMEOUT": ("Seconds allowed for OCR of one page before it is reported.", "180"),
    "DANGAN_MAX_FILE_MB": ("Largest accepted file, in MiB.", "200"),
    "DANGAN_MAX_PAGES": ("Most pages accepted in one file.", "500"),
    "DANGAN_FONDS_CODE": ("全宗号 (fonds code) at the start of every 档号.", "Q001"),
    "DANGAN_ARCHIVE_TYPE_CODE": ("门类代码 (archive type code) in every 档号.", "YW"),
    "DANGAN_REVIEW_THRESHOLD": (
        "Classification confidence below which a record goes to the review queue.",
        "0.8",
    ),
    "DANGAN_INTAKE_WORKERS": (
        "Intake worker threads inside `dangan serve` (0: only separate `dangan worker` processes).",
        "1",
    ),
    "DANGAN_INTAKE_LEASE": (
        "Seconds without a heartbeat after which another worker takes over a job.",
        "60",
    ),
    "DANGAN_DATABASE_URL": (
        "Catalog database, e.g. postgresql://dangan:secret@db:5432/dangan; unset: SQLite under DANGAN_HOME.",
        "(unset)",
    ),
    "DANGAN_TASK_RUNNER": (
        "Who runs intake jobs: embedded (threads and `dangan worker` processes sharing the catalog)"
        " or procrastinate (a distributed queue on the PostgreSQL catalog; needs DANGAN_DATABASE_URL).",
        "embedded",
    ),
    "DANGAN_S3_ENDPOINT": (
        "Object store (MinIO/S3) address, e.g. http://minio:9000; unset: files under DANGAN_HOME.",
        "(unset)",
    ),
    "DANGAN_S3_BUCKET": ("Bucket holding originals, PDFs and page images.", "dangan"),
    "DANGAN_S3_ACCESS_KEY": ("Object store access key (required with DANGAN_S3_ENDPOINT).", ""),
    "DANGAN_S3_SECRET_KEY": ("Object store secret key (required with DANGAN_S3_ENDPOINT).", ""),
    "DANGAN_S3_REGION": ("Object store region, where the server wants one.", "(unset)"),
    "DANGAN_SEARCH_URL": (
        "Elasticsearch 8 address, e.g. http://elasticsearch:9200; unset: embedded SQLite FTS5 index.",
        "(unset)",
    ),
    "DANGAN_SEARCH_INDEX": ("Elasticsearch index name.", "dangan-records"),
    "DANGAN_HOST": ("Address `dangan serve` listens on.", "127.0.0.1"),
    "DANGAN_PORT": ("Port `dangan serve` listens on.", "8000"),
    "DANGAN_CLAMD": (
        "ClamAV daemon for the 四性检测 virus scan: unix:/run/clamav/clamd.ctl or tcp://host:3310;"
        " unset: the scan is reported as 未配置 (not run).",
        "(unset)",
    ),
    "DANGAN_VERAPDF": (
        "Folder with veraPDF made by scripts/verapdf.sh, for the PDF/A check (KY-03);"
        " `none`: only the structural PDF/A check.",
        "~/.cache/dangan/verapdf",
    ),
    "DANGAN_FIXITY_RATE": (
        "Objects per second the scheduled fixity sweep reads at most (0: no limit).",
        "20",
    ),
}


def _float01(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"设置 {name} 必须是 0 到 1 之间的小数，当前为 {raw!r}。") from exc
    if not 0 <= value <= 1:
        raise ConfigError(f"设置 {name} 必须是 0 到 1 之间的小数，当前为 {raw!r}。")
    return value


def _code(env: dict[str, str], name: str, default: str) -> str:
    value = (env.get(name) or default).strip()
    if not value or not value.replace("_", "").isalnum() or "-" in value or "·" in value:
        raise ConfigError(f"设置 {name} 只能由字母和数字组成（不能含“-”或“·”），当前为 {value!r}。")
    return value


def _steps(env: dict[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    from ocr.tesseract import PREPROCESS_STEPS

    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw.strip().lower() == "none":
        return ()
    steps = tuple(s.strip() for s in raw.split(",") if s.strip())
    unknown = [s for s in steps if s not in PREPROCESS_STEPS]
    if unknown:
        raise ConfigError(
            f"设置 {name} 含未知步骤：{'、'.join(unknown)}。可用：{'、'.join(PREPROCESS_STEPS)}，或 none。"
        )
    return steps


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name} 的值 {value!r} 无效，可用：{'、'.join(allowed)}。")
    return value


def _bucket(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name):
        raise ConfigError(
            f"DANGAN_S3_BUCKET 的值 {name!r} 不是有效的存储桶名："
            "只能用小写字母、数字、点和连字符，3 到 63 个字符。"
        )
    return name


def _url(env: dict[str, str], name: str) -> str | None:
    value = env.get(name) or None
    if value and not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(f"{name} 的值 {value!r} 不是 http:// 或 https:// 开头的地址。")
    return value


def _database_url(env: dict[str, str]) -> str | None:
    value = (env.get("DANGAN_DATABASE_URL") or "").strip()
    if value and not re.match(r"^(postgres(ql)?(\+psycopg)?://\S+|sqlite:///\S+)$", value):
        raise ConfigError(
            f"DANGAN_DATABASE_URL 的值 {value!r} 不是 postgresql:// 或 sqlite:/// 开头的数据库地址。"
        )
    return value or None


def _index_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,200}", name):
        raise ConfigError(
            f"DANGAN_SEARCH_INDEX 的值 {name!r} 不是有效的索引名：只能用小写字母、数字、-、_ 和点。"
        )
    return name


def _verapdf(env: dict[str, str]) -> Path | None:
    value = (env.get("DANGAN_VERAPDF") or "").strip()
    if value.lower() == "none":
        return None
    return Path(value or "~/.cache/dangan/verapdf").expanduser()


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"设置 {name} 必须是整数，当前为 {raw!r}。") from exc
    if value < minimum:
        raise ConfigError(f"设置 {name} 不能小于 {minimum}，当前为 {raw!r}。")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    ocr_engine: str = "rapidocr"
    ocr_languages: str = "chi_sim+eng"
    ocr_jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    ocr_timeout: int = 180
    ocr_preprocess: tuple[str, ...] = ("orient", "seal", "border", "blank", "denoise")
    max_file_bytes: int = 200 * 1024 * 1024
    max_pages: int = 500
    fonds_code: str = "Q001"
    archive_type_code: str = "YW"
    review_threshold: float = 0.8
    intake_workers: int = 1
    intake_lease: int = 60
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    task_runner: str = "embedded"
    s3_endpoint: str | None = None
    s3_bucket: str = "dangan"
    s3_access_key: str = ""
    s3_secret_key: str = field(default="", repr=False)
    s3_region: str | None = None
    search_url: str | None = None
    search_index: str = "dangan-records"
    clamd: str | None = None
    verapdf: Path | None = Path("~/.cache/dangan/verapdf").expanduser()
    fixity_rate: int = 20

    @property
    def model_dir(self) -> Path:
        return self.home / "models"

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite3"

    @property
    def index_path(self) -> Path:
        return self.home / "index.sqlite3"

    @property
    def blob_root(self) -> Path:
        return self.home / "blobs"

    @property
    def work_root(self) -> Path:
        return self.home / "work"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        unknown = sorted(k for k in env if k.startswith("DANGAN_") and k not in SETTINGS)
        unknown = [k for k in unknown if not k.startswith("DANGAN_TEST_")]
        if unknown:
            raise ConfigError(
                f"未知的设置：{', '.join(unknown)}。请检查拼写（见 README 的“配置”一节）。"
            )
        home = Path(env.get("DANGAN_HOME") or DEFAULT_HOME).expanduser()
        s3_endpoint = env.get("DANGAN_S3_ENDPOINT") or None
        if s3_endpoint:
            missing = [
                n for n in ("DANGAN_S3_ACCESS_KEY", "DANGAN_S3_SECRET_KEY") if not env.get(n)
            ]
            if missing:
                raise ConfigError(
                    f"设置了 DANGAN_S3_ENDPOINT，但缺少 {'、'.join(missing)}。"
                    "请一并设置对象存储的访问密钥。"
                )
        database_url = _database_url(env)
        task_runner = _choice(env, "DANGAN_TASK_RUNNER", ("embedded", "procrastinate"), "embedded")
        if task_runner == "procrastinate" and not (database_url or "").startswith("postgres"):
            raise ConfigError(
                "DANGAN_TASK_RUNNER=procrastinate 需要 PostgreSQL 目录数据库："
                "请同时设置 DANGAN_DATABASE_URL=postgresql://…。"
            )
        return cls(
            home=home,
            ocr_engine=_choice(env, "DANGAN_OCR_ENGINE", ("rapidocr", "tesseract"), "rapidocr"),
            ocr_languages=env.get("DANGAN_OCR_LANGUAGES") or "chi_sim+eng",
            ocr_jobs=_int(env, "DANGAN_OCR_JOBS", os.cpu_count() or 1),
            ocr_timeout=_int(env, "DANGAN_OCR_TIMEOUT", 180),
            ocr_preprocess=_steps(env, "DANGAN_OCR_PREPROCESS", cls.ocr_preprocess),
            max_file_bytes=_int(env, "DANGAN_MAX_FILE_MB", 200) * 1024 * 1024,
            max_pages=_int(env, "DANGAN_MAX_PAGES", 500),
            fonds_code=_code(env, "DANGAN_FONDS_CODE", "Q001"),
            archive_type_code=_code(env, "DANGAN_ARCHIVE_TYPE_CODE", "YW"),
            review_threshold=_float01(env, "DANGAN_REVIEW_THRESHOLD", 0.8),
            intake_workers=_int(env, "DANGAN_INTAKE_WORKERS", 1, minimum=0),
            intake_lease=_int(env, "DANGAN_INTAKE_LEASE", 60),
            host=env.get("DANGAN_HOST") or "127.0.0.1",
            port=_int(env, "DANGAN_PORT", 8000),
            database_url=database_url,
            task_runner=task_runner,
            s3_endpoint=s3_endpoint,
            s3_bucket=_bucket(env.get("DANGAN_S3_BUCKET") or "dangan"),
            s3_access_key=env.get("DANGAN_S3_ACCESS_KEY") or "",
            s3_secret_key=env.get("DANGAN_S3_SECRET_KEY") or "",
            s3_region=env.get("DANGAN_S3_REGION") or None,
            search_url=_url(env, "DANGAN_SEARCH_URL"),
            search_index=_index_name(env.get("DANGAN_SEARCH_INDEX") or "dangan-records"),
            clamd=(env.get("DANGAN_CLAMD") or "").strip() or None,
            verapdf=_verapdf(env),
            fixity_rate=_int(env, "DANGAN_FIXITY_RATE", 20, minimum=0),
        )

    def ensure_dirs(self) -> None:
        for path in (self.home, self.blob_root, self.work_root):
            path.mkdir(parents=True, exist_ok=True)

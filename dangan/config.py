"""Settings: read once from the environment at start-up, never at import time.

Every setting is declared here once; the CLI, the API and README use this table.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dangan.errors import ConfigError
from dangan.ocr_models import DEFAULT_MODEL, DEFAULT_RUNTIME, MODELS, RUNTIMES
from dangan.ocr_steps import DEFAULT_STEPS, Steps, parse_steps, steps_text
from dangan.webhook_url import Allow

DEFAULT_HOME = Path.home() / ".local" / "share" / "dangan"

# name -> (description, default shown to people)
SETTINGS: dict[str, tuple[str, str]] = {
    "DANGAN_HOME": ("Data directory holding all state (catalog, blobs, index).", str(DEFAULT_HOME)),
    "DANGAN_OCR_ENGINE": (
        "Text recognition inside OCRmyPDF: rapidocr (PP-OCR models from the wheels) or tesseract.",
        "rapidocr",
    ),
    "DANGAN_OCR_MODEL": (
        "RapidOCR's models: ppocr-v6 (PP-OCRv6 small, in the rapidocr wheel) or ppocr-v4"
        " (PP-OCRv4 mobile, in the rapidocr-onnxruntime wheel).",
        DEFAULT_MODEL,
    ),
    "DANGAN_OCR_RUNTIME": (
        "Runtime for RapidOCR's models: openvino or onnxruntime.",
        DEFAULT_RUNTIME,
    ),
    "DANGAN_OCR_LANGUAGES": ("Tesseract languages for OCR.", "chi_sim+eng"),
    "DANGAN_OCR_JOBS": ("Parallel OCR workers (pages or files).", "number of CPU cores"),
    "DANGAN_OCR_PREPROCESS": (
        "Page preprocessing before OCR, comma-separated: orient (RapidOCR: sideways and upside-down"
        " pages read upright), seal, border (dark scanner borders), blank (blank pages reported,"
        " not OCR'd), denoise, binarize, rotate and deskew (Tesseract); or none.",
        steps_text(DEFAULT_STEPS),
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
    "DANGAN_KEY_DIR": (
        "Directory of secret keys (audit chain HMAC keys, pseudonym key), 0700; keep it off the"
        " catalog's backups and readable only by the service account.",
        "DANGAN_HOME/keys",
    ),
    "DANGAN_AUDIT_ANCHOR_FILE": (
        "Append-only file the audit chain is anchored in (make it `chattr +a`); outside the catalog.",
        "DANGAN_HOME/audit-anchor.log",
    ),
    "DANGAN_AUDIT_ANCHOR_EVERY": (
        "With an object store: anchor every Nth audit entry as an Object Lock object (about 10 ms"
        " each; the anchor file takes every entry).",
        "100",
    ),
    "DANGAN_AUDIT_LOCK_DAYS": (
        "Days the audit anchors in bucket <DANGAN_S3_BUCKET>-audit are kept under COMPLIANCE lock.",
        "3650",
    ),
    "DANGAN_SEARCH_TIMEOUT": (
        "Seconds one search may run (either backend) before it is stopped with a message.",
        "10",
    ),
    "DANGAN_SEARCH_COUNT_LIMIT": (
        "Matching records a search counts exactly (either backend); above it the total is"
        " shown as 超过 N 件 and the search stops reading, so common words cost the same in"
        " any size of archive.",
        "1000",
    ),
    "DANGAN_SEARCH_SHARDS": (
        "Elasticsearch: primary shards of the index, set when it is made (another count"
        " takes `dangan reindex --rebuild`).",
        "1",
    ),
    "DANGAN_SEARCH_REPLICAS": (
        "Elasticsearch: copies of each shard on other nodes (0 on a single node); applied to"
        " the index when dangan starts.",
        "0",
    ),
    "DANGAN_WEBHOOK_ALLOW": (
        "Internal webhook targets allowed, comma-separated networks (CIDR) or host names,"
        " e.g. 10.20.0.0/16,ywxt.yb.local; unset: webhooks only to public addresses.",
        "(unset)",
    ),
    "DANGAN_HOTFOLDERS": (
        "TOML file naming the scanners' output folders the workers watch ([[folder]]: name, path,"
        " mode cover|separator|file, duplex simplex|duplex|collate, default_class,"
        " stable_seconds, poll); unset: no hot folders.",
        "(unset)",
    ),
    "DANGAN_AGENCY_NAME": ("Agency name printed at the top of cover sheets (封面).", "(unset)"),
    "DANGAN_HOST": ("Address `dangan serve` listens on.", "127.0.0.1"),
    "DANGAN_WEB_PROCESSES": (
        "Processes `dangan serve` answers requests with (one Python process searches on about"
        " one core); one of them also runs the intake workers, webhook deliveries and index"
        " catch-up.",
        "1",
    ),
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
    "DANGAN_LOGIN_MAX_FAILURES": (
        "Wrong passwords in a row after which an account name is locked.",
        "5",
    ),
    "DANGAN_LOGIN_LOCK_MINUTES": (
        "Minutes an account name (or a client address) stays locked after too many failures.",
        "15",
    ),
    "DANGAN_LOGIN_IP_MAX_FAILURES": (
        "Failed logins from one client address within the lock period after which that"
        " address is refused.",
        "20",
    ),
    "DANGAN_SESSION_IDLE_MINUTES": ("Minutes without a request after which a session ends.", "30"),
    "DANGAN_SESSION_HOURS": ("Hours after login at which a session ends in any case.", "10"),
    "DANGAN_PASSWORD_MAX_AGE_DAYS": (
        "Days after which a password must be changed at the next login (0: never).",
        "0",
    ),
    "DANGAN_TRUSTED_PROXIES": (
        "Reverse proxies (IP addresses or CIDR networks, comma-separated) whose X-Forwarded-For"
        " and X-Forwarded-Proto are believed; unset: none, the peer address is the client.",
        "(unset)",
    ),
    "DANGAN_SECURE_COOKIES": (
        "Session cookie with the Secure flag: auto (when the request arrived over https, as the"
        " app or a trusted proxy sees it) or always.",
        "auto",
    ),
    "DANGAN_FRAME_ANCESTORS": (
        "Origins allowed to show dangan's pages in a frame (space-separated, CSP"
        " frame-ancestors); unset: none.",
        "(unset)",
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


def _steps(env: dict[str, str], name: str) -> Steps:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return DEFAULT_STEPS
    return parse_steps(raw, f"设置 {name}")


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


def _allow(env: dict[str, str]) -> Allow:
    try:
        return Allow.parse(env.get("DANGAN_WEBHOOK_ALLOW"))
    except ValueError as exc:
        raise ConfigError(
            f"DANGAN_WEBHOOK_ALLOW 中的“{exc}”既不是网段（如 10.20.0.0/16）也不是主机名。"
        ) from exc


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


def _path(env: dict[str, str], name: str) -> Path | None:
    raw = env.get(name)
    return Path(raw).expanduser() if raw else None


def _networks(env: dict[str, str], name: str) -> tuple[str, ...]:
    import ipaddress

    items = tuple(p.strip() for p in (env.get(name) or "").split(",") if p.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ConfigError(
                f"设置 {name} 中的 {item!r} 不是 IP 地址或网段（如 10.0.0.5 或 10.0.0.0/24）。"
            ) from exc
    return items


def _origins(env: dict[str, str], name: str) -> tuple[str, ...]:
    items = tuple((env.get(name) or "").split())
    for item in items:
        if item != "'self'" and not re.fullmatch(r"https?://[A-Za-z0-9.*-]+(:[0-9]+)?", item):
            raise ConfigError(
                f"设置 {name} 中的 {item!r} 不是来源地址（如 https://ywxt.example.gov.cn）。"
            )
    return items


@dataclass(frozen=True)
class Settings:
    home: Path
    ocr_engine: str = "rapidocr"
    ocr_model: str = DEFAULT_MODEL
    ocr_runtime: str = DEFAULT_RUNTIME
    ocr_languages: str = "chi_sim+eng"
    ocr_jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    ocr_timeout: int = 180
    ocr_preprocess: Steps = DEFAULT_STEPS
    max_file_bytes: int = 200 * 1024 * 1024
    max_pages: int = 500
    fonds_code: str = "Q001"
    archive_type_code: str = "YW"
    review_threshold: float = 0.8
    intake_workers: int = 1
    intake_lease: int = 60
    host: str = "127.0.0.1"
    port: int = 8000
    web_processes: int = 1
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
    key_dir: Path | None = None  # None: home / "keys"
    audit_anchor_file: Path | None = None  # None: home / "audit-anchor.log"
    audit_anchor_every: int = 100
    audit_lock_days: int = 3650
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    login_ip_max_failures: int = 20
    session_idle_minutes: int = 30
    session_hours: int = 10
    password_max_age_days: int = 0
    trusted_proxies: tuple[str, ...] = ()
    secure_cookies: str = "auto"
    frame_ancestors: tuple[str, ...] = ()

    search_timeout: int = 10
    search_count_limit: int = 1_000
    search_shards: int = 1
    search_replicas: int = 0
    hotfolders: Path | None = None
    agency_name: str = ""
    webhook_allow: Allow = field(default_factory=Allow)

    @property
    def keys_path(self) -> Path:
        return self.key_dir or self.home / "keys"

    @property
    def anchor_path(self) -> Path:
        return self.audit_anchor_file or self.home / "audit-anchor.log"

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
            ocr_model=_choice(env, "DANGAN_OCR_MODEL", MODELS, DEFAULT_MODEL),
            ocr_runtime=_choice(env, "DANGAN_OCR_RUNTIME", RUNTIMES, DEFAULT_RUNTIME),
            ocr_languages=env.get("DANGAN_OCR_LANGUAGES") or "chi_sim+eng",
            ocr_jobs=_int(env, "DANGAN_OCR_JOBS", os.cpu_count() or 1),
            ocr_timeout=_int(env, "DANGAN_OCR_TIMEOUT", 180),
            ocr_preprocess=_steps(env, "DANGAN_OCR_PREPROCESS"),
            max_file_bytes=_int(env, "DANGAN_MAX_FILE_MB", 200) * 1024 * 1024,
            max_pages=_int(env, "DANGAN_MAX_PAGES", 500),
            fonds_code=_code(env, "DANGAN_FONDS_CODE", "Q001"),
            archive_type_code=_code(env, "DANGAN_ARCHIVE_TYPE_CODE", "YW"),
            review_threshold=_float01(env, "DANGAN_REVIEW_THRESHOLD", 0.8),
            intake_workers=_int(env, "DANGAN_INTAKE_WORKERS", 1, minimum=0),
            intake_lease=_int(env, "DANGAN_INTAKE_LEASE", 60),
            host=env.get("DANGAN_HOST") or "127.0.0.1",
            port=_int(env, "DANGAN_PORT", 8000),
            web_processes=_int(env, "DANGAN_WEB_PROCESSES", 1),
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
            key_dir=_path(env, "DANGAN_KEY_DIR"),
            audit_anchor_file=_path(env, "DANGAN_AUDIT_ANCHOR_FILE"),
            audit_anchor_every=_int(env, "DANGAN_AUDIT_ANCHOR_EVERY", 100),
            audit_lock_days=_int(env, "DANGAN_AUDIT_LOCK_DAYS", 3650),
            login_max_failures=_int(env, "DANGAN_LOGIN_MAX_FAILURES", 5),
            login_lock_minutes=_int(env, "DANGAN_LOGIN_LOCK_MINUTES", 15),
            login_ip_max_failures=_int(env, "DANGAN_LOGIN_IP_MAX_FAILURES", 20),
            session_idle_minutes=_int(env, "DANGAN_SESSION_IDLE_MINUTES", 30),
            session_hours=_int(env, "DANGAN_SESSION_HOURS", 10),
            password_max_age_days=_int(env, "DANGAN_PASSWORD_MAX_AGE_DAYS", 0, minimum=0),
            trusted_proxies=_networks(env, "DANGAN_TRUSTED_PROXIES"),
            secure_cookies=_choice(env, "DANGAN_SECURE_COOKIES", ("auto", "always"), "auto"),
            frame_ancestors=_origins(env, "DANGAN_FRAME_ANCESTORS"),
            search_timeout=_int(env, "DANGAN_SEARCH_TIMEOUT", 10),
            search_count_limit=_int(env, "DANGAN_SEARCH_COUNT_LIMIT", 1_000, minimum=100),
            search_shards=_int(env, "DANGAN_SEARCH_SHARDS", 1),
            search_replicas=_int(env, "DANGAN_SEARCH_REPLICAS", 0, minimum=0),
            hotfolders=_path(env, "DANGAN_HOTFOLDERS"),
            agency_name=(env.get("DANGAN_AGENCY_NAME") or "").strip(),
            webhook_allow=_allow(env),
        )

    def ensure_dirs(self) -> None:
        for path in (self.home, self.blob_root, self.work_root):
            path.mkdir(parents=True, exist_ok=True)

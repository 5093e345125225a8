"""One exception hierarchy. Messages are for people (Simplified Chinese);
`exit_code` and `http_status` are mapped in one place each (CLI, API)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status of the `dangan` command, in one place. 2 is left to
    argparse (a usage error); scripts may rely on these numbers."""

    OK = 0
    FAILED = 1  # an unexpected error, or a check that found a problem (migrate --check)
    USAGE = 2  # argparse: unknown option or missing argument
    CONFIG = 3
    REJECTED = 4  # at least one input file was refused; the rest were processed
    OCR = 5
    NOT_FOUND = 6
    SCHEDULE = 7
    REVIEW = 8
    ACCESS = 9
    AUDIT = 10
    PROCEDURE = 11
    TRANSFER = 12
    INVALID_INPUT = 13  # a value given on the command line is not valid (ID number, URL…)
    DISK_FULL = 14  # no space left on the device (ENOSPC)
    INTERRUPTED = 130


class DanganError(Exception):
    """Base of every error dangan reports to a person."""

    exit_code = ExitCode.FAILED
    http_status = 500
    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(DanganError):
    exit_code = ExitCode.CONFIG
    code = "config"


class RejectedFile(DanganError):
    """An input file that cannot be archived; the message says what to do."""

    exit_code = ExitCode.REJECTED
    http_status = 422
    code = "rejected"

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class OcrFailed(DanganError):
    exit_code = ExitCode.OCR
    http_status = 500
    code = "ocr_failed"


class NotFound(DanganError):
    exit_code = ExitCode.NOT_FOUND
    http_status = 404
    code = "not_found"


class BadQuery(DanganError):
    """A search query too long or with too many terms to be answered safely."""

    exit_code = ExitCode.INVALID_INPUT
    http_status = 400
    code = "bad_query"


class SearchTimeout(DanganError):
    """A search that ran past the time it may take; it was stopped."""

    exit_code = ExitCode.FAILED
    http_status = 503
    code = "search_timeout"


class DiskFull(DanganError):
    """The data directory (or a temporary folder) has no space left (ENOSPC)."""

    exit_code = ExitCode.DISK_FULL
    http_status = 507
    code = "disk_full"

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or "磁盘空间已满，文件未保存、未归档（没有留下不完整的文件）。"
            "请联系管理员清理或扩充存储空间后重新上传。"
        )


_ENOSPC_TEXT = ("No space left on device", "[Errno 28]")


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) is ENOSPC, or a child process reported it."""
    import errno

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if any(t in str(exc) for t in _ENOSPC_TEXT):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False

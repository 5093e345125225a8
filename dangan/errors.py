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

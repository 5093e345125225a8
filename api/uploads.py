"""Multipart uploads read as they stream in, straight into the work root.

FastAPI's `File()` lets Starlette spool every part whole (to the system's
temporary folder) before the route can look at its size, and fails the whole
request with an English 422 when one part has no file name. Here each file
part is written to a file of its own under DANGAN_HOME/work as it arrives, a
part that grows past the size limit stops the request at once with a Chinese
413 (what was written is removed), a request whose declared length cannot fit
on the disk is refused before any byte is read, and a part without a file name
is reported for itself while the other files go on."""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePath

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from dangan import workdirs
from dangan.errors import DanganError, DiskFull

FIELD = "files"
MAX_PARTS = 1000
DISK_RESERVE = 64 * 1024 * 1024  # left free for the catalog and the index

# OpenAPI description of the request body, as `File()` would have given it
OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {
                        FIELD: {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


class UploadTooLarge(DanganError):
    http_status = 413
    code = "too_large"


class BadUpload(DanganError):
    http_status = 400
    code = "bad_upload"


def disk_full(exc: OSError | None = None) -> DiskFull:
    return DiskFull()


@dataclass
class Received:
    """One file part: saved at `path`, or refused with `error` (Chinese)."""

    name: str
    path: Path | None = None
    size: int = 0
    error: str | None = None
    reason: str | None = None


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f} MB"


def _too_large(name: str, max_bytes: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"文件“{name}”超过上限 {max_bytes / 1048576:.0f} MB，本次上传已中止，未保存任何文件。"
        "请拆分成多个文件，或降低扫描分辨率（建议 200–300 dpi）后重新上传。"
    )


def precheck(request: Request, work_root: Path) -> None:
    """Refuse, before reading the body, a request that is not multipart or
    whose declared length does not fit on the disk."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadUpload("请以 multipart/form-data 方式上传文件（表单字段名 files）。")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        work_root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(work_root).free
        if int(declared) + DISK_RESERVE > free:
            raise DiskFull(
                f"磁盘空间不足：本次上传 {_mb(int(declared))}，剩余空间 {_mb(free)}。"
                "磁盘空间已满，文件未保存。请联系管理员清理或扩充存储空间后重新上传。"
            )


class _Parts:
    """python-multipart callbacks collecting the file parts of one request."""

    def __init__(self, work_root: Path, max_bytes: int):
        self.work_root = work_root
        self.max_bytes = max_bytes
        self.received: list[Received] = []
        self.pending: list[tuple[Received, bytes]] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._field = b""
        self._value = b""
        self._current: Received | None = None
        self._in_field = False

    def on_part_begin(self) -> None:
        self._headers = []
        self._current = None
        self._in_field = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers.append((self._field.lower(), self._value))
        self._field = self._value = b""

    def on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        disposition = dict(self._headers).get(b"content-disposition", b"")
        _, options = parse_options_header(disposition)
        if options.get(b"name", b"").decode("utf-8", "replace") != FIELD:
            return  # other fields are not ours: ignored
        if len(self.received) >= MAX_PARTS:
            raise BadUpload(f"一次最多上传 {MAX_PARTS} 个文件，请分批上传。")
        raw = options.get(b"filename")
        name = PurePath(raw.decode("utf-8", "replace")).name if raw else ""
        number = len(self.received) + 1
        if not name:
            self.received.append(
                Received(
                    name="",
                    error=f"第 {number} 个上传项没有文件名（不是文件或文件名为空），已跳过；"
                    "其余文件照常处理。请选择文件后重新上传这一项。",
                    reason="no_filename",
                )
            )
            return
        self._current = Received(name=name)
        self.received.append(self._current)
        self._in_field = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is None:
            return
        self._current.size += end - start
        if self._current.size > self.max_bytes:
            raise _too_large(self._current.name, self.max_bytes)
        self.pending.append((self._current, data[start:end]))

    def on_part_end(self) -> None:
        self._current = None


def _write(pending: list[tuple[Received, bytes]], work_root: Path) -> None:
    for item, data in pending:
        if item.path is None:
            item.path = workdirs.make_file(work_root, "upload")
        with open(item.path, "ab") as out:
            out.write(data)


def discard(received: list[Received]) -> None:
    for item in received:
        if item.path is not None:
            item.path.unlink(missing_ok=True)


async def receive(request: Request, work_root: Path, max_bytes: int) -> list[Received]:
    """Every part of field `files`, saved under `work_root` (or refused); raises
    UploadTooLarge, DiskFull or BadUpload with nothing left behind."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    precheck(request, work_root)
    _, params = parse_options_header(request.headers["content-type"])
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadUpload("上传请求缺少 multipart 分隔符（boundary），请用浏览器或标准客户端上传。")
    parts = _Parts(work_root, max_bytes)
    callbacks = {
        name: getattr(parts, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
    }
    parser = MultipartParser(boundary, callbacks)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if parts.pending:
                batch, parts.pending = parts.pending, []
                await run_in_threadpool(_write, batch, work_root)
        parser.finalize()
    except OSError as exc:
        discard(parts.received)
        if exc.errno == errno.ENOSPC:
            raise disk_full(exc) from exc
        raise
    except DanganError:
        discard(parts.received)
        raise
    except Exception as exc:  # a malformed body (python-multipart's errors), a client gone
        discard(parts.received)
        raise BadUpload("上传内容不完整或格式有误，未保存任何文件。请重新上传。") from exc
    for item in parts.received:
        if item.error is None and item.path is None:  # an empty file: still a file
            item.path = workdirs.make_file(work_root, "upload")
    if not parts.received:
        raise BadUpload("请求中没有文件（表单字段名应为 files）。")
    return parts.received

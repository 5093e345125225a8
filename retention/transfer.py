"""Transfer (移交): a self-describing package of records that can be checked on
its own and imported into another dangan.

Layout of a package directory:

    package.json               what this is, who made it, the records in it
    records/<id>/metadata.json one record: class, dates, 档号, key fields, files
    records/<id>/original.*    the original scan, byte for byte
    records/<id>/archive.pdf   the searchable PDF/A
    manifest-sha256.txt        SHA-256 of every other file, `sha256sum -c` format

`sha256sum -c manifest-sha256.txt` inside the directory verifies it without
dangan; `verify_package` does the same and also checks each metadata file
against the original it describes."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from dangan.errors import DanganError, ExitCode

if TYPE_CHECKING:
    from dangan.archive import Archive

FORMAT = "dangan-transfer/1"
MANIFEST = "manifest-sha256.txt"


class TransferError(DanganError):
    exit_code = ExitCode.TRANSFER
    http_status = 422
    code = "transfer"


def inside(root: Path, name: object) -> Path:
    """`root / name` for a name read from the package (manifest, package.json,
    metadata), refused unless it stays inside the package: no absolute path,
    no `..`, no symbolic link on the way (a link could point anywhere on this
    server). TransferError names the entry."""
    text = name if isinstance(name, str) else repr(name)
    parts = PurePosixPath(text).parts if isinstance(name, str) else ()
    if (
        not parts
        or PurePosixPath(text).is_absolute()
        or "\\" in text
        or "\x00" in text
        or any(p in ("..", ".") for p in parts)
        or (len(parts[0]) >= 2 and parts[0][1] == ":")
    ):
        raise TransferError(
            f"移交包中的条目“{text}”不是包内的相对路径（绝对路径或含“..”），未导入。"
        )
    target = root
    for part in parts:
        target = target / part
        if target.is_symlink():
            raise TransferError(f"移交包中的条目“{text}”是符号链接，可能指向包外的文件，未导入。")
    try:
        target.resolve().relative_to(root.resolve())
    except ValueError:
        raise TransferError(f"移交包中的条目“{text}”指向包外，未导入。") from None
    return target


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def export_package(
    archive: Archive,
    record_ids: list[str],
    out: Path,
    actor: str,
    extras: Callable[[Path], object] | None = None,
) -> dict:
    """Write the package to `out`. `extras(folder)` adds files before the manifest
    is written (the 四性检测 report, 登记表 and metadata XML: preservation.transfer)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise TransferError(f"目录 {out} 不是空的，请指定一个新目录。")
    if not record_ids:
        raise TransferError("没有要移交的档案记录。")
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "records").mkdir(parents=True)
    listed = []
    for rid in record_ids:
        record = archive.catalog.get(rid)
        if record is None:
            raise TransferError(f"没有编号为 {rid} 的档案记录。")
        folder = tmp / "records" / rid
        folder.mkdir()
        files = {}
        for ref in record.files:
            if ref.role not in ("original", "archive_pdf"):
                continue  # page images are derived from the PDF
            name = "archive.pdf" if ref.role == "archive_pdf" else "original" + Path(ref.key).suffix
            with archive.blobs.open(ref.key, ref.sha256) as src, (folder / name).open("wb") as dst:
                shutil.copyfileobj(src, dst)
            if _sha(folder / name) != ref.sha256:
                raise TransferError(
                    f"档案 {rid} 的文件 {name} 与登记的 SHA-256 不符，存储可能已损坏。"
                )
            files[ref.role] = {"name": name, "sha256": ref.sha256, "media_type": ref.media_type}
        metadata = {
            "record_id": record.id,
            "title": record.title,
            "filename": record.filename,
            "archival_code": record.archival_code,
            "doc_type": record.doc_type,
            "category": record.category,
            "retention": record.retention,
            "formed_date": record.formed_date,
            "disposal_date": record.disposal_date,
            "schedule_version": record.schedule_version,
            "page_count": record.page_count,
            "fields": record.fields,
            "files": files,
        }
        (folder / "metadata.json").write_text(
            json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        listed.append(
            {"record_id": rid, "archival_code": record.archival_code, "title": record.title}
        )
    package = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "created_by": actor,
        "fonds_code": archive.settings.fonds_code,
        "records": listed,
    }
    (tmp / "package.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    if extras is not None:
        extras(tmp)
    lines = [
        f"{_sha(p)}  {p.relative_to(tmp).as_posix()}" for p in sorted(tmp.rglob("*")) if p.is_file()
    ]
    (tmp / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if out.exists():
        out.rmdir()
    tmp.rename(out)
    archive.audit.append(actor, "export", None, records=record_ids, package=str(out))
    return {"package": str(out), "records": len(listed)}


def verify_package(path: Path) -> list[str]:
    """Problems found, in Chinese; an empty list means the package is intact."""
    path = Path(path)
    manifest = path / MANIFEST
    if not manifest.is_file():
        return [f"缺少清单文件 {MANIFEST}。"]
    problems = []
    listed = set()
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        listed.add(name)
        try:
            target = inside(path, name)
        except TransferError as exc:
            problems.append(exc.message)
            continue
        if not target.is_file():
            problems.append(f"缺少文件 {name}。")
        elif _sha(target) != digest:
            problems.append(f"文件 {name} 的 SHA-256 与清单不符（被改动或损坏）。")
    for link in sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_symlink()):
        problems.append(f"移交包中的条目“{link}”是符号链接，可能指向包外的文件，未导入。")
    for extra in sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()):
        if extra != MANIFEST and extra not in listed:
            problems.append(f"清单外的文件 {extra}。")
    if problems:
        return problems
    package = json.loads((path / "package.json").read_text(encoding="utf-8"))
    if package.get("format") != FORMAT:
        return [f"不认识的包格式 {package.get('format')!r}。"]
    for item in package["records"]:
        try:
            folder = inside(path / "records", item["record_id"])
            meta = json.loads(inside(folder, "metadata.json").read_text(encoding="utf-8"))
            for role, info in meta["files"].items():
                if _sha(inside(folder, info["name"])) != info["sha256"]:
                    problems.append(f"档案 {item['record_id']} 的 {role} 与其元数据不符。")
        except TransferError as exc:
            problems.append(exc.message)
    return problems

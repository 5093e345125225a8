"""Check an input file before any work is spent on it.

Type is decided by content (magic bytes), never by the name; a name whose
extension disagrees with the content is refused so the clerk can find out
what the file really is. Every refusal says what is wrong and what to do."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from dangan.errors import RejectedFile

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
}
EXTENSIONS = {
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
}
KIND_NAMES = {"pdf": "PDF 文档", "png": "PNG 图像", "jpeg": "JPEG 图像", "tiff": "TIFF 图像"}
SUPPORTED_HINT = "支持的格式：PDF、TIFF（可多页）、JPEG、PNG。"


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    kind: str  # key of MEDIA_TYPES
    pages: int
    size: int
    has_text: bool = False  # PDF whose every page already carries text

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def _describe(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "ZIP 压缩包或 Office 文档（如 .docx/.xlsx）"
    if head.startswith(b"GIF8"):
        return "GIF 图像"
    if head.startswith(b"BM"):
        return "BMP 图像"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "旧版 Office 文档（.doc/.xls）"
    try:
        head[:512].decode("utf-8")
        return "纯文本文件"
    except UnicodeDecodeError:
        return "无法识别的格式"


def check_file(
    path: Path, *, max_bytes: int, max_pages: int, name: str | None = None
) -> CheckedFile:
    """Return what the file is, or raise RejectedFile with a clerk-facing message."""
    name = name or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RejectedFile(
            f"无法读取文件“{name}”：{exc.strerror}。请确认文件存在且有读取权限。", "unreadable"
        ) from exc
    if size == 0:
        raise RejectedFile(
            f"文件“{name}”是空文件（0 字节），可能扫描或复制中断。请重新扫描或重新复制后再上传。",
            "empty",
        )
    if size > max_bytes:
        raise RejectedFile(
            f"文件“{name}”大小为 {size / 1048576:.1f} MB，超过上限 {max_bytes / 1048576:.0f} MB。"
            "请拆分成多个文件，或降低扫描分辨率（建议 200–300 dpi）后重新上传。",
            "too_large",
        )
    with open(path, "rb") as fh:
        head = fh.read(2048)
    kind = sniff(head)
    ext = path.suffix.lower() if name == path.name else Path(name).suffix.lower()
    if kind is None:
        raise RejectedFile(
            f"文件“{name}”的格式不受支持（实际内容为{_describe(head)}）。{SUPPORTED_HINT}"
            "请转换为以上格式后重新上传。",
            "unsupported",
        )
    claimed = EXTENSIONS.get(ext)
    if ext and claimed != kind:
        raise RejectedFile(
            f"文件“{name}”的扩展名为 {ext or '（无）'}，但实际内容是{KIND_NAMES[kind]}。"
            "文件可能被误改名或来源有误：请核对原件，改正扩展名后重新上传。",
            "mislabelled",
        )
    if kind == "pdf":
        pages, has_text = _check_pdf(path, name)
    else:
        pages = _check_image(path, name, kind)
        has_text = False
    if pages > max_pages:
        raise RejectedFile(
            f"文件“{name}”有 {pages} 页，超过单个文件上限 {max_pages} 页。请按业务拆分后重新上传。",
            "too_many_pages",
        )
    return CheckedFile(path=path, kind=kind, pages=pages, size=size, has_text=has_text)


def _check_pdf(path: Path, name: str) -> tuple[int, bool]:
    import pikepdf
    import pypdfium2 as pdfium

    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise _encrypted(name)
    except pikepdf.PasswordError as exc:
        raise _encrypted(name) from exc
    except pikepdf.PdfError as exc:
        raise _corrupt(name) from exc
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise _encrypted(name) from exc
        raise _corrupt(name) from exc
    try:
        pages = len(doc)
        if pages == 0:
            raise _corrupt(name)
        has_text = True
        for index in range(pages):
            page = doc[index]
            try:
                page.get_size()
                textpage = page.get_textpage()
                chars = textpage.count_chars()
                textpage.close()
            except pdfium.PdfiumError as exc:
                raise _corrupt(name) from exc
            finally:
                page.close()
            if chars < 10:
                has_text = False
        return pages, has_text
    finally:
        doc.close()


def _encrypted(name: str) -> RejectedFile:
    return RejectedFile(
        f"文件“{name}”已加密（设有密码或权限保护），无法长期保存和检索。"
        "请向提供方索取未加密的版本，或解除密码后重新上传。",
        "encrypted",
    )


def _corrupt(name: str) -> RejectedFile:
    return RejectedFile(
        f"文件“{name}”已损坏，无法打开（可能下载或复制不完整）。请从原始来源重新获取或重新扫描后上传。",
        "corrupt",
    )


def _check_image(path: Path, name: str, kind: str) -> int:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                for index in range(frames):
                    img.seek(index)
                    img.load()
                    width, height = img.size
                    if width < 200 or height < 200:
                        raise RejectedFile(
                            f"文件“{name}”第 {index + 1} 页的图像只有 {width}×{height} 像素，"
                            "太小无法识别。请按 200 dpi 以上重新扫描。",
                            "too_small",
                        )
                return frames
    except RejectedFile:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RejectedFile(
            f"文件“{name}”的图像尺寸异常巨大，可能已损坏或并非扫描件。请检查后重新扫描。",
            "oversized_image",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _corrupt(name) from exc

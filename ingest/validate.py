"""Check an input file before any work is spent on it.

Type is decided by content (magic bytes), never by the name; a name whose
extension disagrees with the content is refused so the clerk can find out
what the file really is. Every refusal says what is wrong and what to do."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from dangan.ingest import pdf_risks, text_layers
from dangan.ocr.images import heif_opener

from dangan.errors import RejectedFile

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "webp": "image/webp",
    "heic": "image/heic",
}
EXTENSIONS = {
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".webp": "webp",
    ".heic": "heic",
    ".heif": "heic",
}
# Bounds checked from headers before anything is decoded or rendered (a small
# file can describe an enormous image or page: decoding it would take minutes
# and gigabytes). A0 at 200 dpi or A3 at 600 dpi stays within the pixel bound.
MAX_IMAGE_PIXELS = 90_000_000
MAX_PAGE_MM = (860.0, 1220.0)  # short and long side: A0 (841 × 1189 mm) and a margin
_PT_MM = 25.4 / 72

KIND_NAMES = {
    "pdf": "PDF 文档",
    "png": "PNG 图像",
    "jpeg": "JPEG 图像",
    "tiff": "TIFF 图像",
    "webp": "WebP 图像",
    "heic": "HEIC/HEIF 图像（手机照片）",
}
SUPPORTED_HINT = "支持的格式：PDF、TIFF（可多页）、JPEG、PNG、WebP、HEIC（手机照片）。"
# ISO base media file brands of HEIF still images (HEIC photos of phones); AVIF
# is the same container with another codec, named but not decoded
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc", b"hevx")
# the smallest image that can hold a legible line of text (characters of
# about 16 px): smaller is refused, larger crops and phone photos are read
MIN_SIDE_PX = 24
MIN_PIXELS = 5_000


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    kind: str  # key of MEDIA_TYPES
    pages: int
    size: int
    has_text: bool = False  # PDF whose every page already carries usable text
    # pages (from 1) whose text layer maps to no characters (control or private-use
    # codes, as from fonts without a Unicode mapping): OCR'd from their image
    unmapped_pages: tuple[int, ...] = ()
    text_pages: tuple[int, ...] = ()  # pages with a usable text layer

    @property
    def force_ocr_pages(self) -> tuple[int, ...]:
        """Pages to OCR from their image whatever text they carry: with an
        unusable text layer somewhere, every page without a usable one."""
        if not self.unmapped_pages:
            return ()
        return tuple(n for n in range(1, self.pages + 1) if n not in self.text_pages)

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
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
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
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "AVIF 图像"
    if head[4:8] == b"ftyp":
        return f"视频或 ISO 媒体文件（{head[8:12].decode('latin-1').strip()}）"
    if head[:4] in (b"II\xbc\x01", b"II\xbc\x00"):
        return "JPEG XR 图像"
    if head.startswith((b"\x00\x00\x00\x0cJXL ", b"\xff\x0a")):
        return "JPEG XL 图像"
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
    if kind == "heic" and not heif_opener():
        raise RejectedFile(
            f"文件“{name}”是{KIND_NAMES[kind]}，本系统未安装其解码器。"
            "请在手机相机设置中选“兼容性最佳”（拍成 JPEG），或转换为 JPEG 后重新上传。",
            "unsupported",
        )
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
        pages, layers = _check_pdf(path, name, max_pages)
        return CheckedFile(
            path=path,
            kind=kind,
            pages=pages,
            size=size,
            has_text=len(layers.usable) == pages,
            unmapped_pages=tuple(layers.unmapped),
            text_pages=tuple(layers.usable),
        )
    pages = _check_image(path, name, kind, max_pages)
    return CheckedFile(path=path, kind=kind, pages=pages, size=size)


def _too_many_pages(name: str, pages: int, max_pages: int) -> RejectedFile:
    return RejectedFile(
        f"文件“{name}”有 {pages} 页，超过单个文件上限 {max_pages} 页。请按业务拆分后重新上传。",
        "too_many_pages",
    )


def _too_many_pixels(name: str, where: str, width: int, height: int) -> RejectedFile:
    return RejectedFile(
        f"文件“{name}”{where}的图像为 {width}×{height} 像素（约 {_pixels(width * height)}），"
        f"超过上限 {MAX_IMAGE_PIXELS // 10_000} 万像素，可能已损坏或并非扫描件。"
        "请检查后按 200–300 dpi 重新扫描。",
        "oversized_image",
    )


def _pixels(count: int) -> str:
    return f"{count / 1e8:.1f} 亿像素" if count >= 100_000_000 else f"{count // 10_000} 万像素"


def _check_pdf(path: Path, name: str, max_pages: int) -> tuple[int, text_layers.TextLayers]:
    import pikepdf
    import pypdfium2 as pdfium

    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise _encrypted(name)
            pdf_risks.check_forms(pdf, name)
            # page count, page sizes and image sizes from the objects alone:
            # nothing is decoded or rendered before these pass
            if len(pdf.pages) > max_pages:
                raise _too_many_pages(name, len(pdf.pages), max_pages)
            seen: set[tuple[int, int]] = set()
            unmapped_fonts: set[int] = set()  # pages whose every font maps to nothing
            image_pages: set[int] = set()  # pages with images: rendered for OCR
            for number, page in enumerate(pdf.pages, start=1):
                _check_page_size(page, name, number)
                if text_layers.fonts_all_unmapped(page.obj.get("/Resources")):
                    unmapped_fonts.add(number)
                if pdf_risks.has_images(page.obj.get("/Resources")):
                    image_pages.add(number)
                for image in _page_images(page.obj.get("/Resources"), seen):
                    for part in pdf_risks.image_parts(image):  # masks are decoded too
                        width, height = _int(part.get("/Width")), _int(part.get("/Height"))
                        if width * height > MAX_IMAGE_PIXELS:
                            raise _too_many_pixels(name, f"第 {number} 页", width, height)
                    pdf_risks.check_image(image, name, number)
    except pikepdf.PasswordError as exc:
        raise _encrypted(name) from exc
    except (pikepdf.PdfError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _corrupt(name) from exc
    pdf_risks.check_render_size(path, name, image_pages)
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
        if pages > max_pages:
            raise _too_many_pages(name, pages, max_pages)
        layers = text_layers.TextLayers()
        for index in range(pages):
            page = doc[index]
            try:
                page.get_size()
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
            except pdfium.PdfiumError as exc:
                raise _corrupt(name) from exc
            finally:
                page.close()
            layers.add(index + 1, text, fonts_unmapped=index + 1 in unmapped_fonts)
        return pages, layers
    finally:
        doc.close()


def _int(value) -> int:
    return int(value) if value is not None else 0


def _check_page_size(page, name: str, number: int) -> None:
    """The page's MediaBox (times /UserUnit) within MAX_PAGE_MM."""
    box = [float(v) for v in page.mediabox]  # inherited from the page tree where not set
    unit = float(page.obj.get("/UserUnit", 1))
    sides = sorted((abs(box[2] - box[0]) * unit * _PT_MM, abs(box[3] - box[1]) * unit * _PT_MM))
    if sides[0] > MAX_PAGE_MM[0] or sides[1] > MAX_PAGE_MM[1]:
        raise RejectedFile(
            f"文件“{name}”第 {number} 页的尺寸为 {sides[0]:.0f}×{sides[1]:.0f} 毫米，"
            f"超过上限（A0 幅面，{MAX_PAGE_MM[0]:.0f}×{MAX_PAGE_MM[1]:.0f} 毫米），"
            "可能已损坏或并非扫描件。请检查后重新扫描或重新导出。",
            "oversized_page",
        )


def _page_images(resources, seen: set[tuple[int, int]]):
    """Image XObjects reachable from a resource dictionary, forms followed,
    each object once (read from their dictionaries, never decoded)."""
    if resources is None:
        return
    xobjects = resources.get("/XObject")
    if xobjects is None:
        return
    for key in xobjects.keys():
        obj = xobjects.get(key)
        if obj is None:
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        subtype = obj.get("/Subtype")
        if subtype == "/Image":
            yield obj
        elif subtype == "/Form":
            yield from _page_images(obj.get("/Resources"), seen)


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


def _check_image(path: Path, name: str, kind: str, max_pages: int) -> int:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                if frames > max_pages:
                    raise _too_many_pages(name, frames, max_pages)
                for index in range(frames):
                    img.seek(index)
                    width, height = img.size  # from the header: nothing decoded yet
                    if width * height > MAX_IMAGE_PIXELS:
                        raise _too_many_pixels(name, f"第 {index + 1} 页", width, height)
                    img.load()
                    if min(width, height) < MIN_SIDE_PX or width * height < MIN_PIXELS:
                        raise RejectedFile(
                            f"文件“{name}”第 {index + 1} 页的图像只有 {width}×{height} 像素，"
                            "容纳不下可辨认的文字（每个字至少约 16 像素高）。"
                            "如是截图或照片，请提供原图；如是扫描件，请按 200 dpi 以上重新扫描。",
                            "too_small",
                        )
                return frames
    except RejectedFile:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RejectedFile(
            f"文件“{name}”的图像尺寸异常巨大（超过 {MAX_IMAGE_PIXELS // 10_000} 万像素），"
            "可能已损坏或并非扫描件。请检查后按 200–300 dpi 重新扫描。",
            "oversized_image",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _corrupt(name) from exc

"""PDFs that OCRmyPDF would fail on minutes later, recognised when the file is
checked (ingest/validate.py), each refused with a Chinese message that says
what to do:

- dynamic XFA forms (Adobe LiveCycle): the pages hold only "please wait";
  the form exists only for Adobe Reader;
- bilevel images (JBIG2, CCITT G4) in a DeviceN or Separation colour space,
  which cannot be decoded for the check OCRmyPDF makes of its output
  (pikepdf's HifiPrintImageNotTranscodableError);
- pages that would be rendered to more pixels than OCRmyPDF accepts (a small
  image drawn tiny sets the page's resolution: an A4 page at 10 000 dpi is
  billions of pixels); measured with OCRmyPDF's own page analysis (PdfInfo),
  before anything is rendered.

Everything here reads object dictionaries and content streams; no image is
decoded."""

from __future__ import annotations

import logging

from dangan.errors import RejectedFile

log = logging.getLogger(__name__)

# Where OCRmyPDF stops, after rendering, with a "decompression bomb" error:
# Pillow refuses twice its limit (--max-image-mpixels, default 250 million)
MAX_RENDER_PIXELS = 2 * 250_000_000
VECTOR_PAGE_DPI = 400  # what OCRmyPDF renders vector pages and visible text at
BILEVEL_FILTERS = ("/JBIG2Decode", "/CCITTFaxDecode")


def check_forms(pdf, name: str) -> None:
    """Refuse an XFA form (pikepdf.Pdf `pdf`)."""
    root = pdf.Root
    needs_rendering = bool(root.get("/NeedsRendering", False))
    acroform = root.get("/AcroForm")
    xfa = acroform is not None and acroform.get("/XFA") is not None
    if needs_rendering or xfa:
        kind = "动态 XFA 表单" if needs_rendering else "XFA 表单"
        raise RejectedFile(
            f"文件“{name}”是 Adobe {kind}（LiveCycle 等制作），页面内容只有 Adobe Reader 能显示，"
            "无法识别和长期保存。请用 Adobe Acrobat 或 Adobe Reader 打开，"
            "选择“打印”→“Microsoft Print to PDF”（或“另存为 PDF”）生成普通 PDF 后再上传。",
            "xfa_form",
        )


def check_image(image, name: str, number: int) -> None:
    """Refuse a bilevel image in a DeviceN/Separation colour space (an image
    XObject of page `number`)."""
    import pikepdf

    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        filters = [str(f) for f in filters]
    elif filters is not None:
        filters = [str(filters)]
    if not filters or filters[-1] not in BILEVEL_FILTERS or image.get("/ImageMask", False):
        return
    space = image.get("/ColorSpace")
    family = str(space[0]) if isinstance(space, pikepdf.Array) and len(space) else str(space)
    if family in ("/DeviceN", "/Separation"):
        codec = "JBIG2" if filters[-1] == "/JBIG2Decode" else "CCITT"
        raise RejectedFile(
            f"文件“{name}”第 {number} 页的黑白图像采用 {codec} 压缩并使用专色（{family[1:]}）色彩空间，"
            "这种组合无法解码转换，文件不能识别和转为长期保存格式。"
            "请重新扫描（黑白或灰度，200–300 dpi），或用 PDF 软件“另存为”普通 PDF（不使用专色）后再上传。",
            "untranscodable_image",
        )


def has_images(resources, seen: set | None = None) -> bool:
    """An image XObject is reachable from these resources (forms followed)."""
    seen = set() if seen is None else seen
    xobjects = resources.get("/XObject") if resources is not None else None
    for key in xobjects.keys() if xobjects is not None else ():
        obj = xobjects.get(key)
        if obj is None or not hasattr(obj, "get"):
            continue
        if obj.get("/Subtype") == "/Image":
            return True
        if obj.get("/Subtype") == "/Form" and obj.objgen not in seen:
            seen.add(obj.objgen)
            if has_images(obj.get("/Resources"), seen):
                return True
    return False


def image_parts(image):
    """The image itself and its soft mask / explicit mask images."""
    yield image
    for key in ("/SMask", "/Mask"):
        part = image.get(key)
        if part is not None and hasattr(part, "get") and part.get("/Subtype") == "/Image":
            yield part


def check_render_size(path, name: str, pages: set[int]) -> None:
    """Refuse a page that OCRmyPDF would render beyond MAX_RENDER_PIXELS: it
    renders each page at the highest resolution of the images drawn on it.
    `pages`: the pages (numbered from 1) with images; only these are rendered."""
    if not pages:
        return
    try:
        from ocrmypdf.pdfinfo import PdfInfo

        info = PdfInfo(path, check_pages={n - 1 for n in pages})
    except Exception:  # the OCR step reports what is wrong with such a file
        log.warning("page analysis of %s failed", name, exc_info=True)
        return
    for page in info:
        if page is None or not page.images:
            continue  # a page without images is not rendered (kept as it is)
        dpi = max(float(page.dpi.x or 0), float(page.dpi.y or 0))
        if page.has_vector or page.has_visible_text:
            dpi = max(dpi, VECTOR_PAGE_DPI)
        dpi *= float(page.userunit or 1)
        width = round(float(page.width_inches) * dpi)
        height = round(float(page.height_inches) * dpi)
        if width * height > MAX_RENDER_PIXELS:
            raise RejectedFile(
                f"文件“{name}”第 {page.pageno + 1} 页中有图像的分辨率高达 {dpi:.0f} dpi，"
                f"整页需要按此分辨率处理为 {width}×{height} 像素（约 {width * height / 1e8:.1f} 亿像素），"
                f"超过上限 {MAX_RENDER_PIXELS / 1e8:.1f} 亿像素，无法识别（可能是异常文件）。"
                "请按 200–300 dpi 重新扫描，或在 PDF 软件中把图像降低到 300 dpi 左右后另存再上传。",
                "oversized_render",
            )

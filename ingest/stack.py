"""A scanned stack, read page by page and cut into records.

Each page is rendered small and greyscale, its barcodes read with zxing-cpp
(any rotation; a second try on a binarised, half-size copy when the first
finds no cover code), and its ink measured with the blank test the OCR
preprocessing uses (ocr/preprocess.py). Then the stack is cut:

- a cover sheet (a valid, signed DANGAN1 QR code) starts a record of that case;
- a page that looks like a cover sheet but cannot be read (the DGCOVER marker
  or a QR code zxing sees but cannot decode, a DANGAN code whose signature
  fails) starts a record that goes to review, the page kept in it, so nothing
  is attached to a wrong case and nothing is lost;
- per folder mode: `cover` (pages before the first cover sheet go to review),
  `separator` (also cut at a blank sheet or a PATCHT barcode) or `file`;
- duplex (`duplex`: pages are front/back pairs, empty backs are dropped;
  `collate`: a fronts pass then a reversed backs pass, interleaved first).

Every page of the stack ends in a record or in `fates` with the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dangan.ingest.coversheet import MARKER, PATCH_T, CoverData, CoverInvalid, decode, is_cover_text

MODES = ("cover", "separator", "file")
DUPLEX = ("simplex", "duplex", "collate")
SCAN_DPI = 100  # cover QR modules are ~1.6 mm: 6 px at this resolution


@dataclass
class PageScan:
    page: int  # 1-based page number in the stack file as scanned
    blank: bool = False
    cover: CoverData | None = None
    cover_error: str | None = None  # looks like a cover sheet, cannot be taken as one
    separator: bool = False  # PATCHT barcode


@dataclass
class Segment:
    pages: list[int]  # stack page numbers, in record order
    cover: CoverData | None = None
    cover_page: int | None = None
    review: list[str] = field(default_factory=list)  # reasons for the clerk


@dataclass
class Split:
    segments: list[Segment]
    fates: dict[int, str]  # stack page -> why it is in no record (Chinese)
    notes: list[str]  # stack-level outcomes (empty segments, …)
    order: list[int]  # page order after collation


def read_page(
    image, key: bytes, page: int, dpi: float = SCAN_DPI, *, blank: bool = True
) -> PageScan:
    """Barcodes and blankness of one page image (greyscale numpy array)."""
    import zxingcpp
    from dangan.ocr import preprocess

    scan = PageScan(page)
    found = _codes(zxingcpp, image)
    if found and not any(v and is_cover_text(t) for t, v in found):
        # something code-like but no cover read: try harder before giving up
        found += _codes(zxingcpp, _binarised_half(image))
    texts = {t for t, v in found if v}
    for text in sorted(texts):
        if is_cover_text(text):
            try:
                scan.cover = decode(key, text)
                scan.cover_error = None
                break
            except CoverInvalid as exc:
                scan.cover_error = exc.message
    if scan.cover is None and scan.cover_error is None:
        broken = any(not v for _, v in found)
        if MARKER in texts or broken:
            scan.cover_error = (
                f"第 {page} 页像是封面，但二维码无法识别（污损、折叠或打印不清）。"
                "该页之后的材料未归入任何业务，请核对封面后补录业务流水号。"
            )
    scan.separator = PATCH_T in texts
    if blank and scan.cover is None and scan.cover_error is None and not scan.separator:
        band = preprocess.border_mask(image, dpi)
        scan.blank = preprocess.is_blank(image, dpi, band=band)
    return scan


def _codes(zxingcpp, image) -> list[tuple[str, bool]]:
    formats = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128)
    return [
        (b.text, b.valid)
        for b in zxingcpp.read_barcodes(
            image, formats=formats, try_invert=False, return_errors=True
        )
    ]


def _binarised_half(image):
    import cv2

    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    _, out = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return out


def scan_pdf(
    pdf: Path,
    key: bytes,
    dpi: float = SCAN_DPI,
    on_page: Callable[[int], None] | None = None,
    blank: bool = True,
) -> list[PageScan]:
    """`read_page` for every page of a PDF (`blank`: measure blankness too;
    only duplex stacks and separator mode need it)."""
    out = []
    for index, (image, image_dpi) in enumerate(page_images(pdf, dpi)):
        if on_page:
            on_page(index + 1)
        scan = read_page(image, key, index + 1, image_dpi, blank=blank)
        out.append(scan)
    return out


def page_images(pdf: Path, dpi: float = SCAN_DPI):
    """Each page as a greyscale array near `dpi`, with its resolution. A page
    that is one scanned JPEG (what scanners write) is decoded straight at a
    reduced scale (JPEG's DCT scaling: several times faster than rendering);
    any other page is rendered with PDFium."""
    import numpy as np
    import pikepdf
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        with pikepdf.open(pdf) as src:
            for index, page in enumerate(src.pages):
                fast = _scanned_jpeg(page, dpi)
                if fast is not None:
                    yield fast
                    continue
                bitmap = doc[index].render(scale=dpi / 72, grayscale=True)
                yield np.asarray(bitmap.to_pil().convert("L")), dpi
    finally:
        doc.close()


def _scanned_jpeg(page, dpi: float):
    """(grey array, dpi) of a page that is a single JPEG image, else None."""
    import io

    import numpy as np
    import pikepdf
    from PIL import Image

    try:
        images = list(page.get_images().values())
        if len(images) != 1 or images[0].get("/Filter") != pikepdf.Name.DCTDecode:
            return None
        width_in = float(page.mediabox[2] - page.mediabox[0]) / 72
        image = Image.open(io.BytesIO(images[0].read_raw_bytes()))
        full_dpi = image.width / width_in
        want = 0.95 * dpi / full_dpi  # JPEG scales by 1/2, 1/4, 1/8 to at least this size
        image.draft("L", (round(image.width * want), round(image.height * want)))
        grey = image.convert("L")
        return np.asarray(grey), grey.width / width_in
    except Exception:  # noqa: BLE001 - anything unusual: render the page instead
        return None


def collated(count: int) -> list[int]:
    """Page order of a fronts pass (1..n) followed by a reversed backs pass:
    F1, B1, F2, B2, … where B1 is the last page of the file."""
    n = count // 2
    order = []
    for i in range(1, n + 1):
        order += [i, count - i + 1]
    return order


def split(scans: list[PageScan], mode: str = "cover", duplex: str = "simplex") -> Split:
    """Cut the stack into segments; see the module's docstring."""
    by_page = {s.page: s for s in scans}
    fates: dict[int, str] = {}
    notes: list[str] = []
    order = [s.page for s in scans]
    if duplex == "collate":
        if len(scans) % 2:
            notes.append(
                f"文件有 {len(scans)} 页（奇数），无法按“正面一遍、反面倒序一遍”拼合；"
                "按单面扫描处理，请核对。"
            )
            duplex = "simplex"
        else:
            order = collated(len(scans))
            duplex = "duplex"
    segments: list[Segment] = []
    current: Segment | None = None
    cover_sheet_back: set[int] = set()

    def close() -> None:
        nonlocal current
        if current is None:
            return
        if current.pages:
            segments.append(current)
        elif current.cover_page is not None:
            notes.append(
                f"第 {current.cover_page} 页的封面（业务流水号 "
                f"{current.cover.serial if current.cover else '未知'}）之后没有材料："
                "可能连续放了两张封面，或材料未放入扫描仪。未生成档案。"
            )
        current = None

    for pos, page in enumerate(order):
        scan = by_page[page]
        back = duplex == "duplex" and pos % 2 == 1
        if scan.cover is not None:
            close()
            current = Segment([], scan.cover, page)
            fates[page] = f"封面（业务流水号 {scan.cover.serial or '手写'}），不作为档案页面"
            if scan.cover.blank:
                current.pages.append(page)  # the clerk reads the handwriting in review
                fates.pop(page)
                current.review.append(
                    f"手写封面（第 {page} 页）：请按封面上手写的业务流水号、身份证号补录后确认。"
                )
            if duplex == "duplex" and not back:
                cover_sheet_back.add(order[pos + 1] if pos + 1 < len(order) else -1)
            continue
        if scan.cover_error is not None:
            close()
            current = Segment([page], None, page, [scan.cover_error])
            continue
        if page in cover_sheet_back and scan.blank:
            fates[page] = "封面背面（空白），已略去"
            continue
        if back and scan.blank:
            fates[page] = "空白背面，已略去"
            continue
        if mode == "separator" and (
            scan.separator or _blank_sheet(scan, pos, order, by_page, duplex)
        ):
            close()
            fates[page] = "分隔页，不作为档案页面"
            continue
        if scan.separator:
            fates[page] = "分隔条码页（PATCHT），不作为档案页面"
            continue
        if current is None:
            current = Segment([])
            if mode == "cover":
                current.review.append(
                    f"第 {page} 页起的材料位于第一张封面之前，不知道属于哪笔业务；"
                    "请确认后补录业务流水号。"
                )
        current.pages.append(page)
    close()
    for seg in segments:
        if all(by_page[p].blank for p in seg.pages):
            for p in seg.pages:
                fates[p] = "空白页，未生成档案"
            notes.append(f"第 {'、'.join(map(str, seg.pages))} 页只有空白页，未生成档案。")
    segments = [s for s in segments if not all(by_page[p].blank for p in s.pages)]
    return Split(segments, fates, notes, order)


def _blank_sheet(scan: PageScan, pos: int, order: list[int], by_page, duplex: str) -> bool:
    """A separator sheet: a blank page (simplex) or a sheet blank on both sides
    (duplex: its front here, the back dropped as an empty back)."""
    if not scan.blank:
        return False
    if duplex != "duplex":
        return True
    return pos % 2 == 0 and pos + 1 < len(order) and by_page[order[pos + 1]].blank

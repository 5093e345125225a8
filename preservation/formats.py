"""Format identification (PRONOM, through FIDO), the accepted-format list,
readability (pypdfium2 / Pillow), encryption and a structural PDF/A check.

The PDF/A check is lighter than a validator: it reads the PDF/A claim in the
XMP metadata (pdfaid:part / conformance) and checks what the claim needs
structurally (output intent, embedded fonts, no encryption, no JavaScript,
no embedded files below PDF/A-3). It is not veraPDF; the report says so."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_lock = threading.Lock()
BUFSIZE = 128 * 1024


@dataclass(frozen=True)
class FormatId:
    puid: str | None
    name: str | None
    tool: str  # "FIDO 1.6.1 (PRONOM v109)"


@lru_cache(maxsize=1)
def _fido():
    from fido import __version__
    from fido.fido import Fido, get_local_versions

    versions = get_local_versions()
    fido = Fido(
        quiet=True,
        nocontainer=True,
        format_files=[versions.pronom_signature, versions.fido_extension_signature],
    )
    return fido, f"FIDO {__version__}（PRONOM 签名 {versions.pronom_signature}）"


def identify(data: bytes) -> FormatId:
    """The PRONOM format of the bytes (signature match on head and tail)."""
    fido, tool = _fido()
    with _lock:  # FIDO keeps per-call state on the instance
        matches = fido.match_formats(data[:BUFSIZE], data[-BUFSIZE:])
    if not matches:
        return FormatId(None, None, tool)
    fmt = matches[0][0]
    return FormatId(fmt.find("puid").text, fmt.find("name").text, tool)


@lru_cache(maxsize=1)
def accepted_formats() -> dict[str, tuple[str, frozenset[str]]]:
    """PUID -> (name, roles it is accepted for)."""
    text = (
        resources.files("dangan.preservation")
        .joinpath("data/accepted_formats.csv")
        .read_text("utf-8")
    )
    return {
        row["puid"]: (row["name"], frozenset(row["roles"].split()))
        for row in csv.DictReader(io.StringIO(text))
    }


def pdf_pages_render(data: bytes, scale: float = 0.15) -> tuple[int, str | None]:
    """(page count, problem) after opening the PDF and rendering every page."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the finding
        return 0, f"无法打开 PDF：{exc}"
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                bitmap = page.render(scale=scale)
                bitmap.close()
            except Exception as exc:  # noqa: BLE001
                return len(doc), f"第 {index + 1} 页无法渲染：{exc}"
            finally:
                page.close()
        return len(doc), None
    finally:
        doc.close()


def image_opens(data: bytes) -> str | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as exc:  # noqa: BLE001
        return f"无法打开图像：{exc}"
    return None


@dataclass(frozen=True)
class PdfFacts:
    encrypted: bool
    pdfa: str | None  # "2B" as claimed in XMP, None when no claim
    problems: tuple[str, ...]  # why it is not (structurally) PDF/A


def pdf_facts(data: bytes) -> PdfFacts:
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return PdfFacts(True, None, ("PDF 已加密，需要口令才能打开。",))
    except Exception as exc:  # noqa: BLE001
        return PdfFacts(False, None, (f"无法解析 PDF：{exc}",))
    with pdf:
        encrypted = pdf.is_encrypted
        problems: list[str] = []
        claim = None
        try:
            claim = pdf.open_metadata().pdfa_status or None
        except Exception:  # noqa: BLE001
            problems.append("XMP 元数据无法读取。")
        if not claim:
            problems.append("XMP 元数据中没有 PDF/A 声明（pdfaid:part）。")
        if encrypted:
            problems.append("PDF 已加密。")
        intents = pdf.Root.get("/OutputIntents")
        if not intents or not any(i.get("/S") == "/GTS_PDFA1" for i in intents):
            problems.append("缺少 PDF/A 输出意图（OutputIntent GTS_PDFA1）。")
        names = pdf.Root.get("/Names")
        if names is not None and "/JavaScript" in names:
            problems.append("含有 JavaScript。")
        if names is not None and "/EmbeddedFiles" in names and not (claim or "").startswith("3"):
            problems.append("含有嵌入文件（PDF/A-3 以下不允许）。")
        for n, page in enumerate(pdf.pages, start=1):
            missing = _unembedded_fonts(page)
            if missing:
                problems.append(f"第 {n} 页字体未嵌入：{'、'.join(sorted(missing))}。")
                break
        return PdfFacts(encrypted, claim, tuple(problems))


def _unembedded_fonts(page) -> set[str]:
    missing = set()
    resources_ = page.obj.get("/Resources")
    fonts = resources_.get("/Font") if resources_ is not None else None
    if fonts is None:
        return missing
    for name, font in fonts.items():
        descendants = font.get("/DescendantFonts")
        target = descendants[0] if descendants else font
        if font.get("/Subtype") == "/Type3":
            continue
        descriptor = target.get("/FontDescriptor")
        if descriptor is None or not any(
            k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            missing.add(str(font.get("/BaseFont", name)))
    return missing

"""Cover sheets (封面/隔页): what the business system knows when it closes a
case, printed as a large QR code for the scanner and as text for people.

Payload (version 1), UTF-8 text in a QR code (segno makes it, zxing-cpp reads it):

    DANGAN1|<业务流水号>|<公民身份号码>|<单位编号>|<类别代码>|<MAC>

Empty fields stay empty; a sheet for handwriting has every field empty. MAC is
the first 80 bits of HMAC-SHA256 over everything before the last "|", keyed
with the server's cover-sheet key (dangan/keys.py), in base32: a sheet printed
by anyone else, or altered, is not taken for a case (it goes to review). A
second, small Code128 marker (`DGCOVER`) says "this page is a cover sheet" so a
sheet whose QR code is damaged past reading is still recognised as one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dangan.checkdigits import is_valid_id_number
from dangan.errors import DanganError, ExitCode
from dangan.pdf import cjk_font

PREFIX = "DANGAN"
VERSION = "1"
MARKER = "DGCOVER"  # the Code128 marker printed under the QR code
PATCH_T = "PATCHT"  # a separator barcode (as paperless-ngx spells patch code T)
BEIJING = timezone(timedelta(hours=8))


class CoverInvalid(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "cover_sheet"


@dataclass(frozen=True)
class CoverData:
    serial: str = ""  # 业务流水号; empty on a sheet for handwriting
    id_number: str = ""  # 公民身份号码
    unit_code: str = ""  # 单位编号 or 统一社会信用代码
    doc_type: str = ""  # class code of the retention schedule, when known

    @property
    def blank(self) -> bool:
        return not (self.serial or self.id_number or self.unit_code or self.doc_type)

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


def clean_serial(value: str) -> str:
    text = (value or "").strip().upper()
    if not (4 <= len(text) <= 40) or not text.replace("-", "").isalnum() or not text.isascii():
        raise CoverInvalid(f"业务流水号“{value}”格式不正确（4–40 位字母、数字或“-”）。")
    return text


def checked(data: CoverData, known_classes: Sequence[str] = ()) -> CoverData:
    """`data` normalised, or CoverInvalid saying which field is wrong."""
    serial = clean_serial(data.serial)
    pid = (data.id_number or "").strip().upper()
    if pid and not is_valid_id_number(pid):
        raise CoverInvalid(f"公民身份号码“{pid}”校验位不正确，请核对后重新打印封面。")
    unit = (data.unit_code or "").strip().upper()
    if unit and (not unit.isalnum() or not unit.isascii() or not 4 <= len(unit) <= 20):
        raise CoverInvalid(f"单位编号“{unit}”格式不正确（4–20 位字母或数字）。")
    doc_type = (data.doc_type or "").strip()
    if doc_type and known_classes and doc_type not in known_classes:
        raise CoverInvalid(f"没有类别“{doc_type}”。请填写保管期限表中的类别名称，或留空。")
    return CoverData(serial, pid, unit, doc_type)


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:10]
    return base64.b32encode(digest).decode()


def encode(key: bytes, data: CoverData) -> str:
    body = "|".join([PREFIX + VERSION, data.serial, data.id_number, data.unit_code, data.doc_type])
    return f"{body}|{_mac(key, body)}"


def is_cover_text(text: str) -> bool:
    return text.startswith(PREFIX)


def decode(key: bytes, text: str) -> CoverData:
    """The sheet's data, or CoverInvalid with the reason a clerk can act on."""
    head, _, _ = text.partition("|")
    if head != PREFIX + VERSION:
        raise CoverInvalid(f"封面二维码的版本“{head}”本系统不认识，请重新打印封面。")
    body, _, mac = text.rpartition("|")
    parts = body.split("|")
    if len(parts) != 5:
        raise CoverInvalid("封面二维码的内容不完整，请重新打印封面。")
    if not hmac.compare_digest(mac.encode(), _mac(key, body).encode()):
        raise CoverInvalid(
            "封面二维码的校验码不符：封面不是本系统打印的，或内容被改动。未归入任何业务，请核对。"
        )
    return CoverData(*parts[1:])


# --- the printed sheet -------------------------------------------------------


@dataclass(frozen=True)
class SheetText:
    agency: str = ""  # 机构名称 printed at the top
    class_name: str = ""  # the class's name for people (from the schedule)
    person_name: str = ""  # optional, printed only


def sheets_pdf(key: bytes, sheets: Sequence[tuple[CoverData, SheetText]]) -> bytes:
    """A4, one cover sheet per page (one PDF for a list of cases)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle("档案封面（隔页）")
    pdf.setAuthor("dangan")
    today = datetime.now(BEIJING).strftime("%Y年%m月%d日")
    for data, text in sheets:
        _sheet(pdf, font, key, data, text, today)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _qr(pdf, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (error correction H: 30% may be lost)."""
    import segno

    code = segno.make_qr(payload, error="h", boost_error=False)
    rows = [list(r) for r in code.matrix]
    n = len(rows) + 8  # quiet zone of 4 modules each side
    m = size / n
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                top = y + size - (r + 4 + 1) * m
                pdf.rect(x + (start + 4) * m, top, (c - start) * m, m, stroke=0, fill=1)
            else:
                c += 1


def _sheet(pdf, font: str, key: bytes, data: CoverData, text: SheetText, today: str) -> None:
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    w, h = A4
    pdf.setFont(font, 13)
    if text.agency:
        pdf.drawCentredString(w / 2, h - 22 * mm, text.agency)
    pdf.setFont(font, 26)
    title = "档案封面（手写）" if data.blank else "档案封面（隔页）"
    pdf.drawCentredString(w / 2, h - 36 * mm, title)
    size = 95 * mm
    _qr(pdf, encode(key, data), (w - size) / 2, h - 40 * mm - size, size)
    top = h - 48 * mm - size
    if data.blank:
        lines = [("业务流水号", ""), ("公民身份号码", ""), ("单位编号", ""), ("档案类别", "")]
    else:
        lines = [
            ("业务流水号", data.serial),
            ("公民身份号码", data.id_number),
            ("姓名", text.person_name),
            ("单位编号", data.unit_code),
            ("档案类别", text.class_name or data.doc_type),
        ]
        lines = [(k, v) for k, v in lines if v or k in ("业务流水号",)]
    for label, value in lines:
        pdf.setFont(font, 14)
        pdf.drawString(30 * mm, top, f"{label}：")
        if value:
            pdf.setFont(font, 18 if label == "业务流水号" else 15)
            pdf.drawString(68 * mm, top, value)
        else:
            pdf.line(68 * mm, top - 1.5 * mm, w - 30 * mm, top - 1.5 * mm)
        top -= 11 * mm
    pdf.setFont(font, 11)
    pdf.drawString(30 * mm, top, f"打印日期：{today}（北京时间）")
    top -= 12 * mm
    notes = [
        "使用说明：把本页放在该业务全部材料的最前面，与材料一起放入扫描仪。",
        "本页不归档，只用于把材料归入上面的业务；请勿折叠、涂改或遮挡二维码。",
    ]
    if data.blank:
        notes.append("手写封面：扫描后进入待复核，由档案管理员按手写内容补录。")
    for note in notes:
        pdf.drawString(30 * mm, top, note)
        top -= 6.5 * mm
    marker = Code128(MARKER, barHeight=10 * mm, barWidth=0.5 * mm, quiet=True)
    marker.drawOn(pdf, (w - marker.width) / 2, 12 * mm)

"""Lists as tables: the rows a page shows are the rows its 导出 writes.

`record_rows` turns search hits into display rows (档号 first, class names,
no codes); `xlsx_bytes` writes rows as an Excel workbook with openpyxl and
`csv_bytes` as CSV (UTF-8 with BOM, opens in Excel); `export_response`
audits the export (action "export") and sends the file. A
desk builds its columns and rows once and hands the same rows to the
`data_table` macro (templates/_table.html) and to `export_response`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from urllib.parse import quote

from dangan.api.auth import log_access, masked
from dangan.api.labels import BEIJING, class_name_in, level_name, retention_text, schedule_of
from fastapi import Request
from fastapi.responses import Response

from dangan.access.store import Principal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 5000


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False  # sorted as a number; right-aligned
    link: str = ""  # row key holding the cell's link (on screen only)


RECORD_COLUMNS = (
    Column("archival_code", "档号", link="href"),
    Column("title", "题名", link="href"),
    Column("business_date", "业务日期"),
    Column("class_name", "类别"),
    Column("category", "门类"),
    Column("retention", "保管期限"),
    Column("page_count", "页数", numeric=True),
    Column("security", "密级"),
)


def record_rows(request: Request, hits, query: str = "") -> list[dict]:
    """Display rows for search hits (catalog.search.SearchHit), already masked
    by the search; `href` and `thumb` are for the screen only."""
    schedule = schedule_of(request)
    rows = []
    for hit in hits:
        first = hit.pages[0] if getattr(hit, "pages", None) else 1
        link = f"/records/{hit.record_id}"
        if query:
            link += f"?q={quote(query)}&page={first}"
        rows.append(
            {
                "record_id": hit.record_id,
                "archival_code": hit.archival_code or "（待复核）",
                "title": hit.title,
                "business_date": hit.business_date or "日期不详",
                "class_name": class_name_in(schedule, hit.doc_type),
                "category": hit.category or "未分类",
                "retention": retention_text(hit.status, hit.retention),
                "page_count": hit.page_count,
                "security": level_name(hit.security_level),
                "href": link,
                "thumb": f"/api/records/{hit.record_id}/pages/{first}/image",
                "pages": list(getattr(hit, "pages", []) or []),
                "snippet": getattr(hit, "snippet", ""),
            }
        )
    return rows


def xlsx_bytes(title: str, columns, rows: list[dict], subtitle: str = "") -> bytes:
    """A workbook with one sheet: a title line, a line saying what and when,
    the header row and the rows (values as shown on the page)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    made = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    sheet.append([f"{subtitle}　导出时间 {made}（北京时间）　共 {len(rows)} 条".strip()])
    sheet.append([c.label for c in columns])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row.get(c.key)) for c in columns])
    for i, column in enumerate(columns, start=1):
        width = max([len(str(column.label))] + [len(str(r.get(column.key) or "")) for r in rows])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, 4 + width * 1.8)
    for line in sheet.iter_rows(min_row=4):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "3:3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(columns, rows: list[dict]) -> bytes:
    """The header row and the rows as CSV, UTF-8 with a BOM so Excel reads it."""
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([c.label for c in columns])
    writer.writerows([_cell(row.get(c.key)) for c in columns] for row in rows)
    return ("\ufeff" + text.getvalue()).encode()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return value


def export_response(
    request: Request,
    user: Principal,
    *,
    title: str,
    columns,
    rows: list[dict],
    target: str | None = None,
    subtitle: str = "",
    fmt: str = "xlsx",
    max_rows: int = MAX_EXPORT_ROWS,
    **detail,
) -> Response:
    """The rows as .xlsx (or .csv with `fmt="csv"`), masked for `user` as the
    page was, and the export written into the audit log (action "export")."""
    rows = masked(rows[:max_rows], user)
    if fmt == "csv":
        data, media = csv_bytes(columns, rows), "text/csv; charset=utf-8"
    else:
        fmt, data, media = "xlsx", xlsx_bytes(title, columns, rows, subtitle), XLSX
    log_access(request, user, "export", target, view=title, format=fmt, rows=len(rows), **detail)
    stamp = datetime.now(BEIJING).strftime("%Y%m%d-%H%M")
    filename = quote(f"{title}-{stamp}.{fmt}")
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )


def inline_file(data: bytes, name: str, media_type: str = "application/pdf") -> Response:
    """A generated file (PDF, CSV) shown in the browser, saved under its Chinese name."""
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}"},
    )

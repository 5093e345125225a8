"""Small display helpers shared by the desks' routes: audit details, table
exports, Beijing-day bounds (times themselves: api/labels.py `bj_time`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dangan.api.labels import BEIJING

DETAIL_LABELS = {
    "page": "页",
    "via": "途径",
    "q": "检索词",
    "query": "检索词",
    "file": "文件",
    "reason": "理由",
    "doc_type": "类别",
    "corrected_class": "更正类别",
    "archival_code": "档号",
    "before": "调整前",
    "after": "调整后",
    "batch": "批次",
    "count": "件数",
    "decision": "鉴定意见",
    "kind": "类型",
    "records": "档案",
    "person": "参保人",
    "roles": "角色",
    "ip": "地址",
    "format": "格式",
}
VIA = {"ui": "网页", "api": "接口", "cli": "命令行", "embed": "嵌入"}


def _plain(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{DETAIL_LABELS.get(k, k)} {_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def detail_text(detail: dict | None, classes: dict[str, str] | None = None) -> str:
    """An audit entry's detail as a reader reads it: labelled, no JSON, class
    and role names rather than their codes."""
    from dangan.access.roles import ROLES

    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if key == "via":
            value = VIA.get(value, value)
        elif key == "doc_type" and classes:
            value = classes.get(value, value)
        elif key == "roles" and isinstance(value, list | tuple | str):
            names = value.split(",") if isinstance(value, str) else value
            value = [ROLES.get(r, r) for r in names]
        parts.append(f"{DETAIL_LABELS.get(key, key)}：{_plain(value)}")
    return "；".join(parts)


def table_response(title: str, headers: list[str], rows: list[list], fmt: str, filename: str):
    """A table exported as CSV (UTF-8 with BOM, opens in Excel) or xlsx (openpyxl)."""
    import csv
    import io
    from urllib.parse import quote

    from fastapi.responses import Response

    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = title[:31]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
        for column, header in zip(sheet.columns, headers, strict=False):
            width = max([len(str(header)) * 2, *(len(str(c.value or "")) for c in column)])
            sheet.column_dimensions[column[0].column_letter].width = min(60, width + 2)
        out = io.BytesIO()
        book.save(out)
        body, media = (
            out.getvalue(),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows(rows)
        body, media, fmt = ("\ufeff" + text.getvalue()).encode(), "text/csv; charset=utf-8", "csv"
    disposition = f"attachment; filename*=UTF-8''{quote(f'{filename}.{fmt}')}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def day_bounds(day_from: str, day_to: str) -> tuple[str | None, str | None]:
    """Beijing calendar days (YYYY-MM-DD, inclusive) as UTC ISO bounds; a
    malformed day raises ValueError."""

    since = until = None
    if day_from:
        start = datetime.combine(date.fromisoformat(day_from), datetime.min.time(), BEIJING)
        since = start.astimezone(UTC).isoformat(timespec="milliseconds")
    if day_to:
        end = datetime.combine(date.fromisoformat(day_to), datetime.min.time(), BEIJING)
        until = (end + timedelta(days=1)).astimezone(UTC).isoformat(timespec="milliseconds")
    return since, until

"""Records, search hits, the review queue and uploads."""

from __future__ import annotations

from typing import Any

from dangan.api.schemas import ApiModel
from dangan.catalog.base import Record
from dangan.catalog.page_boxes import HitBox
from dangan.catalog.record_json import filing_json
from pydantic import Field


class Filing(ApiModel):
    """Classification, filing and key fields (catalog/record_json.py `filing_json`)."""

    doc_type: str | None = Field(None, description="类别代码（保管期限表）")
    category: str | None = Field(None, description="门类，如 管理类")
    retention: str | None = Field(None, description="保管期限：永久 或 N年")
    disposal_date: str | None = Field(None, description="到期日 YYYY-MM-DD；永久、未知或待复核为空")
    retention_note: str | None = Field(
        None, description="待复核的记录为“待复核后确定”（保管期限和到期日尚未确定）"
    )
    archival_code: str | None = Field(None, description="档号（归档后分配）")
    confidence: float | None = Field(None, description="机器分类的置信度 0–1")
    needs_review: bool | None = Field(None, description="是否在待复核队列中")
    review_reasons: list[str] | None = Field(None, description="需要人工复核的原因")
    schedule_version: int | None = Field(None, description="归档时所用保管期限表的版本")
    id_numbers: list[str] | None = Field(None, description="公民身份号码（校验通过），按原文顺序")
    invalid_id_numbers: list[str] | None = Field(None, description="校验位不符的疑似身份号码")
    person_name: str | None = Field(None, description="参保人姓名")
    credit_code: str | None = Field(None, description="统一社会信用代码")
    unit_name: str | None = Field(None, description="单位名称")
    unit_code: str | None = Field(None, description="单位编号")
    serial: str | None = Field(None, description="业务流水号")
    business_date: str | None = Field(None, description="业务办理日期 YYYY-MM-DD")
    amounts: dict[str, str] | None = Field(None, description="金额：项目名称 → 金额文字")
    formed_date: str | None = Field(None, description="形成日期 YYYY-MM-DD")


class StoredFile(ApiModel):
    role: str = Field(
        description="original 原始文件 | archive_pdf 可检索 PDF/A | page_image 页面图像"
        " | ocr_image 识别底图"
    )
    page_no: int | None = Field(None, description="页码（逐页文件），整件文件为空")
    sha256: str
    size: int = Field(description="字节数")
    media_type: str


class PageText(ApiModel):
    page_no: int
    text: str = Field(description="该页文字（识别结果或原有文字层）")


class RecordOut(Filing):
    """One record: metadata, filing, stored files and the text of every page."""

    record_id: str = Field(description="档案记录编号")
    title: str = Field(description="题名")
    filename: str = Field(description="上传时的文件名")
    media_type: str = Field(description="原始文件的类型")
    size: int = Field(description="原始文件字节数")
    sha256: str = Field(description="原始文件的 SHA-256")
    page_count: int = Field(description="页数")
    ocr_mode: str = Field(description="ocr 经文字识别 | text_layer 原有文字层")
    created_at: str = Field(description="入库时间（UTC，ISO 8601）")
    metadata: dict[str, Any] = Field(description="其他元数据（随来源而异）")
    security_level: str = Field(description="密级：public 公开 | internal 内部 | restricted 受控")
    files: list[StoredFile]
    pages: list[PageText]


class UploadResult(Filing):
    """The outcome for one uploaded file (IngestResult); filing keys are present
    only when the file was archived."""

    file: str = Field(description="文件名")
    status: str = Field(description="archived 已归档 | duplicate 重复 | rejected 拒收")
    record_id: str | None = Field(None, description="档案记录编号（已归档或重复时）")
    pages: int = Field(0, description="页数")
    error: str | None = Field(None, description="拒收的原因（给人看的说明）")
    reason: str | None = Field(None, description="拒收原因代码，如 empty、too_large")
    title: str | None = Field(None, description="题名")
    sha256: str | None = None


class SecurityOut(ApiModel):
    record_id: str
    security_level: str = Field(description="调整后的密级")


class HitBoxOut(ApiModel):
    x: float = Field(description="左边，占页宽的比例（0–1）")
    y: float = Field(description="上边，占页高的比例（0–1）")
    w: float = Field(description="宽度，占页宽的比例")
    h: float = Field(description="高度，占页高的比例")
    text: str = Field(description="命中的文字")


class PageHits(ApiModel):
    record_id: str
    page: int = Field(description="页码")
    q: str = Field(description="检索词")
    boxes: list[HitBoxOut] = Field(description="命中位置，左上角为原点")

    @classmethod
    def of(cls, record_id: str, page: int, q: str, boxes: list[HitBox]) -> dict:
        """The JSON of the hits (a plain dict, to be masked before it is sent)."""
        return {"record_id": record_id, "page": page, "q": q, "boxes": [b.to_json() for b in boxes]}


class SearchHitOut(ApiModel):
    record_id: str
    score: float = Field(description="相关度")
    title: str = Field(description="题名")
    filename: str
    page_count: int
    snippet: str = Field(description="摘要，命中词以 <mark> 标出（已转义的 HTML）")
    pages: list[int] = Field(description="命中的页码")
    doc_type: str | None = None
    category: str | None = None
    retention: str | None = None
    business_date: str | None = None
    archival_code: str | None = None
    status: str = Field(description="filed 已归档 | review 待复核")
    security_level: str = Field(description="密级")


class SearchOut(ApiModel):
    query: str = Field(description="检索词")
    total: int = Field(description="符合条件的总件数；total_exact 为 false 时是下限")
    total_exact: bool = Field(
        True,
        description="true：total 是确切件数；false：符合条件的超过 total 件"
        "（检索只精确计数到 DANGAN_SEARCH_COUNT_LIMIT 件），界面显示为“超过 N 件”",
    )
    hits: list[SearchHitOut]


class FiledRecord(Filing):
    """A record's classification and filing after a reviewer confirmed it."""

    record_id: str
    title: str = Field(description="题名")

    @classmethod
    def of(cls, record: Record) -> dict:
        """The JSON (a plain dict, to be masked before it is sent)."""
        return {"record_id": record.id, "title": record.title, **filing_json(record)}


class ReviewItem(FiledRecord):
    filename: str = Field(description="上传时的文件名")


class ReviewQueueOut(ApiModel):
    total: int = Field(description="待复核件数")
    items: list[ReviewItem]

    @classmethod
    def of(cls, records: list[Record]) -> dict:
        """The queue's JSON (a plain dict, to be masked before it is sent)."""
        items = [{**FiledRecord.of(r), "filename": r.filename} for r in records]
        return {"total": len(items), "items": items}

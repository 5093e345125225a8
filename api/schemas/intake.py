"""Batch intake (收件) and its statistics; attaching scans to a case."""

from __future__ import annotations

from dangan.api.schemas import ApiModel
from dangan.api.schemas.records import UploadResult
from pydantic import Field


class QueuedFile(ApiModel):
    id: str = Field(description="排队任务编号")
    filename: str = Field(description="文件名")


class RefusedFile(ApiModel):
    filename: str
    error: str = Field(description="拒收的原因（给人看的说明）")
    reason: str | None = Field(None, description="拒收原因代码")


class BatchSubmitted(ApiModel):
    batch: str | None = Field(description="上传批次编号，用于查询进度；没有文件排队时为空")
    jobs: list[QueuedFile] = Field(description="已排队的文件")
    rejected: list[RefusedFile] = Field(
        default_factory=list, description="收件时即被拒收的文件（如无文件名、超过大小上限）"
    )


class IntakeJob(ApiModel):
    id: str = Field(description="任务编号")
    filename: str
    state: str = Field(description="queued 排队中 | running 处理中 | done 完成")
    stage: str = Field(description="当前步骤代码")
    stage_label: str = Field(description="当前步骤（中文）")
    pages: int | None = Field(None, description="页数（已知时）")
    pages_done: int | None = Field(None, description="已开始识别的页数")
    status: str | None = Field(
        None, description="完成后：archived 已归档 | duplicate 重复 | rejected 拒收"
    )
    record_id: str | None = None
    error: str | None = Field(None, description="拒收或失败的原因")
    attempts: int = Field(description="已尝试次数")
    worker: str | None = Field(None, description="正在处理的进程")
    created_at: str
    finished_at: str | None = None
    doc_type: str | None = Field(None, description="类别代码（完成后）")
    archival_code: str | None = Field(None, description="档号（完成后）")
    needs_review: bool | None = Field(None, description="是否待复核（完成后）")


class BatchProgress(ApiModel):
    batch: str
    total: int = Field(description="文件数")
    done: int = Field(description="已处理完的文件数")
    jobs: list[IntakeJob]

    @classmethod
    def of(cls, batch: str, jobs: list[dict]) -> dict:
        """The progress JSON (a plain dict, to be masked before it is sent)."""
        done = sum(j["state"] == "done" for j in jobs)
        return {"batch": batch, "total": len(jobs), "done": done, "jobs": jobs}


class DayCount(ApiModel):
    day: str = Field(description="日期 YYYY-MM-DD")
    records: int = Field(description="归档件数")
    pages: int = Field(description="归档页数")
    rejected: int = Field(description="拒收件数")
    duplicates: int = Field(description="重复件数")


class ClassCount(ApiModel):
    doc_type: str | None = Field(description="类别代码；未分类为空")
    material: str = Field(description="类别名称")
    records: int
    pages: int | None
    in_review: int = Field(description="其中待复核件数")


class Totals(ApiModel):
    records: int
    pages: int
    rejected: int


class IntakeStats(ApiModel):
    days: list[DayCount] = Field(description="每日收件，最近的在前")
    reject_reasons: dict[str, int] = Field(description="拒收原因代码 → 件数")
    review_backlog: int = Field(description="待复核积压件数")
    per_class: list[ClassCount] = Field(description="各类别的馆藏件数")
    totals: Totals = Field(description="统计期内合计")


class CaseAttached(ApiModel):
    serial: str = Field(description="业务流水号（规范化后）")
    results: list[UploadResult]

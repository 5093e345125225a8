"""Batch intake (收件) and its statistics; attaching scans to a case."""

from __future__ import annotations

from dangan.api.schemas import ApiModel
from dangan.api.schemas.records import UploadResult
from pydantic import Field


class QueuedFile(ApiModel):
    id: str = Field(description="排队任务编号")
    filename: str = Field(description="文件名")
    status: str | None = Field(None, description="rejected：未通过收件检查，当即拒收（不排队）")
    error: str | None = Field(None, description="拒收的原因（给人看的说明）")


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


class StackRecord(ApiModel):
    job: str = Field(description="这一件的排队任务编号")
    file: str = Field(description="这一件的文件名")
    pages: list[int] = Field(description="这一件由扫描文件的哪些页组成（按顺序）")
    serial: str | None = Field(None, description="归入的业务流水号（封面可识别且无疑问时）")
    cover_page: int | None = Field(None, description="封面所在页")
    review: list[str] = Field(default_factory=list, description="须人工复核的原因")


class StackPages(ApiModel):
    records: list[StackRecord] = Field(description="拆分出的各件")
    fates: dict[str, str] = Field(
        description="未归入任何一件的页：页码 → 原因（封面、空白背面、分隔页…）"
    )
    notes: list[str] = Field(description="整叠材料的情况（连续两张封面、最后一张封面后没有材料…）")


class IntakeJob(ApiModel):
    id: str = Field(description="任务编号")
    filename: str
    state: str = Field(description="queued 排队中 | running 处理中 | done 完成")
    stage: str = Field(description="当前步骤代码")
    stage_label: str = Field(description="当前步骤（中文）")
    pages: int | None = Field(None, description="页数（已知时）")
    pages_done: int | None = Field(None, description="已开始识别的页数")
    status: str | None = Field(
        None,
        description="完成后：archived 已归档 | duplicate 重复 | rejected 拒收 | split 已按封面拆分为多件",
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
    stack: StackPages | None = Field(None, description="扫描的整叠材料：每页的去向（已拆分时）")


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


class CaseTicket(ApiModel):
    serial: str = Field(description="业务流水号")
    url: str = Field(description="嵌入查看的地址（放入 iframe；无需登录，只能查看该业务的档案）")
    expires_at: str = Field(description="失效时间（UTC，ISO 8601）")

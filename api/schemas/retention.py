"""The compliance desk (鉴定小组): due list, holds, appraisal batches, destruction."""

from __future__ import annotations

from dangan.api.schemas import ApiModel
from pydantic import Field


class DueRecordOut(ApiModel):
    record_id: str
    archival_code: str | None = Field(description="档号")
    title: str = Field(description="题名")
    doc_type: str | None = Field(description="类别代码")
    year: str = Field(description="形成年度")
    disposal_date: str = Field(description="到期日 YYYY-MM-DD")
    held: bool = Field(description="是否被冻结")
    batch_id: int | None = Field(description="所在的未完结鉴定批次")
    security_level: str = Field(description="密级")


class DueGroup(ApiModel):
    doc_type: str | None = Field(description="类别代码")
    material: str = Field(description="类别名称")
    year: str = Field(description="形成年度")
    count: int
    records: list[DueRecordOut]


class DueSummary(ApiModel):
    as_of: str = Field(description="截至日期 YYYY-MM-DD")
    groups: list[DueGroup] = Field(description="可进入鉴定的到期档案，按类别、年度分组")
    held: list[DueRecordOut] = Field(description="已冻结的到期档案（不得鉴定销毁）")
    in_review: list[DueRecordOut] = Field(description="已在鉴定批次中的到期档案")
    total: int = Field(description="可进入鉴定的件数")


class HoldOut(ApiModel):
    id: int = Field(description="冻结编号")
    kind: str = Field(description="audit 稽核 | litigation 诉讼 | petition 信访 | other 其他")
    kind_label: str = Field(description="冻结事由类别（中文）")
    reason: str = Field(description="冻结理由")
    owner: str = Field(description="承办人或承办部门")
    created_by: str
    created_at: str
    lifted_by: str | None = None
    lifted_at: str | None = None
    lift_reason: str | None = None
    records: int = Field(description="冻结的件数")


class HoldList(ApiModel):
    holds: list[HoldOut]


class HoldPlaced(ApiModel):
    hold: int = Field(description="冻结编号")
    records: list[str] = Field(description="被冻结的档案记录编号")


class HoldLifted(ApiModel):
    hold: int
    lifted: bool


class BatchSummary(ApiModel):
    id: int
    title: str
    status: str = Field(
        description="appraisal 在鉴定中 | approved 已审批 | executing 销毁中 | executed 销毁完毕"
    )
    created_by: str
    created_at: str
    approved_by: str | None = None
    executed_at: str | None = None
    records: int = Field(description="批次内件数")
    destroy: int = Field(description="鉴定为销毁的件数")
    keep: int = Field(description="鉴定为继续保存的件数")


class BatchList(ApiModel):
    batches: list[BatchSummary]


class BatchItem(ApiModel):
    batch_id: int
    record_id: str
    archival_code: str | None = Field(description="档号")
    title: str
    doc_type: str | None
    formed_date: str | None
    retention: str | None
    disposal_date: str | None
    pages: int
    decision: str = Field(description="pending 待鉴定 | destroy 销毁 | keep 继续保存")
    extend_years: int | None = Field(description="继续保存的年数")
    reason: str | None = Field(description="鉴定意见")
    appraisers: list[str] = Field(description="鉴定人")
    state: str = Field(description="pending | destroying | destroyed 已销毁 | skipped 因冻结跳过")
    blob_keys: str | None = Field(description="销毁中：待删除的存储对象（JSON 文本）")
    destroyed_at: str | None
    security_level: str = Field(description="密级（档案现存时取其现在的密级）")


class Supervision(ApiModel):
    username: str
    name: str = Field(description="监销人姓名")
    confirmed_at: str = Field(description="本人确认的时间（UTC）")
    resumed: bool = Field(description="是否在中断后续行销毁时确认")


class BatchOut(ApiModel):
    id: int
    title: str
    as_of: str = Field(description="到期截至日期")
    status: str = Field(
        description="appraisal 在鉴定中 | approved 已审批 | executing 销毁中 | executed 销毁完毕"
    )
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None
    approval_note: str | None = Field(description="审批意见")
    supervisors: list[str] = Field(description="监销人用户名")
    supervision: list[Supervision] = Field(description="监销人逐一确认的记录")
    method: str | None = Field(description="销毁方式")
    executed_at: str | None
    documents: dict[str, str] = Field(
        description="留存文件：register_pdf、register_csv、certificate_pdf"
    )
    items: list[BatchItem] = Field(description="批次内档案（调用者密级以内的）")
    hidden_items: int = Field(description="因超出调用者密级而未列出的件数")


class Appraised(ApiModel):
    batch: int
    appraised: int = Field(description="记录了鉴定意见的件数")


class Executed(ApiModel):
    batch: int
    destroyed: int = Field(description="已销毁件数")
    skipped: int = Field(description="因冻结跳过的件数")
    register_pdf: str = Field(description="销毁清册（PDF）的存储键")
    register_csv: str = Field(description="销毁清册（CSV）的存储键")
    certificate_pdf: str = Field(description="销毁证明（PDF）的存储键")

"""The audit log."""

from __future__ import annotations

from typing import Any

from dangan.api.schemas import ApiModel
from pydantic import Field


class AuditEntry(ApiModel):
    seq: int = Field(description="序号")
    at: str = Field(description="时间（UTC，ISO 8601）")
    actor: str = Field(description="操作人")
    action: str = Field(description="操作代码")
    label: str = Field(description="操作（中文）")
    target: str | None = Field(description="对象")
    detail: dict[str, Any] = Field(description="细节（随操作而异）")


class AuditEntries(ApiModel):
    entries: list[AuditEntry] = Field(description="按时间倒序")


class AuditCheck(ApiModel):
    ok: bool = Field(description="哈希链是否完好")
    entries: int = Field(description="校验的条数")
    problem: str | None = Field(description="发现的问题")
    first_bad_seq: int | None = Field(description="第一条有问题的序号")

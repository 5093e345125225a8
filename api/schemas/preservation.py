"""四性检测 runs (preservation/store.py) as the clerk desk's API returns them."""

from __future__ import annotations

from typing import Any

from dangan.api.schemas import ApiModel
from pydantic import Field


class CheckRun(ApiModel):
    id: int = Field(description="检测编号")
    kind: str = Field(
        description="检测种类：filing 归档、record 单件、archive 全库、sweep 巡检、transfer 移交"
    )
    scope: str = Field(description="检测范围：档案编号、all 或移交包")
    actor: str = Field(description="执行人")
    state: str = Field(description="running 进行中 | done 已完成")
    started_at: str
    finished_at: str | None = None
    cursor: str | None = Field(None, description="巡检的断点（最后检查的对象）")
    objects: int = Field(description="已检查的对象数")
    bytes: int = Field(description="已读取的字节数")
    summary: dict[str, Any] = Field(
        description="各性质、各检测项的通过、不通过、警告、未检测条数与结论"
    )
    report_keys: dict[str, str] = Field(description="报告在对象存储中的位置（pdf、xlsx）")


class CheckAlarm(ApiModel):
    run: int = Field(description="不通过的检测编号")
    kind: str
    scope: str
    failed_items: list[str] = Field(description="不通过的检测项代码")
    finished_at: str | None = None


class CheckRuns(ApiModel):
    runs: list[CheckRun]
    alarms: list[CheckAlarm] = Field(description="每种检测最近一次不通过的")

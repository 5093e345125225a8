"""The archive's tree by 全宗/年度/门类/保管期限."""

from __future__ import annotations

from dangan.api.schemas import ApiModel
from pydantic import Field


class TreeNodeOut(ApiModel):
    label: str = Field(description="节点名称：全宗号、年度、门类或保管期限")
    count: int = Field(description="本节点下调用者可查阅的已归档件数（不计超出其密级的档案）")
    fonds: str = Field(description="全宗号；空为不限")
    year: str = Field(description="年度；空为不限")
    category: str = Field(description="门类；空为不限")
    retention: str = Field(description="保管期限；空为不限")
    children: list[TreeNodeOut] = Field(description="下一级节点")


class TreeRecordsOut(ApiModel):
    total: int = Field(description="本节点下调用者可查阅的件数")
    records: list[dict] = Field(
        description="本页档案（档号、题名、业务日期、类别、门类、保管期限、页数、密级）"
    )

"""Volumes (组卷) on the shelf."""

from __future__ import annotations

from dangan.api.schemas import ApiModel
from pydantic import Field


class VolumeOut(ApiModel):
    prefix: str = Field(description="档号前缀（年度·保管期限·类别）")
    year: str = Field(description="年度")
    retention: str = Field(description="保管期限")
    category: str = Field(description="门类")
    count: int = Field(description="卷内件数")
    pages: int = Field(description="卷内页数")
    first: str | None = Field(description="起始档号")
    last: str | None = Field(description="终止档号")
    doc_types: list[str] = Field(description="卷内的类别代码")


class VolumeList(ApiModel):
    total: int
    volumes: list[VolumeOut]

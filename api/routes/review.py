"""Review queue: list records the machine was unsure of; confirm or correct."""

from __future__ import annotations

from dangan.api.auth import Reviewer, masked, visible_levels
from dangan.api.deps import ArchiveDep, load_record
from dangan.api.schemas.records import FiledRecord, ReviewQueueOut
from dangan.ingest.review import confirm, review_queue
from fastapi import APIRouter
from pydantic import BaseModel, Field

router = APIRouter(tags=["review"])


class Confirmation(BaseModel):
    doc_type: str | None = Field(None, description="类别代码；不填则确认机器的分类")
    business_date: str | None = Field(None, description="业务办理日期 YYYY-MM-DD")
    id_numbers: list[str] | None = Field(None, description="更正后的全部公民身份号码")
    person_name: str | None = None


@router.get("/review", summary="待复核队列", response_model=ReviewQueueOut)
def list_review(archive: ArchiveDep, user: Reviewer) -> dict:
    return masked(ReviewQueueOut.of(review_queue(archive, visible_levels(user))), user)


@router.post(
    "/records/{record_id}/confirm",
    summary="确认或更正分类和字段并归档",
    response_model=FiledRecord,
)
def confirm_record(record_id: str, body: Confirmation, archive: ArchiveDep, user: Reviewer) -> dict:
    load_record(archive, record_id, user)  # refused above the caller's 密级
    record = confirm(
        archive,
        record_id,
        doc_type=body.doc_type,
        business_date=body.business_date,
        id_numbers=body.id_numbers,
        person_name=body.person_name,
        actor=user.name,
    )
    return masked(FiledRecord.of(record), user)

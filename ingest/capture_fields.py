"""A record cut from a scanned stack: its cover sheet's data against what OCR
read on its pages. The sheet outranks OCR (it came from the business system);
where the two disagree the record goes to review with both values named, so
a clerk decides and nothing is filed silently under the wrong case or person."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dangan.retention.schedule import Schedule


def reconcile(
    capture: dict,
    fields: dict,
    code: str | None,
    confidence: float,
    schedule: Schedule,
    threshold: float,
) -> tuple[str | None, float, list[str]]:
    """Update `fields` from the cover sheet; (class code, confidence, reasons for review)."""
    cover = capture.get("cover") or {}
    reasons = list(capture.get("review") or [])
    serial = cover.get("serial")
    if serial and fields.get("serial") and fields["serial"] != serial:
        reasons.append(
            f"封面的业务流水号 {serial} 与材料上识别到的 {fields['serial']} 不一致，请核对。"
        )
    pid = cover.get("id_number")
    if pid:
        read = fields.get("id_numbers") or []
        others = [v for v in read if v != pid]
        if read and pid not in read:
            reasons.append(
                f"封面的公民身份号码 {pid} 与材料上识别到的 {'、'.join(read)} 不一致，请核对。"
            )
        elif others:
            reasons.append(
                f"材料上除封面的公民身份号码 {pid} 外还有 {'、'.join(others)}：可能混入了另一笔业务"
                "的材料（漏放封面），也可能是代办人或家属，请核对。"
            )
        fields["id_numbers"] = [pid, *(v for v in read if v != pid)]
    unit = cover.get("unit_code")
    if unit:
        read_units = [v for v in (fields.get("unit_code"), fields.get("credit_code")) if v]
        if read_units and unit not in read_units:
            reasons.append(
                f"封面的单位编号 {unit} 与材料上识别到的 {'、'.join(read_units)} 不一致，请核对。"
            )
        elif not fields.get("unit_code"):
            fields["unit_code"] = unit
    given = cover.get("doc_type") or capture.get("default_class")
    if given and not cover.get("doc_type") and code is None:
        # a folder's default class never files what the classifier found to be
        # no business record of a known class (an advert, another agency's paper)
        given = None
    if given and given in schedule.by_code:
        if code and code != given and confidence >= threshold:
            named = schedule.by_code.get(code)
            reasons.append(
                f"封面（或文件夹设定）的类别“{schedule.by_code[given].material}”与识别出的"
                f"“{named.material if named else code}”不一致，请确认类别。"
            )
        return given, 1.0 if cover.get("doc_type") else max(confidence, threshold), reasons
    return code, confidence, reasons

"""Personal data shown only where it may be: 公民身份号码 masked by the field
extractor's own recogniser at every exit (record JSON, page text, snippets, hit
boxes, file names, audit views, the review queue, registers and catalogues),
受控 records listed only to people cleared for them, and every read of page
content in the audit log."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.base import FileRef
from dangan.ingest.fields import extract_fields
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

# The ID numbers on the page, each as OCR left it, and a part of it that a
# masked view must never show (the birth date in the middle).
SPACED = "350203 19850505 4327"  # split by OCR spaces
LETTERS = "35O3O4197707075553"  # O read for 0
GLUED = "ID11010519491231002X"  # glued to the word before it
PLAIN = "350102198001011233"
HIDDEN = ("19850505", "19770707", "19491231", "19800101")
PAGE = f"张三 身份证 {SPACED} 另 {LETTERS} 又 {GLUED} 号 {PLAIN} 报销申请"
FILENAME = f"张三_{PLAIN}.pdf"
AS_OF = "2030-01-01"


def _leaks(text: str) -> list[str]:
    return [part for part in HIDDEN if part in text]


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (as OCRmyPDF's would)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from dangan.pdf import cjk_font

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    font = cjk_font()
    for n, line in enumerate(lines):
        page.setFont(font, 11)
        page.drawString(40, 780 - 20 * n, line)
    page.save()
    return out.getvalue()


def _files(archive: Archive, rid: str, text: str) -> list[FileRef]:
    pdf = archive.blobs.put_bytes(f"test/{rid}.pdf", _pdf(text.split(" 又 ")))
    image = archive.blobs.put_bytes(f"test/{rid}-1.jpg", b"\xff\xd8 page image")
    ocr = archive.blobs.put_bytes(f"test/{rid}-1-ocr.jpg", b"\xff\xd8 ocr image")
    return [
        FileRef("archive_pdf", pdf.key, pdf.sha256, pdf.size, "application/pdf"),
        FileRef("page_image", image.key, image.sha256, image.size, "image/jpeg", 1),
        FileRef("ocr_image", ocr.key, ocr.sha256, ocr.size, "image/jpeg", 1),
    ]


def _fields(text: str, day: str) -> dict:
    return {**extract_fields([text]).to_json(), "business_date": day}


@pytest.fixture
def client(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    file_record(
        archive,
        "p1",
        "reimbursement",
        _fields(PAGE, "2012-05-01"),
        pages=[PAGE],
        title="医疗费用零星报销申请表",
        filename=FILENAME,
        files=_files(archive, "p1", PAGE),
    )
    secret = f"稽核通知书 被稽核人 {SPACED}"
    file_record(  # 稽核监管类: 受控 by default, due for destruction by AS_OF
        archive, "r1", "audit_notice", _fields(secret, "1990-05-01"), pages=[secret],
        title="受控稽核通知书甲",
    )  # fmt: skip
    file_record(  # in the review queue: no class
        archive, "q1", None, _fields(PAGE, "2024-05-01"), pages=[PAGE], title="待复核甲"
    )
    file_record(  # in the review queue and 受控
        archive, "q2", "audit_notice", _fields(secret, "2024-05-01"), pages=[secret],
        title="受控待复核乙", confidence=0.1,
    )  # fmt: skip
    archive.sync_index()
    archive.close()
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_extractor_and_the_mask_agree_on_every_form():
    from dangan.identifiers import mask_id_numbers

    fields = extract_fields([PAGE])
    assert set(fields.id_numbers) == {
        "350203198505054327",
        "350304197707075553",
        "11010519491231002X",
        PLAIN,
    }
    masked = mask_id_numbers(PAGE)
    assert _leaks(masked) == []
    assert "3502** ******** 4327" in masked and "35O3**********5553" in masked
    assert "ID1101**********002X" in masked and "3501**********1233" in masked
    assert mask_id_numbers(masked) == masked  # masking twice changes nothing


def test_masked_roles_never_get_full_numbers(client):
    login(client, "auditor")
    record = client.get("/api/records/p1")
    assert record.status_code == 200
    assert _leaks(record.text) == [], "record JSON"
    assert record.json()["filename"] == "张三_3501**********1233.pdf"
    page = client.get("/records/p1")
    assert page.status_code == 200 and _leaks(page.text) == [], "record page"
    assert "3501**********1233.pdf" in page.text
    highlighted = client.get("/records/p1", params={"q": "3502*"})
    assert _leaks(highlighted.text) == [], "record page with a highlighted ID prefix"
    found = client.get("/api/search", params={"q": "张三"}).json()
    assert any(h["record_id"] == "p1" for h in found["hits"])
    assert _leaks(str(found)) == [], "search snippets"
    ui = client.get("/", params={"q": "张三"})
    assert "p1" in ui.text and _leaks(ui.text) == [], "search page"
    person = client.get("/api/persons/350203198505054327/records").json()
    assert "p1" in {h["record_id"] for h in person["hits"]} and _leaks(str(person)) == []


def test_hit_boxes_show_masked_numbers_to_masked_roles(client):
    login(client, "caseworker")  # sees full numbers: the page really holds them
    full = client.get("/api/records/p1/pages/1/hits", params={"q": "3501*"}).json()
    assert PLAIN in [b["text"] for b in full["boxes"]]
    login(client, "auditor", username="auditor1")
    for q in ("3501*", "3502*", "350203", "19850505", PLAIN):
        hits = client.get("/api/records/p1/pages/1/hits", params={"q": q})
        assert hits.status_code == 200
        assert hits.json()["boxes"] or q == PLAIN, q  # a masked view still finds the place
        assert _leaks(str(hits.json()["boxes"])) == [], q  # (q itself is echoed as sent)
    boxes = client.get("/api/records/p1/pages/1/hits", params={"q": "3501*"}).json()["boxes"]
    assert [b["text"] for b in boxes] == ["3501**********1233"]


def test_audit_views_mask_people_searched_for(client):
    login(client, "caseworker")
    assert client.get("/api/persons/350203198505054327/records").status_code == 200
    assert client.get("/api/search", params={"q": SPACED}).status_code == 200
    # 三员分立: only the security auditor reads the log; the system administrator is refused
    login(client, "admin", username="u_admin_audit")
    assert client.get("/api/audit").status_code == 403
    login(client, "auditor", username="u_auditor_audit")
    api = client.get("/api/audit")
    assert api.status_code == 200 and "person.view" in api.text
    assert _leaks(api.text) == []
    page = client.get("/audit")
    assert page.status_code == 200 and _leaks(page.text) == []
    # the log keeps who was looked up only as a keyed hash an auditor can search by
    archive = client.app.state.archive
    targets = {e["target"] for e in archive.audit.entries(action="person.view")}
    assert archive.audit.pseudonym("350203198505054327") in targets
    assert "350203198505054327" not in targets


def test_review_queue_for_admin_is_masked_and_within_clearance(client):
    login(client, "clerk")
    clerk = client.get("/api/review").json()
    assert {i["record_id"] for i in clerk["items"]} == {"q1", "q2"}
    assert "350203198505054327" in str(clerk)
    login(client, "admin")
    admin = client.get("/api/review").json()
    assert {i["record_id"] for i in admin["items"]} == {"q1"}
    assert _leaks(str(admin)) == []
    page = client.get("/review")
    assert "待复核甲" in page.text and "受控待复核乙" not in page.text
    assert _leaks(page.text) == []
    refused = client.post("/api/records/q2/confirm", json={"doc_type": "audit_notice"})
    assert refused.status_code == 403


def _pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return "".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def test_admin_does_not_see_restricted_records_in_lists_and_registers(client):
    login(client, "compliance")
    created = client.post("/api/retention/batches", json={"as_of": AS_OF})
    assert created.status_code == 200, created.text
    batch_id = created.json()["id"]
    assert {i["record_id"] for i in created.json()["items"]} == {"p1", "r1"}
    appraised = client.post(
        f"/api/retention/batches/{batch_id}/appraisals",
        json={"decision": "destroy", "reason": "保管期满"},
    )
    assert appraised.status_code == 200, appraised.text
    archive = client.app.state.archive
    restricted = archive.catalog.get("r1")
    code = restricted.archival_code

    login(client, "head")  # cleared for 受控
    assert code in client.get(f"/api/retention/batches/{batch_id}").text

    login(client, "admin")
    due = client.get("/api/retention/due", params={"as_of": AS_OF})
    assert due.status_code == 200 and "受控稽核通知书甲" not in due.text and code not in due.text
    batch = client.get(f"/api/retention/batches/{batch_id}").json()
    assert [i["record_id"] for i in batch["items"]] == ["p1"]
    assert batch["hidden_items"] == 1
    desk = client.get("/compliance", params={"as_of": AS_OF})
    assert desk.status_code == 200 and code not in desk.text and "受控稽核通知书甲" not in desk.text
    register = client.get(f"/api/retention/batches/{batch_id}/register.csv")
    rows = list(csv.reader(io.StringIO(register.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == [archive.catalog.get("p1").archival_code]
    pdf = client.get(f"/api/retention/batches/{batch_id}/register.pdf")
    assert pdf.status_code == 200 and code not in _pdf_text(pdf.content)

    volumes = client.get("/api/volumes").json()["volumes"]
    assert volumes and restricted.archival_prefix not in {v["prefix"] for v in volumes}
    refused = client.get(
        "/api/volumes/catalogue.pdf", params={"prefix": restricted.archival_prefix}
    )
    assert refused.status_code == 404
    labels = _pdf_text(client.get("/api/volumes/labels.pdf").content)
    assert archive.catalog.get("p1").archival_prefix in labels
    assert restricted.archival_prefix not in labels
    assert restricted.archival_prefix not in client.get("/volumes").text

    login(client, "clerk")  # cleared: the restricted volume is there
    volumes = client.get("/api/volumes").json()["volumes"]
    assert restricted.archival_prefix in {v["prefix"] for v in volumes}


def test_every_read_of_page_content_is_audited(client):
    archive = client.app.state.archive
    login(client, "caseworker")
    for _ in range(3):  # read again and again: one entry per page and view
        assert client.get("/api/records/p1/pages/1/image").status_code == 200
        assert client.get("/api/records/p1/pages/1/ocr-image").status_code == 200
        assert client.get("/api/records/p1/pages/1/hits", params={"q": "张三"}).status_code == 200
    entries = archive.audit.entries(actor="u_caseworker", limit=100)
    reads = sorted(
        (e["action"], e["target"], e["detail"].get("page"))
        for e in entries
        if e["action"].startswith("page.")
    )
    assert reads == [
        ("page.hits", "p1", 1),
        ("page.image", "p1", 1),
        ("page.ocr_image", "p1", 1),
    ]
    (hits,) = [e for e in entries if e["action"] == "page.hits"]
    assert hits["detail"]["q"] == archive.audit.pseudonym("张三") and hits["label"]

    login(client, "clerk")
    assert client.get("/api/records/p1/pages/1/image").status_code == 200  # another person
    prefix = archive.catalog.get("p1").archival_prefix
    assert client.get("/api/volumes/catalogue.pdf", params={"prefix": prefix}).status_code == 200
    assert client.get("/api/volumes/labels.pdf").status_code == 200
    actions = [
        e["action"]
        for e in archive.audit.entries(actor="u_clerk", limit=100)
        if e["action"] != "login"
    ]
    assert sorted(actions) == ["page.image", "volumes.catalogue", "volumes.labels"]

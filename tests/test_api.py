"""The HTTP API and the web UI, in-process through FastAPI's test client."""

from __future__ import annotations

import pytest
from conftest import login
from dangan.api.app import create_app
from fastapi.testclient import TestClient


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        login(c, "clerk", "caseworker")
        yield c


def _upload(client, *paths, names=None):
    files = []
    for i, path in enumerate(paths):
        name = names[i] if names else path.name
        files.append(("files", (name, path.read_bytes(), "application/octet-stream")))
    response = client.post("/api/records", files=files)
    assert response.status_code == 200, response.text
    return response.json()


def test_upload_search_record_page_image_and_pdf(client, corpus, bad_files):
    doc = (
        next(d for d in corpus if d.format == "tiff")
        if any(d.format == "tiff" for d in corpus)
        else corpus[0]
    )
    results = _upload(client, doc.path, bad_files["encrypted"])
    assert results[0]["status"] == "archived"
    assert results[1]["status"] == "rejected" and "加密" in results[1]["error"]
    record_id = results[0]["record_id"]

    record = client.get(f"/api/records/{record_id}").json()
    assert record["page_count"] == len(doc.pages)
    assert len(record["pages"]) == len(doc.pages)

    image = client.get(f"/api/records/{record_id}/pages/1/image")
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
    pdf = client.get(f"/api/records/{record_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    original = client.get(f"/api/records/{record_id}/original")
    assert original.content == doc.path.read_bytes()
    # the quality check: what OCR read (seal suppressed), greyscale, half resolution
    seen = client.get(f"/api/records/{record_id}/pages/1/ocr-image")
    assert seen.status_code == 200 and seen.content[:3] == b"\xff\xd8\xff"
    from io import BytesIO

    from PIL import Image

    seen_image = Image.open(BytesIO(seen.content))
    assert seen_image.mode == "L" and 600 < seen_image.width < 1400  # A4 at about 150 dpi
    assert 'id="show-ocr-input"' in client.get(f"/records/{record_id}").text

    id_number = doc.fields["id_numbers"][0]
    found = client.get("/api/search", params={"q": id_number}).json()
    assert found["total"] == 1 and found["hits"][0]["record_id"] == record_id
    assert found["hits"][0]["pages"]

    again = _upload(client, doc.path)
    assert again[0]["status"] == "duplicate" and again[0]["record_id"] == record_id


def test_missing_record_and_page_are_404_with_chinese_message(client):
    response = client.get("/api/records/nope")
    assert response.status_code == 404
    assert "没有编号为" in response.json()["error"]


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/records",
        "/api/records/{record_id}",
        "/api/records/{record_id}/pages/{page_no}/image",
        "/api/records/{record_id}/pdf",
        "/api/search",
    ):
        assert path in spec["paths"], path


def test_web_ui_search_and_viewer_highlight_the_query(client, corpus):
    doc = corpus[0]
    (result,) = _upload(client, doc.path)
    home = client.get("/")
    assert home.status_code == 200 and "检索" in home.text
    id_number = doc.fields["id_numbers"][0]
    page = client.get("/", params={"q": id_number})
    assert f"/records/{result['record_id']}" in page.text
    assert f"<mark>{id_number}</mark>" in page.text
    viewer = client.get(f"/records/{result['record_id']}", params={"q": id_number})
    assert viewer.status_code == 200
    assert f"<mark>{id_number}</mark>" in viewer.text
    assert f"/api/records/{result['record_id']}/pages/1/image" in viewer.text
    upload_page = client.get("/upload")
    assert "上传扫描件" in upload_page.text


def test_page_hits_give_boxes_on_the_image_and_keep_the_clearance_check(client, corpus):
    doc = next(d for d in corpus if d.format == "png")
    (result,) = _upload(client, doc.path)
    record_id = result["record_id"]
    id_number = result["id_numbers"][0]
    url = f"/api/records/{record_id}/pages/1/hits"

    found = client.get(url, params={"q": f"{id_number} 不存在的词语甲乙丙"})
    assert found.status_code == 200, found.text
    (box,) = found.json()["boxes"]
    assert box["text"] == id_number
    assert 0 <= box["x"] < box["x"] + box["w"] <= 1 and 0 <= box["y"] < box["y"] + box["h"] <= 1
    assert client.get(url, params={"q": "不存在的词语甲乙丙"}).json()["boxes"] == []
    page_two = f"/api/records/{record_id}/pages/2/hits"
    assert client.get(page_two, params={"q": "医保"}).status_code == 404
    assert client.get(url).status_code == 422  # the query is required

    viewer = client.get(f"/records/{record_id}", params={"q": id_number}).text
    assert f'data-hits="{url}"' in viewer and "/static/viewer.js" in viewer
    assert "data-hits" not in client.get(f"/records/{record_id}").text

    level = {"level": "restricted", "reason": "含稽核线索"}
    assert client.put(f"/api/records/{record_id}/security", json=level).status_code == 200
    login(client, "caseworker")  # reads up to 内部
    refused = client.get(url, params={"q": id_number})
    assert refused.status_code == 403 and "boxes" not in refused.text

"""The desks in a real browser: headless Chromium against `dangan serve`."""

from __future__ import annotations

import time

import pytest
from browser import Server, chromium, login, shot

from dangan.pdf import TableSheet, tables_pdf

pytestmark = pytest.mark.browser

PERSON = "11010519491231002X"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-home")
    srv = Server(home)
    srv.add_user("wang", "clerk")
    srv.add_user("li", "caseworker")
    srv.add_user("zhou", "compliance")
    srv.add_user("chen", "head")
    srv.add_user("shen", "auditor")
    # a record the machine cannot file on its own: no business date on the form
    form = tmp_path_factory.mktemp("forms") / "变更登记.pdf"
    form.write_bytes(
        tables_pdf(
            [
                TableSheet(
                    title="参保人员信息变更登记表",
                    columns=["姓名", "公民身份号码", "变更项目"],
                    rows=[["张三", PERSON, "联系电话"]],
                    widths=[1, 2, 1],
                )
            ]
        )
    )
    srv.cli("ingest", str(form))
    # a three-page record for turning pages in the viewer
    book = tmp_path_factory.mktemp("forms") / "三页登记.pdf"
    book.write_bytes(
        tables_pdf(
            [
                TableSheet(
                    title=f"医疗费用报销审批表 翻页样册 第{n}页",
                    columns=["姓名", "公民身份号码", "金额"],
                    rows=[["李四", "110105196004040012", f"{n}00.00"]],
                    widths=[1, 2, 1],
                )
                for n in (1, 2, 3)
            ]
        )
    )
    srv.cli("ingest", str(book))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = chromium(tmp_path_factory.mktemp("downloads"))
    yield d
    d.quit()


def _submit(driver, button) -> None:
    """Click a form's button and wait until the browser shows the next page.

    The old document is marked with a window property; a navigation replaces the
    window object, so the mark disappears once the next page has loaded. (Polling
    the old page's elements races with Chrome tearing the document down.)
    """
    driver.execute_script("window.__danganOldPage = true;")
    button.click()

    def loaded(d):
        try:
            return d.execute_script(
                "return !window.__danganOldPage && document.readyState === 'complete';"
            )
        except Exception:  # the page is between documents; ask again
            return False

    _wait_for(driver, loaded, 30, "next page")


def _flash(driver) -> str:
    """The message shown after a form was sent (waits for the new page)."""
    from selenium.webdriver.common.by import By

    def found(d):
        items = d.find_elements(By.CSS_SELECTOR, ".flash.ok, .flash.error")
        return items[0].text if items else None

    return _wait_for(driver, found, 20, "flash message")


def _wait_for(driver, check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check(driver)
        if value:
            return value
        time.sleep(0.5)
    shot(driver, f"timeout-{what}")
    raise AssertionError(f"timed out waiting for {what}")


def test_clerk_uploads_a_batch_watches_it_finish_and_confirms_a_review_item(
    server, driver, corpus, bad_files
):
    from selenium.webdriver.common.by import By

    login(driver, server, "wang")
    driver.get(server.url + "/upload")
    shot(driver, "clerk-upload-empty")
    paths = [str(d.path) for d in corpus[:2]] + [str(bad_files["encrypted"])]
    driver.find_element(By.ID, "files").send_keys("\n".join(paths))
    driver.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    _wait_for(
        driver,
        lambda d: d.find_element(By.ID, "progress").get_attribute("data-done") == "1",
        600,
        "batch",
    )
    rows = driver.find_elements(By.CSS_SELECTOR, "#progress tbody tr")
    shot(driver, "clerk-upload-finished")
    assert len(rows) == 3
    text = driver.find_element(By.ID, "progress").text
    assert "已拒收" in text and "加密" in text
    for row in rows:  # a refused file never reads 完成
        assert ("已拒收" in row.text) != ("完成" in row.text), row.text

    driver.get(server.url + "/review")
    item = driver.find_element(By.CSS_SELECTOR, "section.review-item")
    assert "业务办理日期" in item.text
    shot(driver, "clerk-review-queue")
    date_input = item.find_element(By.NAME, "business_date")
    driver.execute_script("arguments[0].value = '2024-05-10'", date_input)
    _submit(driver, item.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    flash = _flash(driver)
    assert "已归档" in flash and "Q001-YW·2024-" in flash
    shot(driver, "clerk-review-confirmed")


def test_caseworker_finds_a_person_by_id_and_reads_a_page(server, driver):
    from selenium.webdriver.common.by import By

    login(driver, server, "li")
    box = driver.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    box.send_keys(PERSON)
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "form.search button[type=submit]"))
    _submit(driver, driver.find_element(By.LINK_TEXT, "查看此人的全部档案（按时间排列）"))
    assert "参保人档案" in driver.find_element(By.TAG_NAME, "h1").text
    assert "2024 年" in driver.page_source
    shot(driver, "caseworker-person-timeline")
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "#records a.title"))
    image = driver.find_element(By.CSS_SELECTOR, ".page-image img")
    _wait_for(
        driver, lambda d: d.execute_script("return arguments[0].naturalWidth", image), 30, "page"
    )
    assert PERSON in driver.find_element(By.CSS_SELECTOR, ".page-text").text
    shot(driver, "caseworker-record-viewer")
    driver.find_element(By.CSS_SELECTOR, "button[data-zoom='1']").click()
    frame = driver.find_element(By.CSS_SELECTOR, ".page-image")
    assert frame.get_attribute("data-zoom") == "125"
    shot(driver, "caseworker-record-zoomed")


def test_caseworker_is_refused_the_clerk_and_filing_desks(server, driver):
    from selenium.webdriver.common.by import By

    login(driver, server, "li")
    for path in ("/review", "/volumes", "/stats", "/compliance", "/audit"):
        driver.get(server.url + path)
        assert "无权" in driver.find_element(By.TAG_NAME, "body").text, path
    shot(driver, "caseworker-refused")


def test_compliance_officer_takes_a_batch_to_approval_by_the_agency_head(server, driver):
    from selenium.webdriver.common.by import By

    login(driver, server, "zhou")
    driver.get(server.url + "/compliance?as_of=2200-01-01")
    assert "到期的档案" in driver.find_element(By.TAG_NAME, "h2").text
    _submit(driver, driver.find_element(By.ID, "create-batch"))
    assert "已建立鉴定批次" in _flash(driver)
    form = driver.find_element(By.CSS_SELECTOR, "form.appraise")
    form.find_element(By.NAME, "reason").send_keys("保管期满，经鉴定无继续保存价值")
    _submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "鉴定意见" in _flash(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, "form.approve")  # not the officer's to approve
    shot(driver, "compliance-batch-appraised")

    login(driver, server, "chen")
    driver.get(server.url + "/compliance")
    assert not driver.find_elements(By.CSS_SELECTOR, "form.approve")  # not before the items
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "a.open-batch"))
    assert driver.find_elements(By.CSS_SELECTOR, ".batch-items tbody tr a[href^='/records/']")
    shot(driver, "compliance-batch-items-for-head")
    driver.execute_script("window.confirm = () => true;")  # the approval asks first
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "form.approve button[type=submit]"))
    assert "已审批" in _flash(driver)
    driver.get(server.url + "/compliance")
    batch = driver.find_element(By.CSS_SELECTOR, ".batch")
    assert batch.get_attribute("data-status") == "approved"
    shot(driver, "compliance-batch-approved")


def test_token_holder_attaches_a_scan_and_the_case_opens_in_the_embedded_view(
    server, driver, corpus
):
    """The business system (an API token, no browser) files a scan under a 业务流水号
    when the case is completed; the caseworker's screen embeds the case view."""
    import json

    import httpx
    from selenium.webdriver.common.by import By

    issued = json.loads(server.cli("tokens", "issue", "业务经办系统", "--json").stdout)
    serial = "BX2026-0815"
    scan = corpus[3].path  # not uploaded by the clerk test above
    with scan.open("rb") as fh:
        response = httpx.post(
            f"{server.url}/api/cases/{serial}/records",
            headers={"Authorization": f"Bearer {issued['token']}"},
            files=[("files", (scan.name, fh, "application/octet-stream"))],
            timeout=600,
        )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "archived", result
    refused = httpx.post(
        f"{server.url}/api/cases/{serial}/records",
        headers={"Authorization": "Bearer not-a-token"},
        files=[("files", ("x.png", b"x", "image/png"))],
    )
    assert refused.status_code == 401

    login(driver, server, "li")
    driver.get(f"{server.url}/cases/{serial}?embed=1")
    assert serial in driver.find_element(By.TAG_NAME, "body").text
    assert not driver.find_elements(By.CSS_SELECTOR, "nav")  # embedded: no navigation
    titles = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#records a.title")]
    assert len(titles) == 1, titles
    shot(driver, "business-system-case-embedded")


def _rects(driver) -> dict:
    """Where the page image and the hit boxes drawn over it are on the screen."""
    return driver.execute_script(
        """
        const r = (e) => { const b = e.getBoundingClientRect();
          return {x: b.left, y: b.top, w: b.width, h: b.height}; };
        return {image: r(document.querySelector('.page-image img')),
                layer: r(document.querySelector('.page-image .hit-layer')),
                boxes: [...document.querySelectorAll('.hit-layer .hit-box')].map(r)};
        """
    )


def _fractions(rects: dict) -> list[tuple[float, float, float, float]]:
    image = rects["image"]
    return [
        (
            (b["x"] - image["x"]) / image["w"],
            (b["y"] - image["y"]) / image["h"],
            b["w"] / image["w"],
            b["h"] / image["h"],
        )
        for b in rects["boxes"]
    ]


def _layer_on_image(driver, wider_than: float = 0) -> dict | None:
    """The rectangles once the hit layer lies exactly over an image wider than
    `wider_than` pixels (the layer follows the image a frame later)."""
    rects = _rects(driver)
    image, layer = rects["image"], rects["layer"]
    on_image = all(abs(image[k] - layer[k]) < 1.5 for k in ("x", "y", "w", "h"))
    return rects if on_image and image["w"] > wider_than else None


def test_caseworker_sees_search_hits_marked_on_the_page_image_at_any_zoom(server, driver):
    from urllib.parse import quote

    from selenium.webdriver.common.by import By

    login(driver, server, "li")
    driver.get(f"{server.url}/?q={quote('变更项目')}")
    _submit(driver, driver.find_element(By.CSS_SELECTOR, ".hit a.title"))
    image = driver.find_element(By.CSS_SELECTOR, ".page-image img")
    _wait_for(
        driver, lambda d: d.execute_script("return arguments[0].naturalWidth", image), 30, "page"
    )
    layer = driver.find_element(By.CSS_SELECTOR, ".page-image .hit-layer")
    count = _wait_for(driver, lambda d: layer.get_attribute("data-count"), 60, "hit boxes")
    assert int(count) >= 1
    assert "处命中" in driver.find_element(By.ID, "hit-status").text
    before = _wait_for(driver, _layer_on_image, 10, "layer over the image")
    assert len(before["boxes"]) == int(count)
    for x, y, w, h in _fractions(before):
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= 1 and y + h <= 1
    shot(driver, "caseworker-hits-on-page")

    for _ in range(2):
        driver.find_element(By.CSS_SELECTOR, "button[data-zoom='1']").click()
    after = _wait_for(
        driver,
        lambda d: _layer_on_image(d, wider_than=before["image"]["w"] * 1.5),
        10,
        "layer over the zoomed image",
    )
    for old, new in zip(_fractions(before), _fractions(after), strict=True):
        assert new == pytest.approx(old, abs=0.005)
    shot(driver, "caseworker-hits-zoomed")


SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
_LEAKS = r"info_change|reimbursement|record\.view|\d{4}-\d\d-\d\dT\d\d:\d\d|\\u[0-9a-fA-F]{4}"


@pytest.mark.parametrize("size", sorted(SIZES))
def test_search_and_person_pages_hold_at_desktop_and_phone_widths(server, driver, size):
    """At 1366×768 and 390 px: nothing spills sideways, no code, ISO time or
    JSON escape on screen; the person's table sorts and shows thumbnails."""
    import re

    from selenium.webdriver.common.by import By

    login(driver, server, "li")
    width, height = SIZES[size]
    driver.set_window_size(width, height)
    try:
        pages = {
            "search": f"/?q={PERSON}",
            "search-table": f"/?q={PERSON}&view=table",
            "person": f"/persons/{PERSON}",
        }
        for name, path in pages.items():
            driver.get(server.url + path)
            shot(driver, f"everywhere-{name}-{size}")
            body = driver.find_element(By.TAG_NAME, "body").text
            leak = re.search(_LEAKS, body)
            assert leak is None, (name, leak and leak.group(0))
            spill = driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert spill <= 1, (name, size, spill)
            assert len(driver.find_elements(By.TAG_NAME, "h1")) == 1, name
        table = driver.find_element(By.CSS_SELECTOR, "#records")
        driver.find_element(By.CSS_SELECTOR, "[data-thumbs=records]").click()
        _wait_for(
            driver,
            lambda d: d.execute_script(
                "const i = document.querySelector('#records img');"
                " return i && i.complete && i.naturalWidth > 0"
            ),
            30,
            "thumbnail",
        )
        shot(driver, f"everywhere-person-thumbnails-{size}")
        # the header sorts on the server: a link, the sort in the URL
        header = table.find_element(By.CSS_SELECTOR, "th.col-business_date a.sort")
        _submit(driver, header)
        assert "sort=business_date" in driver.current_url
        assert (
            driver.find_element(By.CSS_SELECTOR, "#records th.col-business_date").get_attribute(
                "aria-sort"
            )
            == "ascending"
        )
    finally:
        driver.set_window_size(1366, 900)


def test_a_saved_search_is_deleted_only_after_confirmation(server, driver):
    """data-confirm asks first (static/common.js); dismissing keeps the search."""
    from selenium.webdriver.common.by import By

    login(driver, server, "li")
    driver.get(f"{server.url}/?q={PERSON}")
    driver.find_element(By.CSS_SELECTOR, "details.saved summary").click()
    driver.find_element(By.CSS_SELECTOR, "form.save-search input[name=name]").send_keys(
        "张三的档案"
    )
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "form.save-search button[type=submit]"))
    assert "已保存检索" in _flash(driver)
    driver.get(server.url + "/")
    delete = driver.find_element(By.CSS_SELECTOR, ".saved-list button[type=submit]")
    delete.click()
    driver.switch_to.alert.dismiss()
    assert driver.find_elements(By.LINK_TEXT, "张三的档案")
    delete.click()
    driver.switch_to.alert.accept()  # the page "/" had no message: this waits for the next
    assert "已删除保存的检索" in _flash(driver)
    assert not driver.find_elements(By.LINK_TEXT, "张三的档案")
    shot(driver, "everywhere-saved-search-deleted")


# --- issue 13: the desks at 1366×768 and at 390 px ---------------------------


def _size(driver, name: str) -> None:
    width, height = SIZES[name]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": name == "phone"},
    )


def _clean_screen(driver, where: str) -> None:
    """No internal codes, ISO times or JSON escapes reach the screen, and the
    page does not overflow sideways."""
    import re

    from selenium.webdriver.common.by import By

    text = driver.find_element(By.TAG_NAME, "body").text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), (where, "ISO time")
    assert "\\u" not in text and '{"' not in text, (where, "JSON")
    for code in ("info_change", "reimbursement", "payment_proof", "employee_enrol", "record.view"):
        assert code not in text, (where, code)
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, (where, "sideways overflow", overflow)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_review_queue_shows_the_page_beside_the_fields(server, driver, size):
    from selenium.webdriver.common.by import By

    login(driver, server, "wang")
    _size(driver, size)
    try:
        driver.get(server.url + "/review")
        items = driver.find_elements(By.CSS_SELECTOR, "section.desk-review")
        if not items:
            pytest.skip("the review queue was emptied by an earlier test")
        item = items[0]
        image = item.find_element(By.CSS_SELECTOR, ".review-page img")
        _wait_for(driver, lambda d: d.execute_script("return arguments[0].naturalWidth", image),
                  30, "review page image")  # fmt: skip
        form = item.find_element(By.CSS_SELECTOR, "form.review-form")
        img, fields = image.rect, form.rect
        for name in ("doc_type", "business_date", "person_name", "id_numbers", "unit_name",
                     "serial"):  # fmt: skip
            assert form.find_element(By.NAME, name).is_displayed(), name
        if size == "desktop":
            assert img["x"] + img["width"] <= fields["x"] + 1  # beside
            assert img["width"] >= 500
        else:
            assert img["y"] + img["height"] <= fields["y"] + 1  # above, full width
            assert img["width"] >= 300
        _clean_screen(driver, f"review-{size}")
        shot(driver, f"clerk-review-queue-{size}")
        # an error is shown on the item and the edits stay
        name = form.find_element(By.NAME, "person_name")
        name.clear()
        name.send_keys("张三丰")
        driver.execute_script(
            "arguments[0].value = ''", form.find_element(By.NAME, "business_date")
        )
        _submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        item = driver.find_elements(By.CSS_SELECTOR, "section.desk-review.has-error")[0]
        assert "未识别到业务办理日期" in item.find_element(By.CSS_SELECTOR, ".item-error").text
        assert item.find_element(By.NAME, "person_name").get_attribute("value") == "张三丰"
        shot(driver, f"clerk-review-error-{size}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_viewer_turns_pages_in_place_zooms_pans_and_rotates(server, driver, size):
    from urllib.parse import quote

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    login(driver, server, "li")
    _size(driver, size)
    try:
        driver.get(f"{server.url}/?q={quote('翻页样册')}")
        _submit(driver, driver.find_element(By.CSS_SELECTOR, ".hit a.title"))
        reader = driver.find_element(By.ID, "reader")
        assert reader.get_attribute("data-pages") == "3"
        frame = driver.find_element(By.ID, "page-image")
        image = frame.find_element(By.TAG_NAME, "img")
        _wait_for(driver, lambda d: d.execute_script("return arguments[0].naturalWidth", image),
                  30, "page image")  # fmt: skip
        side = driver.find_element(By.CSS_SELECTOR, ".reader-side")
        if size == "desktop":
            assert frame.rect["x"] + frame.rect["width"] <= side.rect["x"] + 1  # side panel
            assert frame.rect["y"] + frame.rect["height"] <= 768  # the page is on screen
        _clean_screen(driver, f"viewer-{size}")
        shot(driver, f"caseworker-viewer-{size}")
        driver.execute_script(
            "window.__sameDocument = true; window.__log = [];"
            " document.addEventListener('keydown', (e) => window.__log.push('key ' + e.key), true);"
            " document.addEventListener('click', (e) => window.__log.push('click '"
            " + e.target.tagName + (e.target.dataset.rotate ? ' rotate' : '')), true);"
        )
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys("+")
        body.send_keys("+")
        assert frame.get_attribute("data-zoom") == "156"
        driver.execute_script(
            "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -100, bubbles: true,"
            " cancelable: true, clientX: arguments[0].getBoundingClientRect().left + 50,"
            " clientY: arguments[0].getBoundingClientRect().top + 50}));",
            frame,
        )
        assert int(frame.get_attribute("data-zoom")) > 156
        ActionChains(driver).move_to_element(frame).click_and_hold().move_by_offset(
            40, 30
        ).release().perform()
        moved = (frame.get_attribute("data-x"), frame.get_attribute("data-y"))
        assert moved != ("0", "0")
        # the image stays inside its frame: clipped, the page never scrolls sideways
        assert driver.execute_script("return getComputedStyle(arguments[0]).overflow", frame) == (
            "hidden"
        )
        body.send_keys(Keys.ARROW_RIGHT)
        _wait_for(driver, lambda d: "page=2" in d.current_url, 10, "page 2")
        _wait_for(
            driver,
            lambda d: (
                "第2页"
                in d.execute_script(
                    "return document.getElementById('page-text').textContent.replace(/\\s/g, '')"
                )
            ),
            20,
            "page 2 text",
        )
        assert driver.execute_script("return window.__sameDocument === true")  # turned in place
        assert (frame.get_attribute("data-x"), frame.get_attribute("data-y")) == moved
        assert reader.get_attribute("data-page") == "2"
        body.send_keys(Keys.PAGE_DOWN)
        _wait_for(driver, lambda d: "page=3" in d.current_url, 10, "page 3")
        body.send_keys(Keys.PAGE_UP)
        _wait_for(driver, lambda d: "page=2" in d.current_url, 10, "back to page 2")
        # a click or a drag on the page neither zooms nor rotates it
        assert frame.get_attribute("data-rotate") == "0", driver.execute_script(
            "return window.__log"
        )
        body.send_keys("r")
        assert frame.get_attribute("data-rotate") == "90"
        shot(driver, f"caseworker-viewer-zoomed-rotated-{size}")
        _clean_screen(driver, f"viewer-turned-{size}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_compliance_volumes_upload_and_audit_desks_read_cleanly(server, driver, size):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    login(driver, server, "zhou")
    _size(driver, size)
    try:
        driver.get(server.url + "/compliance?as_of=2200-01-01")
        _clean_screen(driver, f"compliance-{size}")
        shot(driver, f"compliance-desk-{size}")
        login(driver, server, "wang")
        driver.get(server.url + "/volumes")
        _clean_screen(driver, f"volumes-{size}")
        shot(driver, f"clerk-volumes-{size}")
        driver.get(server.url + "/upload")
        _clean_screen(driver, f"upload-{size}")
        shot(driver, f"clerk-upload-history-{size}")
        driver.get(server.url + "/cover-sheets")
        driver.find_element(By.CSS_SELECTOR, "details.class-names summary").click()
        _clean_screen(driver, f"cover-sheets-{size}")
        shot(driver, f"clerk-cover-sheets-{size}")
        login(driver, server, "shen")
        driver.get(server.url + "/audit")
        _clean_screen(driver, f"audit-{size}")
        shot(driver, f"auditor-audit-log-{size}")
        driver.find_element(By.CSS_SELECTOR, "th[aria-sort] button").click()
        WebDriverWait(driver, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, 'th[aria-sort="ascending"]')
        )
        seqs = [
            int(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")
        ]
        assert seqs == sorted(seqs) and "11010519491231002X" not in driver.current_url
        _clean_screen(driver, f"audit-oldest-first-{size}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# --- issue 13: the tree by 全宗/年度/门类/保管期限, sorting across pages ------

OTHER = "110101199003070038"  # a person with many filed records (no OCR)
CLASSES = ("info_change", "payment_proof", "inpatient_bill", "wage_base")


@pytest.fixture(scope="module")
def filed_server(tmp_path_factory):
    """A server whose catalog holds 105 filed records of one person over four
    years (more than one page of every table) and one restricted record, filed
    by the real filing rules without OCR."""
    from records import file_record

    from dangan.archive import Archive
    from dangan.config import Settings

    srv = Server(tmp_path_factory.mktemp("tree-home"))
    srv.add_user("li", "caseworker")
    srv.add_user("wang", "clerk")
    archive = Archive.open(Settings.from_env(srv.env))
    try:
        for i in range(105):
            file_record(
                archive, f"t{i:03d}", CLASSES[i % 4],
                {"business_date": f"{2021 + i % 4}-{1 + i % 12:02d}-{1 + i % 27:02d}",
                 "id_numbers": [OTHER], "person_name": "赵六"},
                title=f"赵六档案样件{(i * 37) % 105:03d}",
            )  # fmt: skip
        file_record(
            archive, "secret", "audit_notice", {"business_date": "2024-02-02"},
            title="稽核通知书（受控）",
        )  # fmt: skip
        archive.sync_index()
    finally:
        archive.close()
    srv.start()
    yield srv
    srv.stop()


def _column(driver, table: str, key: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [
        td.text.strip()
        for td in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody td.col-{key}")
        if td.is_displayed()
    ]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_tree_opens_a_node_as_a_sorted_paged_table(filed_server, driver, size):
    """分类目录: counts per node (none for what the caseworker may not see),
    a node's records in 档号 order, a header sorts all of them on the server
    and the pager keeps that sort."""
    from selenium.webdriver.common.by import By

    server = filed_server
    login(driver, server, "li")
    _size(driver, size)
    try:
        driver.get(server.url + "/tree")
        _clean_screen(driver, f"tree-{size}")
        nav = driver.find_element(By.CSS_SELECTOR, ".tree-nav").text
        assert "105 件" in nav and "稽核监管类" not in nav and "106" not in nav
        shot(driver, f"tree-root-{size}")
        _submit(driver, driver.find_element(By.LINK_TEXT, "Q001"))
        assert driver.find_element(By.CSS_SELECTOR, ".tree-nav a[aria-current]").text == "Q001"
        codes = _column(driver, "tree-records", "archival_code")
        assert len(codes) == 50 and codes == sorted(codes)
        _clean_screen(driver, f"tree-node-{size}")
        shot(driver, f"tree-node-{size}")
        _submit(driver, driver.find_element(By.CSS_SELECTOR, "#tree-records th.col-title a.sort"))
        assert "sort=title" in driver.current_url
        first = _column(driver, "tree-records", "title")
        assert first == sorted(first) and first[0] == "赵六档案样件000"
        _submit(driver, driver.find_element(By.CSS_SELECTOR, "nav.table-pager a[rel=next]"))
        assert "sort=title" in driver.current_url and "page=2" in driver.current_url
        second = _column(driver, "tree-records", "title")
        assert second == sorted(second) and second[0] > first[-1]  # sorted across pages
        _clean_screen(driver, f"tree-node-page2-{size}")
        shot(driver, f"tree-node-sorted-page2-{size}")
        # a year node, then its 门类 and 保管期限 below it
        _submit(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "2024年度"))
        assert "year=2024" in driver.current_url
        assert all("·2024-" in c for c in _column(driver, "tree-records", "archival_code"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_search_and_person_tables_sort_across_pages(filed_server, driver, size):
    """The search table (100 a page) and the person table (50 a page) sort
    every hit on the server; the next page continues the order."""
    from selenium.webdriver.common.by import By

    server = filed_server
    login(driver, server, "li")
    _size(driver, size)
    try:
        for path, table in (
            ("/?q=赵六档案样件&view=table", "hits"),
            (f"/persons/{OTHER}", "records"),
        ):
            driver.get(server.url + path)
            _clean_screen(driver, f"{table}-{size}")
            header = f"#{table} th.col-business_date a.sort"
            _submit(driver, driver.find_element(By.CSS_SELECTOR, header))
            _submit(driver, driver.find_element(By.CSS_SELECTOR, header))  # again: newest first
            assert "dir=desc" in driver.current_url
            first = _column(driver, table, "business_date")
            assert first == sorted(first, reverse=True) and first[0].startswith("2024-12")
            _submit(driver, driver.find_element(By.CSS_SELECTOR, "nav.table-pager a[rel=next]"))
            assert "sort=business_date" in driver.current_url and "dir=desc" in driver.current_url
            second = _column(driver, table, "business_date")
            assert second == sorted(second, reverse=True) and second[0] <= first[-1]
            _clean_screen(driver, f"{table}-sorted-page2-{size}")
            shot(driver, f"sorted-across-pages-{table}-{size}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

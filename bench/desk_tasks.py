"""Five everyday desk tasks in a real Chromium, with the clicks and seconds each
takes (issue 13's closing note). Run it on any tree: the tree on PYTHONPATH is
the one served.

    PYTHONPATH=$PWD python bench/desk_tasks.py [--json]

Each task starts from a page the person already has open (the home page or
their desk) and ends when the result is on screen. A "click" is a mouse click
or a submitting Enter; typing into a field is not counted. Where the desk
cannot do the task the way it asks (a 档号 refused, no export), the script does
what a person would do instead and says so."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

PERSON = "11010519491231002X"


class Counter:
    def __init__(self, driver):
        self.driver = driver
        self.clicks = 0
        self.notes: list[str] = []

    def click(self, element) -> None:
        self.clicks += 1
        element.click()


def _wait(driver, check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check(driver)
        except Exception:  # between documents
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError("timed out")


def _loaded(driver) -> None:
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def _forms(home: Path) -> list[Path]:
    from dangan.pdf import TableSheet, tables_pdf

    book = home.parent / "李四报销.pdf"
    book.write_bytes(
        tables_pdf(
            [
                TableSheet(
                    title=f"医疗费用报销审批表 第{n}页",
                    columns=["姓名", "公民身份号码", "办理日期", "金额"],
                    rows=[["李四", PERSON, "2010年3月1日", f"{n}00.00"]],
                    widths=[1, 2, 1, 1],
                )
                for n in (1, 2, 3)
            ]
        )
    )
    review = home.parent / "变更登记.pdf"
    review.write_bytes(
        tables_pdf(
            [
                TableSheet(
                    title="参保人员信息变更登记表",
                    columns=["姓名", "变更项目"],
                    rows=[["张三", "联系电话"]],
                    widths=[1, 2, 1],
                )
            ]
        )
    )
    return [book, review]


def _login(driver, url: str, name: str) -> None:
    from browser import login

    class S:
        pass

    s = S()
    s.url = url
    login(driver, s, name)


def find_and_open_page_3(driver, url: str) -> Counter:
    from selenium.webdriver.common.by import By

    c = Counter(driver)
    box = driver.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    box.send_keys(PERSON)
    c.click(driver.find_element(By.CSS_SELECTOR, "form.search button[type=submit]"))
    _loaded(driver)
    c.click(_wait(driver, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "查看此人的全部档案")))
    _loaded(driver)
    # the person's list is a table (档号 first); its title cell opens the record
    record = "#records a.title, .hit a.title"
    c.click(_wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, record)))
    _loaded(driver)
    c.click(_wait(driver, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "第 3 页")))
    _wait(
        driver,
        lambda d: d.execute_script(
            "const i = document.querySelector('#page-image img');"
            "return i && i.src.includes('/pages/3/') && i.complete && i.naturalWidth > 0"
        ),
    )
    return c


def confirm_review_item(driver, url: str) -> Counter:
    from selenium.webdriver.common.by import By

    c = Counter(driver)
    c.click(driver.find_element(By.LINK_TEXT, "待复核"))
    _loaded(driver)
    item = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "section.review-item"))
    date = item.find_element(By.NAME, "business_date")
    driver.execute_script("arguments[0].value = '2024-05-10'", date)
    c.click(item.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    _wait(driver, lambda d: "已归档" in d.find_element(By.CSS_SELECTOR, ".flash.ok").text)
    return c


def hold_by_code(driver, url: str, code: str) -> Counter:
    from selenium.webdriver.common.by import By

    c = Counter(driver)

    def place(value: str) -> str:
        form = driver.find_element(By.CSS_SELECTOR, "form.place-hold")
        form.find_element(By.NAME, "reason").send_keys("信访件 2026-17")
        form.find_element(By.NAME, "owner").send_keys("周")
        form.find_element(By.NAME, "record_ids").send_keys(value)
        c.click(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        return _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".flash").text)

    message = place(code)
    if "已冻结" not in message:
        # the desk wants the internal record id: look the 档号 up first
        c.notes.append("档号被拒绝，先检索档号查出档案编号")
        box = driver.find_element(By.CSS_SELECTOR, "header a[href='/']")
        c.click(box)
        _loaded(driver)
        driver.find_element(By.CSS_SELECTOR, "form.search input[name=q]").send_keys(code)
        c.click(driver.find_element(By.CSS_SELECTOR, "form.search button[type=submit]"))
        _loaded(driver)
        c.click(_wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".hit a.title")))
        _loaded(driver)
        record_id = driver.current_url.split("/records/", 1)[1].split("?", 1)[0]
        c.click(driver.find_element(By.LINK_TEXT, "鉴定与销毁"))
        _loaded(driver)
        message = place(record_id)
    if "已冻结" not in message:
        raise RuntimeError(message)
    return c


def approve_batch(driver, url: str) -> Counter:
    from selenium.webdriver.common.by import By

    c = Counter(driver)
    driver.execute_script("window.confirm = () => true;")
    opener = driver.find_elements(By.CSS_SELECTOR, "a.open-batch")
    if opener:
        c.click(opener[0])
        _loaded(driver)
        rows = driver.find_elements(By.CSS_SELECTOR, ".batch-items tbody tr")
        c.notes.append(f"审批前看到 {len(rows)} 件清单")
        driver.execute_script("window.confirm = () => true;")
    else:
        c.notes.append("审批前看不到批次中的档案")
    c.click(driver.find_element(By.CSS_SELECTOR, "form.approve button[type=submit]"))
    _wait(driver, lambda d: "已审批" in d.find_element(By.CSS_SELECTOR, ".flash.ok").text)
    return c


def export_person_list(driver, url: str, downloads: Path) -> Counter:
    """From the home page: find the person, open their list, 导出 Excel; ends
    when the workbook is in the download folder and opens with openpyxl."""
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    c = Counter(driver)
    before = set(downloads.glob("*.xlsx"))
    box = driver.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    box.send_keys(PERSON)
    c.click(driver.find_element(By.CSS_SELECTOR, "form.search button[type=submit]"))
    _loaded(driver)
    c.click(_wait(driver, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "查看此人的全部档案")))
    _loaded(driver)
    links = [a for a in driver.find_elements(By.TAG_NAME, "a") if "导出" in a.text]
    if not links:
        raise RuntimeError("参保人页面没有导出")
    c.click(links[0])

    def saved(_):
        done = [p for p in set(downloads.glob("*.xlsx")) - before if p.stat().st_size]
        return done[0] if done else None

    book = load_workbook(_wait(driver, saved, 30))
    rows = book.active.max_row - 3  # title, what and when, header
    c.notes.append(f"导出 {rows} 行")
    return c


def setup(server, driver) -> str:
    """Users, a filed three-page record of the person, a review item, and a
    batch of due records appraised by the officer. Returns a 档号 to hold."""
    from selenium.webdriver.common.by import By

    for name, role in (("wang", "clerk"), ("li", "caseworker"), ("zhou", "compliance"),
                       ("chen", "head")):  # fmt: skip
        server.add_user(name, role)
    for path in _forms(server.home):
        server.cli("ingest", str(path))
    server.start()
    _login(driver, server.url, "wang")
    driver.get(server.url + "/review")
    # the three-page record must be filed for the other tasks: confirm it first
    for item in driver.find_elements(By.CSS_SELECTOR, "section.review-item"):
        if "报销" in item.find_element(By.CSS_SELECTOR, ".title").text:
            driver.execute_script(
                "arguments[0].value = '2010-03-01'", item.find_element(By.NAME, "business_date")
            )
            item.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            _loaded(driver)
            break
    _login(driver, server.url, "zhou")
    driver.get(server.url + "/compliance?as_of=2200-01-01")
    driver.find_element(By.ID, "create-batch").click()
    _loaded(driver)
    form = driver.find_element(By.CSS_SELECTOR, "form.appraise")
    form.find_element(By.NAME, "reason").send_keys("保管期满")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _loaded(driver)
    out = json.loads(server.cli("volumes", "list", "--json").stdout.splitlines()[0])
    return out["volumes"][0]["first"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from browser import Server, chromium

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        server = Server(home)
        driver = chromium(Path(tmp) / "downloads")
        driver.set_window_size(1366, 768)
        try:
            code = setup(server, driver)
            tasks = [
                ("找到参保人的档案并打开第 3 页", "li", "/", find_and_open_page_3, ()),
                ("确认一条待复核记录", "wang", "/", confirm_review_item, ()),
                ("按档号冻结", "zhou", "/compliance", hold_by_code, (code,)),
                ("审批鉴定批次", "chen", "/compliance", approve_batch, ()),
                ("导出参保人档案清单", "li", "/", export_person_list, (Path(tmp) / "downloads",)),
            ]
            for title, user, start, task, extra in tasks:
                _login(driver, server.url, user)
                driver.get(server.url + start)
                _loaded(driver)
                began = time.monotonic()
                try:
                    counted = task(driver, server.url, *extra)
                    seconds = round(time.monotonic() - began, 2)
                    row = {"task": title, "clicks": counted.clicks, "seconds": seconds,
                           "notes": counted.notes}  # fmt: skip
                except Exception as exc:  # a task the desk cannot do
                    from browser import shot

                    where = shot(driver, f"bench-failed-{len(results) + 1}")
                    note = f"{exc}（停在 {driver.current_url}，截图 {where}）"
                    row = {"task": title, "clicks": None, "seconds": None, "notes": [note]}
                results.append(row)
        finally:
            driver.quit()
            server.stop()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        for r in results:
            print(f"{r['task']}\t点击 {r['clicks']}\t{r['seconds']} 秒\t{'；'.join(r['notes'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A real `dangan serve` and a real headless Chromium (Debian's chromium and
chromium-driver) for end-to-end tests of the desks. Screenshots go to
DANGAN_SCREENSHOTS (default `tests/artifacts/screenshots/`, git-ignored; kept
by CI as test artefacts)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import catalog_env

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("DANGAN_SCREENSHOTS") or ROOT / "tests" / "artifacts" / "screenshots")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`dangan serve` on a free loopback port with its own DANGAN_HOME."""

    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_")}
        self.env.update({"DANGAN_HOME": str(home), "DANGAN_PORT": str(self.port)})
        self.env.update(catalog_env(home))
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dangan", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=900,
            check=True,
        )

    def add_user(self, name: str, *roles: str, password: str = "browser-pass-123") -> None:
        args = ["users", "add", name, "--password-stdin", "--display-name", name]
        for role in roles:
            args += ["--role", role]
        self.cli(*args, stdin=password + "\n")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dangan", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()) from None
                time.sleep(0.3)
        raise RuntimeError("dangan serve did not start within 60 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def chromium(download_dir: Path):
    """A headless Chromium driven through Debian's chromedriver (no downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1366,900",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir)})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def login(driver, server: Server, name: str, password: str = "browser-pass-123") -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(server.url + "/login")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    deadline = time.monotonic() + 20
    while "/login" in driver.current_url or not driver.find_elements(By.CSS_SELECTOR, ".whoami"):
        if time.monotonic() > deadline:
            raise AssertionError(f"login as {name} did not complete: {driver.current_url}")
        time.sleep(0.1)

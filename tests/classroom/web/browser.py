"""Harness of the browser tests: a real uvicorn serving the app, a real headless Chromium.

Why a real server and browser: the classroom streams server-sent events, runs its JS from
/static under a CSP without inline script, and must keep user and model text inert; only a
browser that parses the pages, runs the scripts and applies the CSP can show that. The server
runs in a thread of the test process (so the test can hand it a scripted model and a live
driver with a short wait), on a free 127.0.0.1 port, with the prepare worker on.

`classroom_responder` stands in for the model: it answers each prompt of the classroom
(scripts, quiz questions, director, agents) the way a well-behaved model would, and puts an
XSS payload into one agent's reply so the pages are tested against hostile model output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("LMFORGE_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("LMFORGE_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
DOCS_SHOTS = os.environ.get("LMFORGE_DOCS_SCREENSHOTS") == "1"
"""Screenshots for the docs: plain text instead of the XSS payloads (the story is the same)."""
MODEL_XSS = "" if DOCS_SHOTS else "<img src=x onerror=\"window.__xss='model'\">"
"""What the Class Clown says in every reply: it must show as text, never as an image."""


def skip_without_browser() -> None:
    """Skip (with the reason) when Chromium, its driver or Selenium is missing."""
    pytest.importorskip("selenium", reason="selenium is not installed")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            pytest.skip(f"{path} is absent (apt-get install chromium chromium-driver)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def artifacts_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $LMFORGE_ARTIFACTS/classroom-browser, else under tmp_path."""
    root = os.environ.get("LMFORGE_ARTIFACTS")
    folder = Path(root) / "classroom-browser" if root else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# the stand-in model ----------------------------------------------------------------------------

_SLIDE = re.compile(r'<slide number="(\d+)" title="([^"]*)"')
_SPEAKER = re.compile(r"<!-- (.+?) -->")
_YOU_ARE = re.compile(r"You are (.+?) in a class about")


def _questions(json_reply: bool) -> str:
    items = [
        ("What do plants need to make sugar?", ["Salt", "Light", "Sand", "Iron", "Noise"], "B"),
        ("Where does photosynthesis happen?", ["Roots", "Soil", "Leaves", "Seeds", "Air"], "C"),
        ("What gas do plants release?", ["Oxygen", "Helium", "Neon", "Argon", "Radon"], "A"),
    ]
    if json_reply:
        return json.dumps(
            {
                "questions": [
                    {
                        "question": q,
                        "type": "single choice",
                        "options": o,
                        "answer": [a],
                        "reference": q,
                    }  # fmt: skip
                    for q, o, a in items
                ]
            }
        )
    blocks = []
    for n, (q, options, answer) in enumerate(items, 1):
        lines = [f"Question {n} (single choice): {q}"]
        lines += [f"{chr(65 + i)}. {o}" for i, o in enumerate(options)]
        blocks.append("\n".join([*lines, f"Answer: {answer}", f"Reference: {q}"]))
    return "\n\n".join(blocks)


def _director(user: str) -> str:
    """Learner spoke -> the teacher answers; then one classmate; then the class moves on."""
    speakers = _SPEAKER.findall(user)
    last = speakers[-1] if speakers else ""
    before = speakers[-2] if len(speakers) > 1 else ""
    if last == "Learner":
        return "Teacher"
    if last == "Teacher" and before == "Learner":
        return "Class Clown"
    return "Continue Class"


def classroom_responder(messages: list[Any], config: Any) -> str:
    """A plausible reply to each classroom prompt (see the module docstring)."""
    system = next((m.text for m in messages if m.role == "system"), "")
    user = next((m.text for m in reversed(messages) if m.role == "user"), "")
    if "quiz questions" in system:
        return _questions(json_reply=getattr(config, "json_schema", None) is not None)
    if "direct a live classroom" in system:
        return _director(user)
    if "presenting them to your students" in system:
        found = _SLIDE.search(user)
        title = found.group(2) if found else "this slide"
        return f"This slide is about {title}. Plants use light to turn water and air into sugar."
    named = _YOU_ARE.search(system)
    if named:
        name = named.group(1)
        if name == "Teacher":
            return "Good question! Chlorophyll in the leaves catches the light energy."
        if name == "Class Clown":
            return f"Plants eat sunshine for breakfast! {MODEL_XSS}"
        return f"{name} here: that makes sense to me."
    return "OK"


# the server -----------------------------------------------------------------------------------


@contextmanager
def live_server(settings: Any, *, wait_s: float = 2.0) -> Iterator[tuple[str, Any]]:
    """`(base_url, app)` of the app on a real uvicorn in a thread, with the scripted stand-in
    model, the prepare worker and a live driver whose continuous-mode wait is `wait_s`."""
    import uvicorn

    from lmforge.classroom.teach.runtime import TeachConfig
    from lmforge.classroom.web import create_app
    from lmforge.classroom.web.live import LiveDriver
    from lmforge.llm.scripted import ScriptedLLM

    llm = ScriptedLLM(classroom_responder)
    app = create_app(settings, llm=llm)
    app.state.live = LiveDriver(app.state.db, llm, config=TeachConfig(wait_s=wait_s))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-browser-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=15)


# the browser ----------------------------------------------------------------------------------


def make_chrome(profile: Path) -> Any:
    """A headless Chromium with a fresh profile in `profile` (the flags of `CHROME_FLAGS`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    if profile.exists():
        shutil.rmtree(profile)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    return driver


class Page:
    """Small verbs over a Selenium driver: open, fill, click, wait, shoot, check for XSS."""

    def __init__(self, driver: Any, base_url: str, shots: Path) -> None:
        self.driver, self.base, self.shots = driver, base_url, shots
        self.taken: list[Path] = []

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def fill(self, css: str, text: str) -> None:
        box = self.find(css)
        box.clear()
        box.send_keys(text)

    def select(self, css: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def submit(self, css: str) -> None:
        """Click `css` and wait for the next page to load."""
        old = self.find("html")
        self.find(css).click()
        self.until(lambda: _stale(old), f"a new page after clicking {css}")

    def until(self, check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = check()
            except Exception:  # an element not there yet, a stale reference
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                self.shoot("timeout")
                raise AssertionError(f"timed out waiting for {what} at {self.driver.current_url}")
            time.sleep(0.1)

    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base)

    def shoot(self, name: str) -> Path:
        target = self.shots / f"{len(self.taken) + 1:02d}-{name}.png"
        self.driver.save_screenshot(str(target))
        self.taken.append(target)
        return target

    def xss_fired(self) -> list[str]:
        """What an injected payload managed to do on this page (empty: nothing ran)."""
        from selenium.common.exceptions import NoAlertPresentException

        found = []
        try:
            alert = self.driver.switch_to.alert
            found.append(f"alert: {alert.text}")
            alert.dismiss()
        except NoAlertPresentException:
            pass
        flag = self.driver.execute_script("return window.__xss === undefined ? null : window.__xss")
        if flag is not None:
            found.append(f"window.__xss = {flag!r}")
        injected = self.driver.execute_script(
            "return document.querySelectorAll('img[src=\"x\"], script:not([src])').length"
        )
        if injected:
            found.append(f"{injected} injected element(s)")
        return found


def _stale(element: Any) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.tag_name  # noqa: B018
    except StaleElementReferenceException:
        return True
    return False

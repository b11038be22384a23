"""Security of the web app: every route with an id refuses other people's ids, every POST
refuses a missing CSRF token, user and file text is escaped, hostile uploads are refused.

The route tables are built from `app.routes`, so a route added later (by any module) is
checked too, and a route whose path parameter this file does not know fails the test until
it is added to `PARAMS`.
"""

from __future__ import annotations

import html
import importlib.util
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from lmforge.classroom.ingest.limits import MIB
from lmforge.classroom.store import ClassroomStore
from lmforge.classroom.web import create_app
from lmforge.classroom.web.models import Account, Course, Enrollment

REPO = Path(__file__).resolve().parents[3]
PARAMS = {
    "course_id": "course",
    "cid": "course",
    "session_id": "session",
    "sid": "session",
    "page": "1",
    "name": "progress",
}
"""Path parameter -> what the victim's value is: their course id, their class session id, or
a literal."""
PUBLIC = {("GET", "/healthz"), ("GET", "/static")}
NO_CSRF_NEEDED: set[tuple[str, str]] = set()
"""POST routes that may be sent without a token (none)."""


def _api_routes(routes):
    """APIRoutes, also inside included routers (FastAPI >= 0.16x wraps each included router;
    the app includes them without a prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _routes(app) -> list[tuple[str, str]]:
    found = []
    for route in _api_routes(app.routes):
        found.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))
    return found


def _fill(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[0]
        assert name in PARAMS, f"path parameter {{{name}}} of {path} is not in PARAMS: add it"
        kind = PARAMS[name]
        return ids.get(kind, kind)

    return re.sub(r"\{([^}]+)\}", value, path)


@pytest.fixture
def victims(app, published_course, make_client, signup_as):
    """Teacher A's published course and student X's class session in it; returns the ids
    and signed-in clients of two intruders (teacher B, student Y)."""
    student = signup_as(make_client(), "x@example.org", "student")
    with app.state.db.session() as s:
        account = s.query(Account).filter_by(email="x@example.org").one()
        learner_id, account_id = account.learner_id, account.id
    session_id = ClassroomStore(app.state.db).create_session(
        published_course["lecture_id"], learner_id
    )
    with app.state.db.session() as s:
        s.add(Enrollment(course_id=published_course["id"], account_id=account_id,
                         session_id=session_id))  # fmt: skip
    return {
        "ids": {"course": published_course["id"], "session": session_id},
        "student": student,
        "teacher_b": signup_as(make_client(), "b@example.org", "teacher"),
        "student_y": signup_as(make_client(), "y@example.org", "student"),
    }


FORM = {"mode": "interactive", "text": "hello", "answer": "A", "title": "t"}
"""Plausible form fields, so a POST reaches the route's ownership check (a 422 for a missing
field would come first and say nothing either way)."""


def _send(client, method: str, url: str, token: str | None):
    data = {**FORM, "csrf_token": token} if token else dict(FORM)
    return client.request(method, url, data=data if method == "POST" else None,
                          follow_redirects=False)  # fmt: skip


def test_every_id_route_refuses_other_accounts(
    app, victims, csrf_token, make_client, teacher_client
):
    """Teacher B and student Y get 403/404 on every route with A's or X's ids, anonymous
    visitors are sent to sign in; A (the owner) reaches the same course pages, and every POST
    refuses a missing or wrong CSRF token even from the owner."""
    checked = []
    for method, path in _routes(app):
        if "{" not in path:
            continue
        url = _fill(path, victims["ids"])
        for who in ("teacher_b", "student_y"):
            client = victims[who]
            token = csrf_token(client, "/") if method == "POST" else None
            reply = _send(client, method, url, token)
            assert reply.status_code in (403, 404), (who, method, url, reply.status_code)
            assert victims["ids"]["course"] not in reply.text.replace(url, "")
        anonymous = make_client()
        reply = _send(anonymous, method, url, None)
        assert reply.status_code in (303, 401, 403), (method, url, reply.status_code)
        checked.append(f"{method} {path}")
    assert {"GET /courses/{course_id}", "POST /courses/{course_id}/publish",
            "GET /courses/{course_id}/slides/{page}.png"} <= set(checked)  # fmt: skip
    _owner_reaches_own_routes(victims, teacher_client)
    _every_post_needs_the_csrf_token(app, victims, teacher_client, csrf_token)


def _owner_reaches_own_routes(victims, teacher_client):
    """The same URLs work for their owner, so the refusals above are about ownership."""
    course = victims["ids"]["course"]
    for path in ("/courses/{c}", "/courses/{c}/agenda", "/courses/{c}/agents",
                 "/courses/{c}/slides/1.png"):  # fmt: skip
        assert teacher_client.get(path.format(c=course)).status_code == 200, path


def _every_post_needs_the_csrf_token(app, victims, teacher_client, csrf_token):
    posts = [path for method, path in _routes(app) if method == "POST"]
    assert {"/login", "/signup", "/logout", "/courses/new"} <= set(posts)
    for path in posts:
        if ("POST", path) in NO_CSRF_NEEDED:
            continue
        owner = victims["student"] if path.startswith("/class") else teacher_client
        url = _fill(path, victims["ids"])
        for token in (None, "forged-" + csrf_token(victims["teacher_b"], "/")):
            reply = _send(owner, "POST", url, token)
            assert reply.status_code == 403, (url, token, reply.status_code, reply.text[:200])
    # A token from another browser's cookie is refused too.
    other = csrf_token(victims["teacher_b"], "/")
    assert _send(teacher_client, "POST", "/logout", other).status_code == 403
    assert (
        _send(teacher_client, "POST", "/logout", csrf_token(teacher_client, "/")).status_code == 303
    )


def test_security_headers_on_pages_errors_and_static(client):
    for url in ("/login", "/courses/nope", "/static/app.css", "/no-such-page"):
        headers = client.get(url, follow_redirects=False).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp
        assert (
            headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        )
        assert headers["referrer-policy"]


def test_templates_have_no_inline_script():
    """The CSP forbids inline script; a template that had some would break silently."""
    folder = REPO / "src/lmforge/classroom/web/templates"
    for template in folder.rglob("*.j2"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "|safe" not in text.replace(" ", ""), template


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_xss_in_title_file_name_and_agenda_is_escaped(app, teacher_client, deck_pdf, csrf_token):
    from lmforge.classroom.web.worker import run_pending

    token = csrf_token(teacher_client, "/courses/new")
    with deck_pdf.open("rb") as fh:
        reply = teacher_client.post(
            "/courses/new", data={"title": XSS, "csrf_token": token},
            files={"deck": (f'"><svg onload=alert(2)>{deck_pdf.name}', fh, "application/pdf")},
            follow_redirects=False,
        )  # fmt: skip
    course_id = reply.headers["location"].rsplit("/", 1)[-1]
    run_pending(app)
    agenda = teacher_client.get(f"/courses/{course_id}/agenda").text
    field = re.search(r'name="(script-1-\d+)"', agenda).group(1)
    token = csrf_token(teacher_client, f"/courses/{course_id}/agenda")
    teacher_client.post(f"/courses/{course_id}/agenda", data={"csrf_token": token, field: XSS})
    pages = [teacher_client.get(u).text for u in
             ("/courses", f"/courses/{course_id}", f"/courses/{course_id}/agenda")]  # fmt: skip
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[0]
    assert "&lt;svg onload=alert(2)&gt;" in pages[1]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[2]


def _bombs():
    path = REPO / "tests/classroom/test_classroom_ingest_bombs.py"
    spec = importlib.util.spec_from_file_location("classroom_ingest_bombs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hostile(tmp: Path) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, the reason the page must show)."""
    bombs = _bombs()
    stream = bombs.write_stream_pdf(tmp / "stream.pdf", [3072], [0]).read_bytes()
    page = bombs.write_stream_pdf(tmp / "page.pdf", [63] * 16, list(range(16)) * 2).read_bytes()
    with zipfile.ZipFile(tmp / "bomb.pptx", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("ppt/media/zeros.bin", bytes(8 * MIB))
    return [
        ("stream.pdf", stream, r"inflates to more than 67108864 bytes \(Limits.max_pdf_stream"),
        ("page.pdf", page, r"content streams inflate to more than 67108864 bytes"),
        ("bomb.pptx", (tmp / "bomb.pptx").read_bytes(), r"expands \d+x .* > limit 200x"),
        ("fake.pdf", b"MZ\x90\x00 this is an executable", r"not a PPTX or PDF"),
        ("legacy.pptx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), r"OLE2"),
        ("empty.pdf", b"", r"the file is empty"),
        ("notes.txt", b"%PDF-1.4 but named .txt", r"upload a \.pdf or \.pptx deck"),
    ]  # fmt: skip


def _post_deck(client, token: str, name: str, data: bytes):
    return client.post("/courses/new", data={"title": "t", "csrf_token": token},
                       files={"deck": (name, data, "application/octet-stream")})  # fmt: skip


def test_hostile_uploads_are_refused_with_the_reason(app, teacher_client, csrf_token, tmp_path):
    token = csrf_token(teacher_client, "/courses/new")
    for name, data, reason in _hostile(tmp_path):
        reply = _post_deck(teacher_client, token, name, data)
        assert reply.status_code == 400, (name, reply.status_code)
        message = html.unescape(re.search(r'id="upload-error">([^<]*)<', reply.text).group(1))
        assert re.search(reason, message), (name, message)
        assert str(app.state.data_dir) not in message, message  # no server path leaks
    with app.state.db.session() as s:
        assert s.query(Course).count() == 0
    assert not any((app.state.data_dir / "courses").glob("*/deck.*"))


def test_oversized_uploads_are_refused(web_settings, make_client, signup_as, csrf_token):
    limits = web_settings.limits.model_copy(update={"max_file_bytes": MIB})
    small = create_app(web_settings.model_copy(update={"limits": limits}))
    client = signup_as(TestClient(small), "big@example.org")
    token = csrf_token(client, "/courses/new")
    reply = _post_deck(client, token, "big.pdf", b"%PDF-1.4\n" + bytes(MIB + 4096))
    assert reply.status_code == 400 and "larger than the 1 MiB upload limit" in reply.text
    reply = _post_deck(client, token, "huge.pdf", b"%PDF-1.4\n" + bytes(3 * MIB))
    assert reply.status_code == 413 and "request too large" in reply.text
    small.state.db.close()


def test_error_pages_are_pages_and_json_pollers_get_json(client, teacher_client):
    page = teacher_client.get("/courses/no-such-course")
    assert (
        page.status_code == 404 and "<h1>Sorry</h1>" in page.text and "no such course" in page.text
    )
    missing = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "<h1>Sorry</h1>" in missing.text
    poll = client.get("/courses/x/status", headers={"Accept": "application/json"})
    assert poll.status_code == 401 and poll.json() == {"detail": "sign in first"}

"""The teacher dashboard and its plots: the owner sees the hand-built course's figures
(`cohort.py`), nobody else sees anything, and user text is inert in HTML and in SVG."""

from __future__ import annotations

from collections.abc import Callable
from xml.etree import ElementTree

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from classroom.web.cohort import build
from lmforge.classroom.store.models import Message
from lmforge.classroom.web.models import Account
from lmforge.classroom.web.plots import PLOTS, plot_svg, safe_label

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def _course(app: FastAPI, email: str, title: str = "Tensors 101") -> tuple[str, dict]:
    with app.state.db.session() as db:
        owner = db.scalars(select(Account).where(Account.email == email)).one()
        cid, ids = build(db, owner.id, title=title)
        db.add(
            Message(
                session_id=ids["dee"],
                page_index=2,
                action="user_message",
                speaker_type=3,
                speaker_id="Learner",
                content=XSS,
            )
        )
        for account in db.scalars(select(Account).where(Account.name == "Cy")):
            account.name = XSS
    return cid, ids


def test_dashboard_shows_the_figures_to_the_owner(app: FastAPI, teacher_client: TestClient) -> None:
    cid, _ = _course(app, "teacher@example.org", title=f"Tensors {XSS}")
    page = teacher_client.get(f"/courses/{cid}/dashboard")
    assert page.status_code == 200
    html = page.text
    assert 'data-count="students">5<' in html
    assert 'data-count="learner_messages">6<' in html  # the hand-built 5 + the XSS message
    assert 'data-count="quiz_answers">5<' in html and 'data-count="dropouts">4<' in html
    assert "Ann" in html and "3/3" in html and "2/2" in html and "1/2" in html
    assert "60.9%" in html and "40.9%" in html  # the paper's figures beside the course's
    assert "<script>window" not in html and 'onerror="window' not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    for name in PLOTS:
        assert f'src="/courses/{cid}/plots/{name}.svg"' in html
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert f'href="/courses/{cid}/export.csv"' in html


def test_dashboard_plots_are_svg_and_escape_user_text(
    app: FastAPI, teacher_client: TestClient
) -> None:
    cid, _ = _course(app, "teacher@example.org", title=f"Tensors {XSS} $x^2$")
    for name in PLOTS:
        reply = teacher_client.get(f"/courses/{cid}/plots/{name}.svg")
        assert reply.status_code == 200, name
        assert reply.headers["content-type"] == "image/svg+xml"
        svg = reply.text
        tags = {el.tag.rsplit("}", 1)[-1] for el in ElementTree.fromstring(reply.content).iter()}
        attrs = {a for el in ElementTree.fromstring(reply.content).iter() for a in el.attrib}
        assert "svg" in tags and "script" not in tags and "img" not in tags, name
        assert not [a for a in attrs if a.lower().startswith("on")], name
        assert "&lt;script&gt;" in svg  # the title, as text
    engagement = teacher_client.get(f"/courses/{cid}/plots/engagement.svg").text
    assert "n = 3" in engagement  # Ann, Bob, Dee have a quiz score
    assert teacher_client.get(f"/courses/{cid}/plots/nope.svg").status_code == 404


def test_dashboard_is_the_owners_only(
    app: FastAPI,
    teacher_client: TestClient,
    student_client: TestClient,
    make_client: Callable[[], TestClient],
    signup_as: Callable[..., TestClient],
) -> None:
    cid, _ = _course(app, "teacher@example.org")
    other = signup_as(make_client(), "other@example.org", "teacher", "Other Teacher")
    paths = [
        f"/courses/{cid}/dashboard",
        f"/courses/{cid}/plots/progress.svg",
        f"/courses/{cid}/export.csv",
    ]
    for path in paths:
        assert other.get(path).status_code == 404, path
        assert student_client.get(path).status_code in (403, 404), path
        anonymous = make_client().get(path, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
        assert other.get(path.replace(cid, "0" * 32)).status_code == 404
        assert teacher_client.get(path).status_code == 200, path


def test_plot_labels_are_one_short_line_without_mathtext() -> None:
    assert safe_label("a\nb   c") == "a b c"
    assert safe_label("$\\alpha$") == "\\$\\alpha\\$"
    assert len(safe_label("x" * 100)) == 40


def test_plots_of_an_empty_course_render() -> None:
    from lmforge.classroom.web.analytics import CourseAnalytics

    empty = CourseAnalytics(
        course_id="c",
        title="Empty",
        students=[],
        message_types=[],
        activity_types=[],
        engagement=[],
        correlations=[{"measure": "messages", "r": None, "n": 0}],
        slides=[],
        counts={},
    )
    for name in PLOTS:
        assert b"<svg" in plot_svg(name, empty)

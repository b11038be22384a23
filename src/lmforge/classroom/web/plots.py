"""The dashboard's plots: matplotlib (Agg) figures of a course's analytics, as SVG text.

Why SVG with text kept as text: the figures stay small and sharp, and the names in them (a
student's name, a slide title, a course title typed by a teacher) are written by matplotlib's
SVG writer, which XML-escapes every text node and attribute. Two more guards for text that
comes from users: `$` is escaped so mathtext never parses it (a title like "$\\alpha$" or a
malformed one must not break or reshape the plot), and labels are cut to a short length.
The route serves the bytes as `image/svg+xml` under the app's CSP, and the page shows them in
`<img>` tags, where a browser runs no script of an SVG in any case.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .analytics import CourseAnalytics  # noqa: E402

__all__ = ["PLOTS", "plot_svg", "safe_label"]

MAX_LABEL = 40
_RC = {"svg.fonttype": "none", "svg.hashsalt": "lmforge", "font.size": 9}


def safe_label(text: object, limit: int = MAX_LABEL) -> str:
    """User text as a plot label: one line, at most `limit` characters, `$` escaped."""
    line = " ".join(str(text).split())
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return line.replace("$", r"\$")


def _figure(width: float = 6.4, height: float = 3.2) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _progress(data: CourseAnalytics, fig: Figure) -> None:
    """Students per number of complete chapters (the dropout study's progress distribution)."""
    total = max((s.chapters_total for s in data.students), default=0)
    counts = Counter(s.chapters_completed for s in data.students)
    xs = list(range(total + 1))
    ax = fig.subplots()
    ax.bar(xs, [counts.get(x, 0) for x in xs], color="#2f5bd3")
    ax.set_xticks(xs)
    ax.set_xlabel("chapters completed (P)")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    dropouts = sum(1 for s in data.students if s.dropout)
    ax.set_title(f"Progress: {dropouts} of {len(data.students)} not complete (dropout)")


def _bars(ax, rows, title: str) -> None:  # noqa: ANN001
    labels = [safe_label(r.key) for r in rows]
    ax.barh(labels, [r.count for r in rows], color="#2f5bd3")
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    for i, r in enumerate(rows):
        ax.annotate(
            f"{r.share:.0%}", (r.count, i), xytext=(3, 0), textcoords="offset points", va="center"
        )


def _messages(data: CourseAnalytics, fig: Figure) -> None:
    """All messages by action and by speaker role."""
    left, right = fig.subplots(1, 2)
    _bars(left, [r for r in data.message_types if r.group == "action"], "by action")
    _bars(right, [r for r in data.message_types if r.group == "role"], "by speaker role")


def _activity(data: CourseAnalytics, fig: Figure) -> None:
    """The learners' messages by activity type (paper: 60.9% asking, about 11% managing)."""
    _bars(fig.subplots(), data.activity_types, "Learner messages by activity type")


def _engagement(data: CourseAnalytics, fig: Figure) -> None:
    """Messages sent vs quiz score, one dot per student with a score, with Pearson's r."""
    rows = [r for r in data.engagement if r.quiz_score is not None]
    ax = fig.subplots()
    ax.scatter([r.messages for r in rows], [r.quiz_score for r in rows], color="#2f5bd3")
    ax.set_xlabel("messages sent")
    ax.set_ylabel("quiz score")
    ax.set_ylim(-0.05, 1.05)
    corr = next(c for c in data.correlations if c.measure == "messages")
    r = "undefined" if corr.r is None else f"{corr.r:.3f}"
    ax.set_title(f"Engagement vs quiz score: r = {r} (n = {corr.n})")


def _questions(data: CourseAnalytics, fig: Figure) -> None:
    """Questions (and all learner messages) per slide."""
    ax = fig.subplots()
    xs = [s.page_index for s in data.slides]
    ax.bar(xs, [s.learner_messages for s in data.slides], color="#c9d4f2", label="messages")
    ax.bar(xs, [s.questions for s in data.slides], color="#2f5bd3", label="questions")
    ax.set_xticks(xs)
    ax.set_xlabel("slide")
    ax.set_ylabel("learner messages")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    ax.set_title("Questions per slide")


PLOTS: dict[str, Callable[[CourseAnalytics, Figure], None]] = {
    "progress": _progress,
    "messages": _messages,
    "activity": _activity,
    "engagement": _engagement,
    "questions": _questions,
}
"""Plot name (the URL's `{name}.svg`) -> what draws it."""


def plot_svg(name: str, data: CourseAnalytics) -> bytes:
    """The named plot of `data` as SVG bytes; KeyError for an unknown name."""
    draw = PLOTS[name]
    with matplotlib.rc_context(_RC):
        fig = _figure(7.5 if name == "messages" else 6.4)
        draw(data, fig)
        fig.suptitle(safe_label(data.title, 80), fontsize=10)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()

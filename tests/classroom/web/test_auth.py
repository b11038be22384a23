"""Accounts: sign-up, sign-in, sign-out, the cookie's flags, the wrong-password limit."""

from __future__ import annotations

from sqlalchemy import select

from lmforge.classroom.web.models import Account, Activity


def _kinds(app) -> list[str]:
    with app.state.db.session() as s:
        return [a.kind for a in s.scalars(select(Activity).order_by(Activity.id))]


def test_signup_signs_in_and_hashes_with_argon2(app, client, signup_as, password):
    signup_as(client, "Ada@Example.org", "teacher", "Ada")
    assert client.get("/", follow_redirects=False).headers["location"] == "/courses"
    with app.state.db.session() as s:
        account = s.scalars(select(Account)).one()
        assert account.email == "ada@example.org" and account.learner_id is None
        assert account.password_hash.startswith("$argon2id$")
        assert password not in account.password_hash
    assert _kinds(app) == ["signup", "login"]

"""Accounts: sign-up, sign-in, sign-out, the cookie's flags, the wrong-password limit."""

from __future__ import annotations

from sqlalchemy import select

from lmforge.classroom.web.models import Account, Activity, Login


def _kinds(app) -> list[str]:
    with app.state.db.session() as s:
        return [a.kind for a in s.scalars(select(Activity).order_by(Activity.id))]


def test_signup_signs_in_and_hashes_with_argon2(app, client, signup_as, password):
    signup_as(client, "Ada@Example.org", "teacher", "Ada")
    assert client.get("/", follow_redirects=False).headers["location"] == "/courses"
    with app.state.db.session() as s:
        account = s.scalars(select(Account)).one()
        assert account.email == "ada@example.org" and account.learner_id is None
        assert account.password_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert password not in account.password_hash
    assert _kinds(app) == ["signup", "login"]


def test_default_password_cost_is_argon2s_own():
    from lmforge.classroom.web.security import Passwords
    from lmforge.classroom.web.settings import WebSettings

    settings = WebSettings()
    passwords = Passwords(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
    stored = passwords.hash("a long passphrase")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    cheap = Passwords(1, 1024, 1)
    assert cheap.verify(stored, "a long passphrase")  # the hash names its own cost
    assert not cheap.verify(cheap.hash("other"), "a long passphrase")
    assert not cheap.verify(None, "a long passphrase") and not cheap.verify("junk", "x")


def _login(client, csrf_token, email: str, password: str):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password,
                       "csrf_token": token}, follow_redirects=False)  # fmt: skip


def test_student_signup_gets_a_learner_and_bad_signups_say_why(app, make_client, signup_as,
                                                               csrf_token, password):  # fmt: skip
    student = signup_as(make_client(), "sam@example.org", "student", "Sam")
    assert student.get("/", follow_redirects=False).headers["location"] == "/my"
    with app.state.db.session() as s:
        account = s.scalars(select(Account).where(Account.email == "sam@example.org")).one()
        assert account.role == "student" and account.learner_id
    other = make_client()
    token = csrf_token(other, "/signup")
    for data, reason in (
        ({"email": "sam@example.org", "password": password}, "an account with this e-mail"),
        ({"email": "new@example.org", "password": "short"}, "at least 8 characters"),
        ({"email": "not-an-email", "password": password}, "valid e-mail"),
        ({"email": "a@b.org", "password": password, "role": "admin"}, "teacher or student"),
    ):
        reply = other.post("/signup", data={"role": "teacher", **data, "csrf_token": token})
        assert reply.status_code == 400 and reason in reply.text, (data, reply.text[-500:])


def test_login_logout_and_the_cookie(app, make_client, signup_as, csrf_token, password):
    signup_as(make_client(), "ada@example.org")
    browser = make_client()
    reply = _login(browser, csrf_token, "ADA@example.org", password)
    assert reply.status_code == 303 and reply.headers["location"] == "/courses"
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert browser.get("/courses").status_code == 200
    signed_in = browser.cookies.get("lmforge_session")

    # A tampered cookie is no cookie.
    forged = make_client()
    forged.cookies.set("lmforge_session", signed_in[:-3] + "abc")
    assert forged.get("/courses", follow_redirects=False).headers["location"] == "/login"

    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/courses")})
    assert browser.get("/courses", follow_redirects=False).headers["location"] == "/login"
    replay = make_client()  # the old cookie, replayed after sign-out, is dead too
    replay.cookies.set("lmforge_session", signed_in)
    assert replay.get("/courses", follow_redirects=False).headers["location"] == "/login"
    with app.state.db.session() as s:
        assert s.query(Login).count() == 1  # the sign-up's own sign-in is still there
    kinds = _kinds(app)
    assert kinds.count("login") == 2 and kinds[-1] == "logout"


def test_an_expired_sign_in_is_no_sign_in(app, make_client, signup_as):
    from datetime import datetime, timedelta, timezone

    browser = signup_as(make_client(), "eve@example.org")
    assert browser.get("/courses", follow_redirects=False).status_code == 200
    with app.state.db.session() as s:
        for login in s.query(Login):
            login.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert browser.get("/courses", follow_redirects=False).headers["location"] == "/login"


def test_secure_cookie_over_https(web_settings, signup_as):
    from fastapi.testclient import TestClient

    from lmforge.classroom.web import create_app

    app = create_app(web_settings.model_copy(update={"https": True}))
    client = TestClient(app, base_url="https://testserver")
    reply = client.get("/login")
    assert "Secure" in reply.headers["set-cookie"]
    app.state.db.close()


def test_wrong_passwords_are_rate_limited_per_account(app, make_client, signup_as, csrf_token,
                                                      password):  # fmt: skip
    app.state.settings.login_failures = 3
    signup_as(make_client(), "ada@example.org")
    signup_as(make_client(), "bob@example.org")
    attacker = make_client()
    for _ in range(3):
        reply = _login(attacker, csrf_token, "ada@example.org", "guess-guess")
        assert reply.status_code == 400 and "wrong e-mail address or password" in reply.text
    blocked = _login(attacker, csrf_token, "ada@example.org", password)
    assert blocked.status_code == 429 and "too many wrong passwords" in blocked.text
    assert "location" not in blocked.headers
    assert attacker.get("/courses", follow_redirects=False).status_code == 303  # not signed in
    assert _login(make_client(), csrf_token, "bob@example.org", password).status_code == 303
    # The counter is in the database: a second app on the same database (another worker)
    # refuses too.
    from fastapi.testclient import TestClient

    from lmforge.classroom.web import create_app

    twin = create_app(app.state.settings)
    again = _login(TestClient(twin), csrf_token, "ada@example.org", password)
    assert again.status_code == 429
    twin.state.db.close()
    assert "login_blocked" in _kinds(app) and _kinds(app).count("login_failed") == 3

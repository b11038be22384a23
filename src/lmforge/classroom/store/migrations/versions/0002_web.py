"""The MAIC web app: accounts, sign-ins, courses, custom agents, enrolments, activity, rate
events, live-session leases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Importing `lmforge.classroom.web.models` registers the web tables on the store's `Base`
whenever Alembic loads this history (every `Database.upgrade()`), so `Database.schema_diff()`
compares against a metadata that has them; without it a migrated database would show the web
tables as "not in the models". The migration itself uses only `op` calls, never the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lmforge.classroom.web.models  # noqa: F401  (see the docstring)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_event")),
    )
    op.create_index("ix_rate_event_key_time", "rate_event", ["key", "created_at"], unique=False)
    op.create_table(
        "account",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("learner_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_account_learner_id_learner"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
    )
    op.create_table(
        "activity",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("course_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_activity_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index(op.f("ix_activity_account_id"), "activity", ["account_id"], unique=False)
    op.create_index(
        "ix_activity_course_time", "activity", ["course_id", "created_at"], unique=False
    )
    op.create_table(
        "course",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=True),
        sa.Column("lecture_id", sa.String(length=64), nullable=True),
        sa.Column("deck_path", sa.Text(), nullable=False),
        sa.Column("deck_name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("agents", sa.JSON(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lecture_id"],
            ["lecture.id"],
            name=op.f("fk_course_lecture_id_lecture"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["account.id"],
            name=op.f("fk_course_owner_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
        sa.UniqueConstraint("code", name=op.f("uq_course_code")),
        sa.UniqueConstraint("lecture_id", name=op.f("uq_course_lecture_id")),
    )
    op.create_index(op.f("ix_course_owner_id"), "course", ["owner_id"], unique=False)
    op.create_index(op.f("ix_course_status"), "course", ["status"], unique=False)
    op.create_table(
        "login",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_login_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login")),
    )
    op.create_index(op.f("ix_login_account_id"), "login", ["account_id"], unique=False)
    op.create_table(
        "course_agent",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("persona", sa.Text(), nullable=False),
        sa.Column("role_card", sa.Text(), nullable=False),
        sa.Column("identity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_agent_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_agent")),
        sa.UniqueConstraint("course_id", "key", name=op.f("uq_course_agent_course_id_key")),
    )
    op.create_table(
        "enrollment",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_enrollment_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_enrollment_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_enrollment_session_id_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment")),
        sa.UniqueConstraint(
            "course_id", "account_id", name=op.f("uq_enrollment_course_id_account_id")
        ),
    )
    op.create_index(op.f("ix_enrollment_account_id"), "enrollment", ["account_id"], unique=False)
    op.create_index(op.f("ix_enrollment_session_id"), "enrollment", ["session_id"], unique=False)
    op.create_table(
        "live_session",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("wake_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_live_session_session_id_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_live_session")),
    )


def downgrade() -> None:
    op.drop_table("live_session")
    op.drop_index(op.f("ix_enrollment_session_id"), table_name="enrollment")
    op.drop_index(op.f("ix_enrollment_account_id"), table_name="enrollment")
    op.drop_table("enrollment")
    op.drop_table("course_agent")
    op.drop_index(op.f("ix_login_account_id"), table_name="login")
    op.drop_table("login")
    op.drop_index(op.f("ix_course_status"), table_name="course")
    op.drop_index(op.f("ix_course_owner_id"), table_name="course")
    op.drop_table("course")
    op.drop_index("ix_activity_course_time", table_name="activity")
    op.drop_index(op.f("ix_activity_account_id"), table_name="activity")
    op.drop_table("activity")
    op.drop_table("account")
    op.drop_index("ix_rate_event_key_time", table_name="rate_event")
    op.drop_table("rate_event")

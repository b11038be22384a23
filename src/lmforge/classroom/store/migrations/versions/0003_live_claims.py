"""A claim counter on the live-session row and an index for reading a class's messages by id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

`live_session.claims` goes up by one at every claim or renewal of the lease, so a driver that
kept a class's state in memory after its drive knows, from what its next claim returns,
whether anybody else stepped the class in between (`web.live`). `ix_message_session_id`
serves every stream's "messages of this class after id N, in id order" without a sort.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lmforge.classroom.web.models  # noqa: F401  (see 0002's docstring)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("live_session") as batch:
        batch.add_column(sa.Column("claims", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_message_session_id", "message", ["session_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_message_session_id", table_name="message")
    with op.batch_alter_table("live_session") as batch:
        batch.drop_column("claims")

"""Credit scoring events: one row per scoring request the API answered.

Revision ID: 0001
Revises:
Create Date: 2026-12-03

Times are tz-naive UTC on every dialect; constraint names follow pipelines.storage.sql.NAMING_CONVENTION.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_scoring_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("http_status", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("client_id", sa.BigInteger, nullable=True),
        sa.Column("probability", sa.Float, nullable=True),
        sa.Column("decision", sa.String, nullable=True),
        sa.Column("threshold", sa.Float, nullable=True),
        sa.Column("model_version", sa.String, nullable=True),
        sa.Column("inputs", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_scoring_events")),
    )
    op.create_index(op.f("ix_credit_scoring_events_received_at"), "credit_scoring_events", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_scoring_events_received_at"), table_name="credit_scoring_events")
    op.drop_table("credit_scoring_events")

"""Prediction intervals: 80 % and 95 % bounds on every prediction (nullable: older rows have none).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("lower_80", "upper_80", "lower_95", "upper_95")


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)

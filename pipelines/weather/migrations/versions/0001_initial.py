"""Initial schema: weather observations, model metadata and predictions.

Revision ID: 0001
Revises:
Create Date: 2025-04-05

Times are tz-naive UTC (DateTime without time zone) on every dialect. Constraint names follow
the naming convention of pipelines.weather.database.Base so later migrations can refer to them.
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
        "weather_observations",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("location", sa.String, nullable=False),
        sa.Column("resolution", sa.String, nullable=False),
        sa.Column("time", sa.DateTime, nullable=False),
        sa.Column("temperature_2m", sa.Float, nullable=True),
        sa.Column("exogenous", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_weather_observations"),
        sa.UniqueConstraint("location", "resolution", "time", name="uq_weather_observations_location_resolution_time"),
        sa.CheckConstraint("resolution IN ('1h', '3h')", name="ck_weather_observations_resolution"),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("version", sa.String, nullable=False),
        sa.Column("location", sa.String, nullable=False),
        sa.Column("training_start", sa.DateTime, nullable=False),
        sa.Column("training_end", sa.DateTime, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("artefact_path", sa.String, nullable=False),
        sa.Column("library_versions", sa.JSON, nullable=False),
        sa.Column("data_source", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_models"),
        sa.UniqueConstraint("name", "version", name="uq_models_name_version"),
    )
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("model_id", sa.Integer, nullable=False),
        sa.Column("location", sa.String, nullable=False),
        sa.Column("issue_time", sa.DateTime, nullable=False),
        sa.Column("target_time", sa.DateTime, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("predicted_temperature", sa.Float, nullable=False),
        sa.Column("explanatory", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_predictions"),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], name="fk_predictions_model_id_models"),
        sa.UniqueConstraint(
            "model_id", "issue_time", "target_time", name="uq_predictions_model_id_issue_time_target_time"
        ),
        sa.CheckConstraint("step BETWEEN 0 AND 7", name="ck_predictions_step_range"),
    )
    op.create_index("ix_predictions_target_time", "predictions", ["target_time"])


def downgrade() -> None:
    op.drop_index("ix_predictions_target_time", table_name="predictions")
    op.drop_table("predictions")
    op.drop_table("models")
    op.drop_table("weather_observations")

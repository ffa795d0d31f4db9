"""issue_events, issue_responses: deleting an issue no longer cascades to analyst work

The foreign keys to issues become RESTRICT: a comment, a triage decision or a recorded
response can only go by being deleted on purpose, never as a side effect of an issue row.

Revision ID: a27000000001
Revises: a22000000001
Create Date: 2026-12-13 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a27000000001"
down_revision: str | None = "a22000000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("issue_events", "issue_responses")


def _point(ondelete: str) -> None:
    for table in TABLES:
        name = f"fk_{table}_issue_id_issues"
        # Neither table has triggers, so SQLite's table rebuild loses nothing.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")
            batch_op.create_foreign_key(name, "issues", ["issue_id"], ["id"], ondelete=ondelete)


def upgrade() -> None:
    _point("RESTRICT")


def downgrade() -> None:
    _point("CASCADE")

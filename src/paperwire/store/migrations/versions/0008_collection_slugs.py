"""Collections get a random ``slug`` for their public link: ids can be reused (SQLite reuses a deleted
row's id), so a link by id could one day show another user's collection; a slug is never reused.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def new_slug() -> str:
    return "c" + secrets.token_urlsafe(12)


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.add_column(sa.Column("slug", sa.String(24)))
    conn = op.get_bind()
    table = sa.table("collections", sa.column("pk", sa.Integer), sa.column("slug", sa.String))
    for (pk,) in conn.execute(sa.select(table.c.pk)).all():
        conn.execute(table.update().where(table.c.pk == pk).values(slug=new_slug()))
    op.create_index("ix_collections_slug", "collections", ["slug"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_collections_slug", table_name="collections")
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("slug")

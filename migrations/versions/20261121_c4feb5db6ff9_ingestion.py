"""ingestion: page text queue, title keys, story groups and bands, tombstones

Revision ID: c4feb5db6ff9
Revises: 4ee93f03b247
Create Date: 2026-11-21 21:50:28.857657
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c4feb5db6ff9'
down_revision: str | None = '4ee93f03b247'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('story_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('first_article_id', sa.Integer(), nullable=True),
    sa.Column('first_outlet', sa.String(length=200), nullable=True),
    sa.Column('first_published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('copy_count', sa.Integer(), nullable=False),
    sa.Column('outlet_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_groups'))
    )
    with op.batch_alter_table('story_groups', schema=None) as batch_op:
        batch_op.create_index('ix_story_groups_first_published', ['first_published_at'], unique=False)

    op.create_table('tombstones',
    sa.Column('url_hash', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('url_hash', name=op.f('pk_tombstones'))
    )
    op.create_table('story_bands',
    sa.Column('band', sa.BigInteger(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_story_bands_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('band', 'article_id', name=op.f('pk_story_bands'))
    )
    with op.batch_alter_table('story_bands', schema=None) as batch_op:
        batch_op.create_index('ix_story_bands_article_id', ['article_id'], unique=False)

    # On SQLite a batch FOREIGN KEY would rebuild `articles` and silently drop the search and
    # change-log triggers; ADD COLUMN ... REFERENCES adds the same constraint without a rebuild.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE articles ADD COLUMN story_group_id INTEGER CONSTRAINT '
            'fk_articles_story_group_id_story_groups REFERENCES story_groups (id) ON DELETE SET NULL'
        )
        op.execute(
            'ALTER TABLE articles ADD COLUMN duplicate_of_id INTEGER CONSTRAINT '
            'fk_articles_duplicate_of_id_articles REFERENCES articles (id) ON DELETE SET NULL'
        )
    else:
        op.add_column('articles', sa.Column('story_group_id', sa.Integer(), nullable=True))
        op.add_column('articles', sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_articles_story_group_id_story_groups'), 'articles', 'story_groups', ['story_group_id'], ['id'], ondelete='SET NULL')
        op.create_foreign_key(op.f('fk_articles_duplicate_of_id_articles'), 'articles', 'articles', ['duplicate_of_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_articles_story_group_id'), 'articles', ['story_group_id'], unique=False)

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('text_state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('text_claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('text_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('text_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('minhash', sa.LargeBinary(), nullable=True))
        batch_op.create_index('ix_articles_pending_story', ['id'], unique=False, sqlite_where=sa.text('story_group_id IS NULL AND deleted_at IS NULL'), postgresql_where=sa.text('story_group_id IS NULL AND deleted_at IS NULL'))
        batch_op.create_index('ix_articles_pending_text', ['id'], unique=False, sqlite_where=sa.text("text_state = 'pending'"), postgresql_where=sa.text("text_state = 'pending'"))
        batch_op.create_index('ix_articles_source_title', ['source_id', 'title_key'], unique=False)





def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_articles_story_group_id_story_groups'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_articles_duplicate_of_id_articles'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_articles_story_group_id'))
        batch_op.drop_index('ix_articles_source_title')
        batch_op.drop_index('ix_articles_pending_text', sqlite_where=sa.text("text_state = 'pending'"), postgresql_where=sa.text("text_state = 'pending'"))
        batch_op.drop_index('ix_articles_pending_story', sqlite_where=sa.text('story_group_id IS NULL AND deleted_at IS NULL'), postgresql_where=sa.text('story_group_id IS NULL AND deleted_at IS NULL'))
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('story_group_id')
        batch_op.drop_column('minhash')
        batch_op.drop_column('text_error')
        batch_op.drop_column('text_attempts')
        batch_op.drop_column('text_claimed_until')
        batch_op.drop_column('text_state')
        batch_op.drop_column('title_key')

    with op.batch_alter_table('story_bands', schema=None) as batch_op:
        batch_op.drop_index('ix_story_bands_article_id')

    op.drop_table('story_bands')
    op.drop_table('tombstones')
    with op.batch_alter_table('story_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_story_groups_first_published')

    op.drop_table('story_groups')

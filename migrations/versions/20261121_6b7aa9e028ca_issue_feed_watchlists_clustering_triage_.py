"""issue feed: watchlists, clustering, triage, spikes, alerts

New tables: watchlists, article_watchlists (the match stage's links), rematch_jobs (background
re-matching with progress), issue_events (the triage audit trail), spike_events, alert_rules,
webhooks and webhook_deliveries (the alert outbox). Articles get matched_at (the match stage's
queue); issues get the clustering snapshot, metrics, severity breakdown and triage columns.

articles and issues carry change-log and search triggers, so their columns are added with
plain ALTER TABLE ADD COLUMN (never a batch rebuild, which drops triggers on SQLite).

Revision ID: 6b7aa9e028ca
Revises: b8325c8095b5
Create Date: 2026-11-21 22:37:50.104704
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '6b7aa9e028ca'
down_revision: str | None = 'b8325c8095b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('spike_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('granularity', sa.String(length=4), nullable=False),
    sa.Column('bucket_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('baseline_mean', sa.Float(), nullable=False),
    sa.Column('baseline_std', sa.Float(), nullable=False),
    sa.Column('z', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spike_events')),
    sa.UniqueConstraint('subject_kind', 'subject_id', 'kind', 'granularity', 'bucket_start', name='uq_spike_events_subject_bucket')
    )
    with op.batch_alter_table('spike_events', schema=None) as batch_op:
        batch_op.create_index('ix_spike_events_detected_at', ['detected_at'], unique=False)

    op.create_table('watchlists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('entity_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watchlists')),
    sa.UniqueConstraint('name', name=op.f('uq_watchlists_name'))
    )
    with op.batch_alter_table('watchlists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watchlists_active'), ['active'], unique=False)

    op.create_table('webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks'))
    )
    op.create_table('alert_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('watchlist_id', sa.Integer(), nullable=True),
    sa.Column('spike_kinds', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('cooldown_minutes', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['watchlist_id'], ['watchlists.id'], name=op.f('fk_alert_rules_watchlist_id_watchlists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_alert_rules_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules'))
    )
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_rules_watchlist_id'), ['watchlist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_rules_webhook_id'), ['webhook_id'], unique=False)

    op.create_table('issue_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_value', sa.Text(), nullable=True),
    sa.Column('to_value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_issue_events_issue_id_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_events'))
    )
    with op.batch_alter_table('issue_events', schema=None) as batch_op:
        batch_op.create_index('ix_issue_events_issue_id_id', ['issue_id', 'id'], unique=False)

    op.create_table('rematch_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('watchlist_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('after_id', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['watchlist_id'], ['watchlists.id'], name=op.f('fk_rematch_jobs_watchlist_id_watchlists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rematch_jobs'))
    )
    with op.batch_alter_table('rematch_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_rematch_jobs_state_id', ['state', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rematch_jobs_watchlist_id'), ['watchlist_id'], unique=False)

    op.create_table('article_watchlists',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('watchlist_id', sa.Integer(), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_watchlists_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['watchlist_id'], ['watchlists.id'], name=op.f('fk_article_watchlists_watchlist_id_watchlists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'watchlist_id', name=op.f('pk_article_watchlists'))
    )
    with op.batch_alter_table('article_watchlists', schema=None) as batch_op:
        batch_op.create_index('ix_article_watchlists_watchlist_article', ['watchlist_id', 'article_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('log', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_webhook_deliveries_rule_id_alert_rules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_webhook_deliveries_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_webhook_deliveries_idempotency_key'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_cooldown', ['rule_id', 'subject', 'reason'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_webhook_id_id', ['webhook_id', 'id'], unique=False)

    op.add_column('articles', sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_articles_pending_match', 'articles', ['id'], unique=False, sqlite_where=sa.text('matched_at IS NULL AND scored_at IS NOT NULL'), postgresql_where=sa.text('matched_at IS NULL AND scored_at IS NOT NULL'))

    op.add_column('issues', sa.Column('top_terms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default=sa.text("'[]'"), nullable=False))
    op.add_column('issues', sa.Column('watchlist_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default=sa.text("'[]'"), nullable=False))
    op.add_column('issues', sa.Column('outlets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default=sa.text("'[]'"), nullable=False))
    op.add_column('issues', sa.Column('negative_share', sa.Float(), server_default='0', nullable=False))
    op.add_column('issues', sa.Column('velocity', sa.Float(), server_default='0', nullable=False))
    op.add_column('issues', sa.Column('velocity_ratio', sa.Float(), server_default='0', nullable=False))
    op.add_column('issues', sa.Column('reach', sa.Float(), server_default='0', nullable=False))
    op.add_column('issues', sa.Column('severity_breakdown', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    op.add_column('issues', sa.Column('cluster_state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    op.add_column('issues', sa.Column('assignee', sa.String(length=200), nullable=True))
    op.add_column('issues', sa.Column('notes', sa.Text(), nullable=True))
    op.add_column('issues', sa.Column('dismissed_reason', sa.String(length=20), nullable=True))
    op.add_column('issues', sa.Column('dismissed_severity', sa.Float(), nullable=True))
    op.add_column('issues', sa.Column('merged_into_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_issues_merged_into_id'), 'issues', ['merged_into_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_issues_merged_into_id'), table_name='issues')
    op.drop_column('issues', 'merged_into_id')
    op.drop_column('issues', 'dismissed_severity')
    op.drop_column('issues', 'dismissed_reason')
    op.drop_column('issues', 'notes')
    op.drop_column('issues', 'assignee')
    op.drop_column('issues', 'cluster_state')
    op.drop_column('issues', 'severity_breakdown')
    op.drop_column('issues', 'reach')
    op.drop_column('issues', 'velocity_ratio')
    op.drop_column('issues', 'velocity')
    op.drop_column('issues', 'negative_share')
    op.drop_column('issues', 'outlets')
    op.drop_column('issues', 'watchlist_ids')
    op.drop_column('issues', 'top_terms')
    op.drop_index('ix_articles_pending_match', table_name='articles')
    op.drop_column('articles', 'matched_at')

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_webhook_id_id')
        batch_op.drop_index('ix_webhook_deliveries_due')
        batch_op.drop_index('ix_webhook_deliveries_cooldown')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('article_watchlists', schema=None) as batch_op:
        batch_op.drop_index('ix_article_watchlists_watchlist_article')

    op.drop_table('article_watchlists')
    with op.batch_alter_table('rematch_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rematch_jobs_watchlist_id'))
        batch_op.drop_index('ix_rematch_jobs_state_id')

    op.drop_table('rematch_jobs')
    with op.batch_alter_table('issue_events', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_events_issue_id_id')

    op.drop_table('issue_events')
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_rules_webhook_id'))
        batch_op.drop_index(batch_op.f('ix_alert_rules_watchlist_id'))

    op.drop_table('alert_rules')
    op.drop_table('webhooks')
    with op.batch_alter_table('watchlists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watchlists_active'))

    op.drop_table('watchlists')
    with op.batch_alter_table('spike_events', schema=None) as batch_op:
        batch_op.drop_index('ix_spike_events_detected_at')

    op.drop_table('spike_events')

"""The portal signs people in on the server: its client registration and its sessions (created 2026-12-05).

`portal_client` holds the portal's OAuth client secret, sealed, for every process of a deployment;
`portal_session` one row per signed-in browser, keyed by the digest of the cookie's session id,
with the person's tokens (the refresh token sealed). docs/portal.md, "Signing in"."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0024'
down_revision = '0023'


def upgrade() -> None:
    op.create_table('portal_client',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sealed_secret', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_portal_client'))
    )
    op.create_table('portal_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('organisation_name', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.Column('organisation_slug', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('access_token', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sealed_refresh_token', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('state_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('code_verifier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('return_to', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_portal_session_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_portal_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_session')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_portal_session_id_hash'))
    )
    with op.batch_alter_table('portal_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_session_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    # Everyone signed in to the portal is signed out; their grants lapse on their own.
    with op.batch_alter_table('portal_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_session_user_id'))
    op.drop_table('portal_session')
    op.drop_table('portal_client')

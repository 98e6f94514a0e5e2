"""Membership invitations: accepted_at and the organisation's display name on memberships, links bound to a membership (created 2026-12-04)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'


def upgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
    # Every membership that exists already counts as accepted (from when it began), under the name
    # its person had: that is what each organisation saw until now.
    op.execute('UPDATE membership SET accepted_at = created_at')
    op.execute(
        'UPDATE membership SET name = (SELECT user_account.name FROM user_account WHERE user_account.id = membership.user_id)'
    )

    with op.batch_alter_table('password_setup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_password_setup_membership_id'), ['membership_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_password_setup_membership_id_membership'), 'membership', ['membership_id'], ['id']
        )
    # An unused link of a person with exactly one membership belongs to it; any other unused link
    # cannot say which organisation it is for, so it ends (its administrator issues a fresh one).
    op.execute(
        'UPDATE password_setup SET membership_id = (SELECT min(membership.id) FROM membership '
        'WHERE membership.user_id = password_setup.user_id) '
        'WHERE used_at IS NULL AND (SELECT count(*) FROM membership WHERE membership.user_id = password_setup.user_id) = 1'
    )
    op.execute('UPDATE password_setup SET used_at = CURRENT_TIMESTAMP WHERE used_at IS NULL AND membership_id IS NULL')


def downgrade() -> None:
    op.execute('DELETE FROM password_setup WHERE membership_id IN (SELECT id FROM membership WHERE accepted_at IS NULL)')
    op.execute('DELETE FROM membership WHERE accepted_at IS NULL')
    with op.batch_alter_table('password_setup', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_password_setup_membership_id_membership'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_password_setup_membership_id'))
        batch_op.drop_column('membership_id')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('name')

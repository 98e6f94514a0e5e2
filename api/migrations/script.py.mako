"""${message[:1].upper() + message[1:]} (created ${create_date.strftime("%Y-%m-%d")})."""

import sqlalchemy as sa
import sqlmodel
from alembic import op
${imports if imports else ""}

# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
% if branch_labels:
branch_labels = ${repr(branch_labels)}
% endif
% if depends_on:
depends_on = ${repr(depends_on)}
% endif


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}

"""exhibition visits keep views of deleted items

exhibition_visits.item_view: whether a visit was a view of an item (True) or of the booth page (False),
filled from media_id for the existing rows. exhibition_visits.media_id now goes to NULL when its item is
deleted (it cascaded before), so the item's past views stay in the booth's and the event's figures.
Batch mode: SQLite adds the column in place (with a temporary server default, as the rows need a value),
then rebuilds exhibition_visits (which no table refers to) for the foreign key and to drop the default;
PostgreSQL gets plain ALTER TABLE statements. The downgrade deletes the views of deleted items first: the
older schema cannot tell them from page views (and would have deleted them with their item).

Revision ID: 0ee7cf776657
Revises: 9ff4b93bbadb
Create Date: 2026-11-24 03:23:04.880976

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0ee7cf776657'
down_revision = '9ff4b93bbadb'
branch_labels = None
depends_on = None

visits = sa.table('exhibition_visits', sa.column('media_id', sa.Integer()), sa.column('item_view', sa.Boolean()))


def upgrade():
    with op.batch_alter_table('exhibition_visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_view', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.execute(visits.update().where(visits.c.media_id.is_not(None)).values(item_view=True))

    with op.batch_alter_table('exhibition_visits', schema=None) as batch_op:
        batch_op.alter_column('item_view', existing_type=sa.Boolean(), existing_nullable=False, server_default=None)
        batch_op.drop_constraint(batch_op.f('fk_exhibition_visits_media_id_exhibition_media'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_exhibition_visits_media_id_exhibition_media'), 'exhibition_media', ['media_id'], ['id'], ondelete='SET NULL')


def downgrade():
    op.execute(visits.delete().where(visits.c.item_view.is_(True), visits.c.media_id.is_(None)))

    with op.batch_alter_table('exhibition_visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_exhibition_visits_media_id_exhibition_media'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_exhibition_visits_media_id_exhibition_media'), 'exhibition_media', ['media_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('item_view')

"""managed option lists per store

A store's options (Size, Colour, or any other) become lists of values that variants pick
from. The sizes and colours typed on variants so far become each store's "Size" and "Colour"
lists, every variant keeps its values, and the free-text columns go. Order lines keep longer
option labels, since a variant may now have more than two options.

Revision ID: 0016_option_lists
Revises: 0015_billboard_category
Create Date: 2026-12-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_option_lists'
down_revision = '0015_billboard_category'
branch_labels = None
depends_on = None

# The order shops list clothing sizes in; other sizes follow, numbers by value.
CLOTHING_SIZES = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL"]
# (column on variant, list name, list slug, list position)
TYPED_OPTIONS = [('size', 'Size', 'size', 0), ('colour', 'Colour', 'colour', 1)]


def _value_order(column, value):
    if column == 'size':
        if value in CLOTHING_SIZES:
            return (0, CLOTHING_SIZES.index(value), 0.0, value)
        try:
            return (1, 0, float(value), value)
        except ValueError:
            pass
    return (2, 0, 0.0, value.lower())


def upgrade():
    op.create_table('option_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_option_list_store_id_store'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_option_list')),
    sa.UniqueConstraint('store_id', 'name', name='uq_option_list_store_name'),
    sa.UniqueConstraint('store_id', 'slug', name='uq_option_list_store_slug')
    )
    op.create_table('option_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('option_list_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['option_list_id'], ['option_list.id'], name=op.f('fk_option_value_option_list_id_option_list'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_option_value_store_id_store'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_option_value')),
    sa.UniqueConstraint('option_list_id', 'value', name='uq_option_value_list_value')
    )
    with op.batch_alter_table('option_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_option_value_option_list_id'), ['option_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_option_value_store_id'), ['store_id'], unique=False)

    op.create_table('variant_option',
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('option_list_id', sa.Integer(), nullable=False),
    sa.Column('option_value_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['option_list_id'], ['option_list.id'], name=op.f('fk_variant_option_option_list_id_option_list'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['option_value_id'], ['option_value.id'], name=op.f('fk_variant_option_option_value_id_option_value'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_variant_option_store_id_store'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_variant_option_variant_id_variant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('variant_id', 'option_list_id', name=op.f('pk_variant_option'))
    )
    with op.batch_alter_table('variant_option', schema=None) as batch_op:
        batch_op.create_index('ix_variant_option_value', ['store_id', 'option_value_id', 'variant_id'], unique=False)
        batch_op.create_index('ix_variant_option_variant', ['store_id', 'variant_id'], unique=False)

    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('option_label', sa.String(length=200), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.alter_column('options', existing_type=sa.String(length=80),
                              type_=sa.String(length=200), existing_nullable=False)

    _move_typed_values_into_lists(op.get_bind())

    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_index('ix_variant_size')
        batch_op.drop_index('ix_variant_colour')
        batch_op.drop_column('size')
        batch_op.drop_column('colour')


def _move_typed_values_into_lists(bind):
    variants = bind.execute(sa.text(
        "SELECT id, store_id, size, colour FROM variant ORDER BY store_id, id")).all()
    option_list = sa.table('option_list', sa.column('id'), sa.column('store_id'),
                           sa.column('name'), sa.column('slug'), sa.column('position'))
    option_value = sa.table('option_value', sa.column('id'), sa.column('store_id'),
                            sa.column('option_list_id'), sa.column('value'),
                            sa.column('position'))
    variant_option = sa.table('variant_option', sa.column('variant_id'),
                              sa.column('option_list_id'), sa.column('option_value_id'),
                              sa.column('store_id'))
    value_ids = {}  # (store_id, column, value) -> (list id, value id)
    for store_id in sorted({row.store_id for row in variants}):
        for index, (column, name, slug, position) in enumerate(TYPED_OPTIONS):
            values = sorted({getattr(row, column) for row in variants
                             if row.store_id == store_id and getattr(row, column)},
                            key=lambda value, column=column: _value_order(column, value))
            if not values:
                continue
            list_id = bind.execute(option_list.insert().values(
                store_id=store_id, name=name, slug=slug, position=position
            ).returning(option_list.c.id)).scalar_one()
            for value_position, value in enumerate(values):
                value_id = bind.execute(option_value.insert().values(
                    store_id=store_id, option_list_id=list_id, value=value,
                    position=value_position,
                ).returning(option_value.c.id)).scalar_one()
                value_ids[(store_id, column, value)] = (list_id, value_id)
    rows = []
    for row in variants:
        labels = []
        for column, _, _, _ in TYPED_OPTIONS:
            value = getattr(row, column)
            if value:
                list_id, value_id = value_ids[(row.store_id, column, value)]
                rows.append({'variant_id': row.id, 'option_list_id': list_id,
                             'option_value_id': value_id, 'store_id': row.store_id})
                labels.append(value)
        if labels:
            bind.execute(sa.text("UPDATE variant SET option_label = :label WHERE id = :id"),
                         {'label': " / ".join(labels), 'id': row.id})
    if rows:
        op.bulk_insert(variant_option, rows)


def downgrade():
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('colour', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('size', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_variant_colour', ['colour'], unique=False)
        batch_op.create_index('ix_variant_size', ['size'], unique=False)
    bind = op.get_bind()
    # Only the Size and Colour lists had columns; values of other lists are lost.
    for column, _, slug, _ in TYPED_OPTIONS:
        bind.execute(sa.text(
            f"UPDATE variant SET {column} = (SELECT option_value.value FROM variant_option "
            "JOIN option_value ON option_value.id = variant_option.option_value_id "
            "JOIN option_list ON option_list.id = variant_option.option_list_id "
            "WHERE variant_option.variant_id = variant.id AND option_list.slug = :slug)"),
            {'slug': slug})
    bind.execute(sa.text("UPDATE order_item SET options = substr(options, 1, 80)"))
    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.alter_column('options', existing_type=sa.String(length=200),
                              type_=sa.String(length=80), existing_nullable=False)
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_column('option_label')
    op.drop_table('variant_option')
    op.drop_table('option_value')
    op.drop_table('option_list')

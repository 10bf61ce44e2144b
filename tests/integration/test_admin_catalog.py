"""Admin catalog: the product table, inline edits, product form, pictures, categories, option
lists, banners."""

import re
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from shophub.admin.catalog import pictures
from shophub.catalog import options
from shophub.extensions import db
from shophub.models import (
    AuditEntry,
    Banner,
    Category,
    OptionList,
    OptionValue,
    Order,
    OrderItem,
    Product,
    ProductImage,
    Variant,
    VariantOption,
)
from shophub.platform import tenancy
from shophub.platform.storage import IMAGE_WIDTHS
from shophub.stores.service import create_store
from tests.catalog_data import product_specs
from tests.shop_data import PASSWORD, log_in, make_user

ROW_NAME = re.compile(r'<tr class="product-row"[^>]*>.*?<a href="/admin/products/\d+">([^<]+)</a>',
                      re.S)


def names(html: str) -> list[str]:
    return [name.replace("&amp;", "&") for name in ROW_NAME.findall(html)]


def page_of(client, query: str = "", **headers) -> str:
    response = client.get("/admin/products" + query, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def one(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def variant_of(app, sku: str) -> dict:
    with app.app_context():
        v = db.session.scalar(select(Variant).where(Variant.sku == sku))
        return {"id": v.id, "price": v.price_cents, "stock": v.stock,
                "product_id": v.product_id}


def audits(app, action: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        entries = db.session.scalars(query).all()
        db.session.expunge_all()
        return entries


def png_bytes(size=(900, 600), mode="RGBA") -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, (30, 120, 90, 200) if mode == "RGBA" else (30, 120, 90)).save(
        buffer, "PNG")
    return buffer.getvalue()


# --- the product table ------------------------------------------------------------------------


def test_the_table_lists_pages_of_25_sorted_by_name(catalog, staff):
    html = page_of(staff)
    expected = sorted((s["name"] for s in product_specs()), key=str.lower)
    assert names(html) == expected[:25]
    assert "30 products" in html and "page 1 of 2" in html
    assert names(page_of(staff, "?page=2")) == expected[25:]
    # Each row lists its variants with their price and stock, ready to edit.
    assert 'id="price-' in html and 'name="stock"' in html
    assert 'value="CANVAS-SNEAKER-0"' not in html and "CANVAS-SNEAKER-0" in html


def test_search_by_name_or_sku_and_filters(app, catalog, staff):
    assert names(page_of(staff, "?q=linen")) == ["Linen Napkins", "Linen Shirt"]
    assert names(page_of(staff, "?q=ceramic-mug-0")) == ["Ceramic Mug"]
    assert names(page_of(staff, "?q=100%25")) == ["100% Cotton Socks"]
    shoes = one(app, select(Category.id).where(Category.slug == "shoes"))
    expected_shoes = sorted((s["name"] for s in product_specs() if s["category"] == "shoes"),
                            key=str.lower)
    assert names(page_of(staff, f"?category={shoes}")) == expected_shoes
    assert names(page_of(staff, "?archived=yes")) == ["Archived Hoodie"]
    assert "Archived Hoodie" not in names(page_of(staff, "?archived=no&per_page=50"))
    low = sorted((s["name"] for s in product_specs()
                  if min(v["stock"] for v in s["variants"]) <= 5), key=str.lower)
    assert names(page_of(staff, "?low=1&per_page=50")) == low


def test_sorting_by_each_column_and_bad_values_get_a_message(catalog, staff):
    specs = product_specs()
    by_price = sorted(specs, key=lambda s: (-min(v["price"] for v in s["variants"])))
    assert names(page_of(staff, "?sort=price&dir=desc&per_page=5")) == \
        [s["name"] for s in by_price[:5]]
    by_stock = sorted(specs, key=lambda s: sum(v["stock"] for v in s["variants"]))
    stocks = [sum(v["stock"] for v in s["variants"]) for s in by_stock]
    first = names(page_of(staff, "?sort=stock&per_page=50"))
    assert [next(sum(v["stock"] for v in s["variants"]) for s in specs if s["name"] == name)
            for name in first] == stocks
    categories = names(page_of(staff, "?sort=category&per_page=50"))
    order = [next(s["category"] for s in specs if s["name"] == n) for n in categories]
    assert order == sorted(order)
    assert names(page_of(staff, "?sort=updated&per_page=3")) == \
        [s["name"] for s in sorted(specs, key=lambda s: s["created_at"], reverse=True)[:3]]
    html = page_of(staff, "?sort=password&dir=sideways&page=abc")
    assert "cannot be sorted by" in html and "sort direction" in html and "not a page" in html
    assert len(names(html)) == 25


def test_a_page_past_the_end_shows_the_last_page_with_a_message(catalog, staff):
    html = page_of(staff, "?page=99")
    assert "only 2 pages; showing page 2" in html and len(names(html)) == 5
    fragment = page_of(staff, "?q=linen", **{"HX-Request": "true"})
    assert "<html" not in fragment and 'id="product-table"' in fragment
    assert names(fragment) == ["Linen Napkins", "Linen Shirt"]


def own(statements: list[str]) -> list[str]:
    """Statements of the page itself (not the session's user or the header's cart badge)."""
    return [s for s in statements if "user_account" not in s and "cart" not in s]


def test_the_table_uses_a_fixed_number_of_statements(catalog, staff, count_statements):
    counts = {}
    for size in (5, 25):
        with count_statements() as counter:
            assert len(names(page_of(staff, f"?per_page={size}"))) == size
        assert len(own(counter.statements)) <= 4, counter.statements
        counts[size] = counter.count
        with count_statements() as counter:
            page_of(staff, f"?per_page={size}&low=1&q=e&sort=price", **{"HX-Request": "true"})
        assert counter.count <= 4, counter.statements  # the user, count, page, variants
    assert counts[5] == counts[25]


# --- inline edit of a variant ------------------------------------------------------------------


def test_inline_edit_saves_the_row_and_audits_before_and_after(app, catalog, staff):
    mug = variant_of(app, "CERAMIC-MUG-0")
    response = staff.post(f"/admin/variants/{mug['id']}",
                          data={"price": "19.99", "stock": "12", "stock_shown": mug["stock"]},
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.strip().startswith(f'<tr class="variant-row" id="variant-{mug["id"]}"')
    assert 'value="19.99"' in html and 'value="12"' in html and "Saved." in html
    # The product's row (price range, total stock) follows as an out-of-band swap.
    oob = html[html.index(f'<tr class="product-row" id="product-{mug["product_id"]}"'):]
    assert 'hx-swap-oob="true"' in oob and "$19.99" in oob and ">12</td>" in oob
    assert variant_of(app, "CERAMIC-MUG-0") | {} == mug | {"price": 1999, "stock": 12}
    [entry] = audits(app, "variant.updated")
    assert entry.before == {"price_cents": mug["price"], "stock": mug["stock"]}
    assert entry.after == {"price_cents": 1999, "stock": 12}
    assert entry.actor_label == "staff@example.com"
    # Without JavaScript: the same form, a redirect back to the table and a message.
    response = staff.post(f"/admin/variants/{mug['id']}",
                          data={"price": "20", "stock": "12", "next": "/admin/products?q=mug"})
    assert response.status_code == 303 and response.location.endswith("/admin/products?q=mug")
    assert variant_of(app, "CERAMIC-MUG-0")["price"] == 2000
    assert "Saved." in staff.get("/admin/products?q=mug").get_data(as_text=True)


@pytest.mark.parametrize(("price", "stock", "message"), [
    ("12.00", "-1", "Stock cannot be negative."),
    ("abc", "3", "is not an amount"),
    ("1.234", "3", "Use at most 2 decimals."),
    ("12", "2.5", "whole number"),
    ("12", "1000001", "whole number from 0 to 1,000,000"),
])
def test_inline_edit_refuses_bad_values_in_the_row(app, catalog, staff, price, stock, message):
    mug = variant_of(app, "CERAMIC-MUG-0")
    response = staff.post(f"/admin/variants/{mug['id']}", data={"price": price, "stock": stock},
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.strip().startswith(f'<tr class="variant-row has-error" id="variant-{mug["id"]}"')
    assert message.replace("“", "&#34;") in html or message in html
    assert 'aria-invalid="true"' in html and f'value="{price}"' in html
    assert "product-row" not in html
    assert variant_of(app, "CERAMIC-MUG-0") == mug
    assert audits(app, "variant.updated") == []
    plain = staff.post(f"/admin/variants/{mug['id']}", data={"price": price, "stock": stock})
    assert plain.status_code == 303 and variant_of(app, "CERAMIC-MUG-0") == mug


def test_inline_edit_keeps_stock_sold_meanwhile(app, catalog, staff):
    mug = variant_of(app, "CERAMIC-MUG-0")
    with app.app_context():
        db.session.get(Variant, mug["id"]).stock = mug["stock"] - 2  # an order took two
        db.session.commit()
    ok = staff.post(f"/admin/variants/{mug['id']}",
                    data={"price": "30", "stock": mug["stock"], "stock_shown": mug["stock"]},
                    headers={"HX-Request": "true"})
    assert ok.status_code == 200
    assert variant_of(app, "CERAMIC-MUG-0")["stock"] == mug["stock"] - 2
    clash = staff.post(f"/admin/variants/{mug['id']}",
                       data={"price": "30", "stock": "50", "stock_shown": mug["stock"]},
                       headers={"HX-Request": "true"})
    assert clash.status_code == 422 and "changed to" in clash.get_data(as_text=True)


def test_bulk_archive_and_unarchive(app, catalog, staff):
    ids = [variant_of(app, sku)["product_id"] for sku in ("CERAMIC-MUG-0", "LINEN-SHIRT-0")]
    response = staff.post("/admin/products/bulk",
                          data={"action": "archive", "product_ids": [str(i) for i in ids],
                                "next": "/admin/products?archived=yes"})
    assert response.status_code == 303 and response.location.endswith("?archived=yes")
    assert set(names(page_of(staff, "?archived=yes"))) == \
        {"Archived Hoodie", "Ceramic Mug", "Linen Shirt"}
    assert len(audits(app, "product.archived")) == 2
    staff.post("/admin/products/bulk", data={"action": "unarchive", "product_ids": ids[:1]})
    assert len(audits(app, "product.unarchived")) == 1
    assert staff.post("/admin/products/bulk", data={"action": "delete",
                                                    "product_ids": ids}).status_code == 303
    assert one(app, select(func.count()).where(Product.archived.is_(True))) == 2


# --- the product form --------------------------------------------------------------------------


def pick(app, **named) -> dict:
    """Form fields of a variant row choosing values by list name and value text ("" for "—");
    lists and values that do not exist yet are made first."""
    with app.app_context():
        ids = options.values_named(named)
        db.session.commit()
        return {f"option-{list_id}": str(value_id or "") for list_id, value_id in ids.items()}


def label_of(app, sku: str) -> str:
    return one(app, select(Variant.option_label).where(Variant.sku == sku))


def product_form(name="Travel Mug", slug="", category="", rows=(), **extra) -> dict:
    data = {"name": name, "slug": slug, "description": "Keeps tea hot.", "category_id": category}
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"variants-{n}-{key}"] = value
    data.update(extra)
    return data


def two_rows(app) -> list[dict]:
    """Two variant rows of a new product: S / Teal and L / Teal."""
    return [{"sku": "TM-S", **pick(app, Size="S", Colour="Teal"), "price": "18.50", "stock": "4"},
            {"sku": "TM-L", **pick(app, Size="L", Colour="Teal"), "price": "21", "stock": "0"}]


def test_create_a_product_with_two_variants(app, catalog, staff):
    home = one(app, select(Category.id).where(Category.slug == "home"))
    response = staff.post("/admin/products/new",
                          data=product_form(category=str(home), rows=two_rows(app), featured="1"))
    assert response.status_code == 303
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == "travel-mug"))
        assert product.category_id == home and product.featured and not product.archived
        assert [(v.sku, v.option_values, v.option_label, v.price_cents, v.stock, v.position)
                for v in product.variants] == [
            ("TM-S", {"size": "S", "colour": "Teal"}, "S / Teal", 1850, 4, 0),
            ("TM-L", {"size": "L", "colour": "Teal"}, "L / Teal", 2100, 0, 1)]
        assert response.location.endswith(f"/admin/products/{product.id}")
    [entry] = audits(app, "product.created")
    assert entry.after["variant TM-S"] == "S / Teal, 18.50, stock 4"
    page = staff.get(response.location).get_data(as_text=True)
    assert "Travel Mug created." in page and 'value="TM-L"' in page
    # The form shows each variant's values picked in the selects.
    teal = one(app, select(OptionValue.id).where(OptionValue.value == "Teal"))
    assert page.count(f'<option value="{teal}" selected>Teal</option>') == 2


def test_slug_and_sku_clashes_get_messages_and_save_nothing(app, catalog, staff):
    mug_rows = two_rows(app)
    before = one(app, select(func.count()).select_from(Product))
    response = staff.post("/admin/products/new", data=product_form(
        slug="Linen Shirt", rows=[mug_rows[0], {**mug_rows[1], "sku": "ceramic-mug-0"}]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in html
    assert "Another product already uses the slug “linen-shirt”" in html
    assert re.search(r'id="variants-1-sku-error">SKU “CERAMIC-MUG-0” is already used', html)
    assert 'id="variants-0-sku-error"' not in html
    same_twice = staff.post("/admin/products/new", data=product_form(
        rows=[mug_rows[0], {**mug_rows[1], "sku": "TM-S"}])).get_data(as_text=True)
    assert 'id="variants-1-sku-error">SKU “TM-S” is used by another row' in same_twice
    missing = staff.post("/admin/products/new", data=product_form(name="", rows=[
        {"sku": "", "price": "x", "stock": "-3"}]))
    text = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "Enter the name." in text and "Enter the SKU." in text
    assert "Stock cannot be negative." in text
    none = staff.post("/admin/products/new", data=product_form(rows=[]))
    assert none.status_code == 422 and "at least one variant" in none.get_data(as_text=True)
    assert one(app, select(func.count()).select_from(Product)) == before
    assert audits(app) == []


def test_add_variant_row_round_trip_with_and_without_htmx(app, catalog, staff):
    mug_rows = two_rows(app)
    first = product_form(rows=mug_rows[:1], action="add_variant")
    plain = staff.post("/admin/products/new", data=first)
    html = plain.get_data(as_text=True)
    assert plain.status_code == 200 and "<html" in html
    assert 'name="variants-0-sku" value="TM-S"' in html
    assert 'name="variants-1-sku" value=""' in html and 'name="variants-2-sku"' not in html
    swapped = staff.post("/admin/products/new", data=first, headers={"HX-Request": "true"})
    fragment = swapped.get_data(as_text=True)
    assert "<html" not in fragment and fragment.strip().startswith('<form id="product-form"')
    assert 'name="variants-1-sku" value=""' in fragment
    assert one(app, select(func.count()).select_from(Product).where(
        Product.name == "Travel Mug")) == 0
    # A blank added row is ignored on save; the filled one is kept.
    saved = staff.post("/admin/products/new", data=product_form(
        rows=[mug_rows[0], {"sku": "", **pick(app, Size="", Colour=""), "price": "",
                            "stock": ""}],
        action="save"))
    assert saved.status_code == 303
    assert one(app, select(func.count()).select_from(Variant).where(Variant.sku.like("TM-%"))) \
        == 1


def test_edit_a_product_changes_removes_and_adds_variants(app, catalog, staff):
    mug_rows = two_rows(app)
    staff.post("/admin/products/new", data=product_form(rows=mug_rows))
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == "travel-mug"))
        pid, (small, large) = product.id, [v.id for v in product.variants]
    data = product_form(name="Travel Mug 2", slug="travel-mug", rows=[
        {"id": small, **mug_rows[0], "price": "19", "stock_shown": "4"},
        {"id": large, **mug_rows[1], "remove": "1"},
        {"sku": "TM-XL", **pick(app, Size="XL", Colour=""), "price": "25", "stock": "2"},
    ])
    assert staff.post(f"/admin/products/{pid}", data=data).status_code == 303
    with app.app_context():
        product = db.session.get(Product, pid)
        assert product.name == "Travel Mug 2"
        assert [(v.sku, v.option_label, v.price_cents) for v in product.variants] == [
            ("TM-S", "S / Teal", 1900), ("TM-XL", "XL", 2500)]
    [entry] = audits(app, "product.updated")
    assert entry.before["name"] == "Travel Mug" and entry.after["name"] == "Travel Mug 2"
    assert "variant TM-L" in entry.before and "variant TM-L" not in entry.after
    assert entry.after["variant TM-XL"] == "XL, 25.00, stock 2"


def test_deleting_an_ordered_product_archives_it(app, catalog, staff):
    mug = variant_of(app, "CERAMIC-MUG-0")
    bowl = variant_of(app, "STONEWARE-BOWL-0")
    with app.app_context():
        order = Order(number="SH-1", token="tok1", email="a@example.com", ship_name="A",
                      ship_line1="1 St", ship_city="Town", ship_country="US", currency="USD",
                      subtotal_cents=1500, total_cents=1500, reserved_until=datetime.now(UTC))
        order.items.append(OrderItem(variant_id=mug["id"], product_name="Ceramic Mug",
                                     sku="CERAMIC-MUG-0", unit_price_cents=1500, quantity=1,
                                     subtotal_cents=1500, total_cents=1500))
        db.session.add(order)
        db.session.commit()
    response = staff.post(f"/admin/products/{mug['product_id']}/delete")
    assert response.status_code == 303
    assert response.location.endswith(f"/admin/products/{mug['product_id']}")
    with app.app_context():
        assert db.session.get(Product, mug["product_id"]).archived
    assert "archived instead of deleted" in staff.get(response.location).get_data(as_text=True)
    assert len(audits(app, "product.archived")) == 1
    # Removing the ordered variant from the form is refused too.
    gone = staff.post(f"/admin/products/{bowl['product_id']}/delete")
    assert gone.status_code == 303 and gone.location.endswith("/admin/products")
    with app.app_context():
        assert db.session.get(Product, bowl["product_id"]) is None
        assert db.session.get(Variant, bowl["id"]) is None
    assert len(audits(app, "product.deleted")) == 1
    assert staff.post("/admin/products/999999/delete").status_code == 404


def test_an_ordered_variant_cannot_be_removed_from_the_form(app, catalog, staff):
    sneaker = variant_of(app, "CANVAS-SNEAKER-0")
    with app.app_context():
        order = Order(number="SH-2", token="tok2", email="a@example.com", ship_name="A",
                      ship_line1="1 St", ship_city="Town", ship_country="US", currency="USD",
                      subtotal_cents=1, total_cents=1, reserved_until=datetime.now(UTC))
        order.items.append(OrderItem(variant_id=sneaker["id"], product_name="x", sku="x",
                                     unit_price_cents=1, quantity=1, subtotal_cents=1,
                                     total_cents=1))
        db.session.add(order)
        db.session.commit()
        product = db.session.get(Product, sneaker["product_id"])
        rows = [{"id": v.id, "sku": v.sku, "price": "10", "stock": str(v.stock),
                 "remove": "1" if v.id == sneaker["id"] else ""} for v in product.variants]
        rows.append({"sku": "NEW-ONE", "price": "1", "stock": "1"})
    response = staff.post(f"/admin/products/{sneaker['product_id']}",
                          data=product_form(name="Canvas Sneaker", rows=rows))
    assert response.status_code == 422
    assert "has been ordered, so it cannot be removed" in response.get_data(as_text=True)
    assert variant_of(app, "CANVAS-SNEAKER-0") == sneaker


def test_the_form_offers_a_select_per_option_list_with_none_first(app, catalog, staff):
    html = staff.get("/admin/products/new").get_data(as_text=True)
    with app.app_context():
        lists = db.session.scalars(select(OptionList).order_by(OptionList.position)).all()
        size, colour = [(o.id, [(v.id, v.value) for v in o.values]) for o in lists]
    assert '<th scope="col">Size</th><th scope="col">Colour</th>' in html
    select_tag = re.search(rf'<select id="variants-0-option-{size[0]}"[^>]*>(.*?)</select>',
                           html, re.S)
    assert re.findall(r'<option value="(\d*)"', select_tag.group(1)) == \
        [""] + [str(value_id) for value_id, _ in size[1]]
    assert f'name="variants-0-option-{colour[0]}"' in html
    assert 'name="variants-0-size"' not in html and "no options yet" not in html
    assert 'href="/admin/options"' in html


def test_without_option_lists_the_form_says_so_and_links_to_them(app, staff):
    html = staff.get("/admin/products/new").get_data(as_text=True)
    assert "This shop has no options yet" in html
    assert re.search(r'no options yet.*?<a href="/admin/options">Options</a>', html, re.S)
    assert "<select id=\"variants-0-option-" not in html
    saved = staff.post("/admin/products/new", data=product_form(
        rows=[{"sku": "PLAIN-1", "price": "5", "stock": "1"}]))
    assert saved.status_code == 303
    assert label_of(app, "PLAIN-1") == ""


def test_a_value_of_another_list_or_store_is_refused_in_its_row(app, catalog, staff):
    size, colour = pick(app, Size="S"), pick(app, Colour="Red")
    [(size_field, small)], [(colour_field, red)] = size.items(), colour.items()
    with app.app_context():
        corner = create_store("corner", "Corner Shop", ["corner.example.com"]).id
        with tenancy.use_store(corner):
            foreign = options.values_named({"Size": "XS"})
            db.session.commit()
    [(foreign_list, foreign_value)] = foreign.items()
    before = audits(app)
    cases = [({size_field: red}, f"variants-0-{size_field}-error", "values of Size"),
             ({size_field: str(foreign_value)}, f"variants-0-{size_field}-error",
              "values of Size"),
             ({f"option-{foreign_list}": str(foreign_value)}, "variants-0-options-error",
              "no longer one of the shop"),
             ({size_field: "abc"}, f"variants-0-{size_field}-error", "values of Size")]
    for fields, error_id, message in cases:
        response = staff.post("/admin/products/new", data=product_form(
            rows=[{"sku": "ODD-1", **fields, colour_field: red, "price": "5", "stock": "1"}]))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, fields
        assert re.search(rf'id="{error_id}">[^<]*{message}', html), (fields, html[-3000:])
        assert "Nothing was saved" in html
    assert one(app, select(func.count()).select_from(Variant).where(Variant.sku == "ODD-1")) == 0
    assert audits(app) == before
    assert small  # the catalog's own S is a value of Size


def test_two_variants_of_a_product_with_the_same_values_are_refused(app, catalog, staff):
    same = pick(app, Size="M", Colour="Blue")
    rows = [{"sku": "TWIN-1", **same, "price": "5", "stock": "1"},
            {"sku": "TWIN-2", **same, "price": "6", "stock": "1"}]
    response = staff.post("/admin/products/new", data=product_form(rows=rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="variants-1-options-error">Another variant of this product is '
                     r'M / Blue too', html)
    assert 'id="variants-0-options-error"' not in html
    bare = [{"sku": "BARE-1", "price": "5", "stock": "1"},
            {"sku": "BARE-2", "price": "6", "stock": "1"}]
    refused = staff.post("/admin/products/new", data=product_form(rows=bare))
    assert refused.status_code == 422
    assert "has no options either" in refused.get_data(as_text=True)
    # A new row that repeats a stored variant the form does not list is refused too.
    shirt = variant_of(app, "LINEN-SHIRT-0")
    again = staff.post(f"/admin/products/{shirt['product_id']}", data=product_form(
        name="Linen Shirt", slug="linen-shirt",
        rows=[{"sku": "SHIRT-COPY", **pick(app, Size="S", Colour="Red"), "price": "5",
               "stock": "1"}]))
    assert again.status_code == 422 and "is S / Red too" in again.get_data(as_text=True)
    assert one(app, select(func.count()).select_from(Variant).where(
        Variant.sku.in_(["TWIN-1", "BARE-1", "SHIRT-COPY"]))) == 0
    # Different values, or a value against none, are told apart.
    apart = [{"sku": "TWIN-1", **same, "price": "5", "stock": "1"},
             {"sku": "TWIN-2", **pick(app, Size="M", Colour=""), "price": "6", "stock": "1"}]
    assert staff.post("/admin/products/new", data=product_form(rows=apart)).status_code == 303
    assert (label_of(app, "TWIN-1"), label_of(app, "TWIN-2")) == ("M / Blue", "M")


def test_editing_values_on_the_form_and_clearing_one(app, catalog, staff):
    shirt = variant_of(app, "LINEN-SHIRT-0")
    with app.app_context():
        product = db.session.get(Product, shirt["product_id"])
        rows = [{"id": v.id, "sku": v.sku, "price": "10", "stock": str(v.stock),
                 "stock_shown": str(v.stock)} for v in product.variants]
        labels = [v.option_label for v in product.variants]
    assert labels == ["S / Red", "M / Blue", "L / Red"]
    rows[0].update(pick(app, Size="S", Colour=""))
    rows[2].update(pick(app, Size="XL", Colour="Red"))
    response = staff.post(f"/admin/products/{shirt['product_id']}", data=product_form(
        name="Linen Shirt", slug="linen-shirt", rows=rows))
    assert response.status_code == 303
    assert [label_of(app, f"LINEN-SHIRT-{n}") for n in range(3)] == ["S", "M / Blue", "L"][:2] \
        + ["XL / Red"]
    [entry] = audits(app, "product.updated")
    assert entry.before["variant LINEN-SHIRT-0"].startswith("S / Red, ")
    assert entry.after["variant LINEN-SHIRT-0"].startswith("S, ")
    assert entry.after["variant LINEN-SHIRT-2"].startswith("XL / Red, ")


# --- option lists ------------------------------------------------------------------------------


def lists_of(app) -> list[tuple[str, str, list[str]]]:
    """(name, slug, values) of each list of the default store, in order."""
    with app.app_context():
        return [(o.name, o.slug, [v.value for v in o.values]) for o in db.session.scalars(
            select(OptionList).order_by(OptionList.position, OptionList.id))]


def list_id(app, name: str) -> int:
    return one(app, select(OptionList.id).where(OptionList.name == name))


def value_id(app, list_name: str, value: str) -> int:
    return one(app, select(OptionValue.id).join(OptionList).where(
        OptionList.name == list_name, OptionValue.value == value))


HX = {"HX-Request": "true"}


def test_the_options_page_lists_each_list_with_its_values_and_use(app, catalog, staff):
    html = staff.get("/admin/options").get_data(as_text=True)
    assert lists_of(app) == [("Size", "size", ["S", "M", "L"]),
                             ("Colour", "colour", ["Red", "Blue"])]
    assert html.index('id="list-') < html.index(">Colour</h2>")
    assert "<code>?size=</code>" in html and "<code>?colour=</code>" in html
    # Eight products have three variants each: 24 use Size, 16 are Red.
    assert "24 variants use it" in html
    assert re.search(r'value="Red"[^>]*>.*?</form>\s*</td>\s*<td class="num">16</td>', html,
                     re.S)
    assert 'href="/admin/options" aria-current="page"' in html
    assert 'hx-post="/admin/options/new"' in html and 'name="csrf_token"' in html


def test_create_a_list_with_values_with_and_without_htmx(app, catalog, staff):
    made = staff.post("/admin/options/new", data={"name": "  Pack size "})
    assert made.status_code == 303 and made.location.endswith("/admin/options")
    assert "Option Pack size added" in staff.get("/admin/options").get_data(as_text=True)
    pack = list_id(app, "Pack size")
    swapped = staff.post(f"/admin/options/{pack}/values", data={"value": "250 g"}, headers=HX)
    fragment = swapped.get_data(as_text=True)
    assert swapped.status_code == 200 and "<html" not in fragment
    assert fragment.strip().startswith('<div id="option-lists"')
    assert "250 g added to Pack size." in fragment and 'value="250 g"' in fragment
    assert staff.post(f"/admin/options/{pack}/values", data={"value": "1 kg"}).status_code == 303
    assert lists_of(app)[-1] == ("Pack size", "pack-size", ["250 g", "1 kg"])
    [created] = audits(app, "option_list.created")
    assert created.after == {"name": "Pack size", "slug": "pack-size", "position": 2}
    assert created.actor_label == "staff@example.com"
    assert [e.after["value"] for e in audits(app, "option_value.created")] == ["250 g", "1 kg"]
    # The storefront's cached lists are dropped: the catalog knows the new list at once.
    with app.test_request_context():
        assert "pack-size" in options.option_slugs()


@pytest.mark.parametrize(("name", "message"), [
    ("size", "There is already an option called “Size”."),
    ("Colour!", "would share the address name “colour” with the option “Colour”"),
    ("Size ", "There is already an option called “Size”."),
    ("Page", "a word the catalog&#39;s addresses already use"),
    ("sort", "a word the catalog&#39;s addresses already use"),
    ("", "Give the option a name"),
    ("!!!", "at least one letter or digit"),
    ("x" * 41, "at most 40 characters"),
])
def test_a_list_name_that_cannot_be_used_is_refused_at_its_field(app, catalog, staff, name,
                                                                  message):
    before = lists_of(app)
    for headers in ({}, HX):
        response = staff.post("/admin/options/new", data={"name": name}, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        error = re.search(r'<p class="[^"]*field-error" id="new-list-error" role="alert">'
                          r'([^<]*)</p>', html)
        assert error and message in error.group(1), html
        assert 'id="new-list" name="name"' in html and 'aria-invalid="true"' in html
    assert lists_of(app) == before and audits(app) == []


def test_a_slug_shared_with_another_list_is_refused(app, catalog, staff):
    staff.post("/admin/options/new", data={"name": "Pack size"})
    response = staff.post("/admin/options/new", data={"name": "Pack-size"})
    assert response.status_code == 422
    assert "would share the address name “pack-size”" in response.get_data(as_text=True)


def test_renaming_a_list_keeps_its_slug_once_variants_use_it(app, catalog, staff):
    size = list_id(app, "Size")
    response = staff.post(f"/admin/options/{size}", data={"name": "Fit"}, headers=HX)
    assert response.status_code == 200
    assert "Its address name stays “size”." in response.get_data(as_text=True)
    assert lists_of(app)[0][:2] == ("Fit", "size")
    assert label_of(app, "LINEN-SHIRT-0") == "S / Red"
    staff.post("/admin/options/new", data={"name": "Grind"})
    grind = list_id(app, "Grind")
    assert staff.post(f"/admin/options/{grind}", data={"name": "Roast"}).status_code == 303
    assert lists_of(app)[-1][:2] == ("Roast", "roast")
    clash = staff.post(f"/admin/options/{grind}", data={"name": "colour"})
    assert clash.status_code == 422
    assert "There is already an option called “Colour”." in clash.get_data(as_text=True)
    [first, second] = audits(app, "option_list.updated")
    assert (first.before, first.after) == ({"name": "Size", "slug": "size"},
                                           {"name": "Fit", "slug": "size"})
    assert second.after == {"name": "Roast", "slug": "roast"}
    unchanged = staff.post(f"/admin/options/{grind}", data={"name": "Roast"}, headers=HX)
    assert "no change" in unchanged.get_data(as_text=True)
    assert len(audits(app, "option_list.updated")) == 2


def test_renaming_a_value_relabels_the_variants_that_have_it(app, catalog, staff):
    medium = value_id(app, "Size", "M")
    response = staff.post(f"/admin/options/values/{medium}", data={"value": "Medium"},
                          headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Size M is now Medium; 8 variants relabelled." in html
    assert label_of(app, "LINEN-SHIRT-1") == "Medium / Blue"
    assert "Medium / Blue" in page_of(staff, "?q=linen-shirt")
    [entry] = audits(app, "option_value.updated")
    assert (entry.before, entry.after) == ({"option": "Size", "value": "M"},
                                           {"option": "Size", "value": "Medium"})
    for taken in ("s", "L"):
        refused = staff.post(f"/admin/options/values/{medium}", data={"value": taken},
                             headers=HX)
        assert refused.status_code == 422
        assert re.search(rf'id="value-{medium}-error" role="alert">Size already has the value '
                         rf'“{taken.upper()}”', refused.get_data(as_text=True))
    assert lists_of(app)[0][2] == ["S", "Medium", "L"]


def test_moving_a_list_reorders_every_label_and_the_page(app, catalog, staff):
    colour = list_id(app, "Colour")
    response = staff.post(f"/admin/options/{colour}/move", data={"direction": "up"})
    assert response.status_code == 303
    assert [name for name, _, _ in lists_of(app)] == ["Colour", "Size"]
    assert label_of(app, "LINEN-SHIRT-1") == "Blue / M"
    html = staff.get("/admin/options").get_data(as_text=True)
    assert html.index(">Colour</h2>") < html.index(">Size</h2>")
    [entry] = audits(app, "option_list.reordered")
    assert (entry.before, entry.after) == ({"order": ["Size", "Colour"]},
                                           {"order": ["Colour", "Size"]})
    assert "24 variants relabelled" in entry.summary
    # Already first: nothing changes and nothing is audited; a bad direction is refused.
    again = staff.post(f"/admin/options/{colour}/move", data={"direction": "up"}, headers=HX)
    assert again.status_code == 200 and "Colour is already first." in again.get_data(as_text=True)
    assert staff.post(f"/admin/options/{colour}/move",
                      data={"direction": "sideways"}).status_code == 422
    assert len(audits(app, "option_list.reordered")) == 1


def test_moving_a_value_changes_the_order_of_its_list(app, catalog, staff):
    large = value_id(app, "Size", "L")
    assert staff.post(f"/admin/options/values/{large}/move",
                      data={"direction": "up"}).status_code == 303
    assert lists_of(app)[0][2] == ["S", "L", "M"]
    fragment = staff.post(f"/admin/options/values/{large}/move", data={"direction": "up"},
                          headers=HX).get_data(as_text=True)
    assert "L moved up." in fragment and lists_of(app)[0][2] == ["L", "S", "M"]
    assert fragment.index('value="L"') < fragment.index('value="S"')
    # The order of a list's values is not part of a label.
    assert label_of(app, "LINEN-SHIRT-2") == "L / Red"
    assert [e.after["order"] for e in audits(app, "option_value.reordered")] == [
        ["S", "L", "M"], ["L", "S", "M"]]


def test_a_value_in_use_is_kept_and_an_unused_one_is_deleted(app, catalog, staff):
    medium = value_id(app, "Size", "M")
    for headers in ({}, HX):
        refused = staff.post(f"/admin/options/values/{medium}/delete", headers=headers)
        assert refused.status_code == 422
        assert "Size M cannot be deleted: 8 variants have it." in refused.get_data(as_text=True)
    assert lists_of(app)[0][2] == ["S", "M", "L"]
    pick(app, Size="XXL")
    unused = value_id(app, "Size", "XXL")
    gone = staff.post(f"/admin/options/values/{unused}/delete")
    assert gone.status_code == 303
    assert "XXL was removed from Size." in staff.get("/admin/options").get_data(as_text=True)
    assert lists_of(app)[0][2] == ["S", "M", "L"]
    [entry] = audits(app, "option_value.deleted")
    assert entry.before == {"option": "Size", "value": "XXL"} and entry.entity_id == unused
    assert staff.post(f"/admin/options/values/{unused}/delete").status_code == 404


def test_a_list_in_use_is_kept_and_an_unused_one_is_deleted_with_its_values(app, catalog,
                                                                            staff):
    colour = list_id(app, "Colour")
    refused = staff.post(f"/admin/options/{colour}/delete")
    assert refused.status_code == 422
    assert "Colour cannot be deleted: 24 variants use it." in refused.get_data(as_text=True)
    pick(app, Grind="Fine")
    pick(app, Grind="Coarse")
    grind = list_id(app, "Grind")
    assert staff.post(f"/admin/options/{grind}/delete", headers=HX).status_code == 200
    assert [name for name, _, _ in lists_of(app)] == ["Size", "Colour"]
    assert one(app, select(func.count()).select_from(OptionValue).where(
        OptionValue.option_list_id == grind)) == 0
    [entry] = audits(app, "option_list.deleted")
    assert entry.before == {"name": "Grind", "slug": "grind", "values": ["Fine", "Coarse"]}
    assert one(app, select(func.count()).select_from(VariantOption)) == 48


def test_another_stores_lists_and_values_are_not_found(app, catalog, staff):
    with app.app_context():
        corner = create_store("corner", "Corner Shop", ["corner.example.com"]).id
        with tenancy.use_store(corner):
            [(grind, fine)] = options.values_named({"Cornerlist": "Cornervalue"}).items()
            db.session.commit()
    html = staff.get("/admin/options").get_data(as_text=True)
    assert "Cornerlist" not in html and "Cornervalue" not in html
    for url, data in [(f"/admin/options/{grind}", {"name": "Mine"}),
                      (f"/admin/options/{grind}/move", {"direction": "up"}),
                      (f"/admin/options/{grind}/delete", {}),
                      (f"/admin/options/{grind}/values", {"value": "Mine"}),
                      (f"/admin/options/values/{fine}", {"value": "Mine"}),
                      (f"/admin/options/values/{fine}/move", {"direction": "down"}),
                      (f"/admin/options/values/{fine}/delete", {})]:
        for headers in ({}, HX):
            assert staff.post(url, data=data, headers=headers).status_code == 404, url
    with app.app_context(), tenancy.use_store(corner):
        assert [(o.name, [v.value for v in o.values]) for o in db.session.scalars(
            select(OptionList))] == [("Cornerlist", ["Cornervalue"])]
    assert audits(app) == []


def test_customers_and_strangers_cannot_use_the_options_page(app, catalog, client):
    size = list_id(app, "Size")
    assert client.get("/admin/options").status_code == 302
    assert client.post("/admin/options/new", data={"name": "Fit"}).status_code == 302
    with app.app_context():
        make_user("customer@example.com")
    log_in(client, "customer@example.com")
    assert client.get("/admin/options").status_code == 403
    for url, data in [("/admin/options/new", {"name": "Fit"}),
                      (f"/admin/options/{size}", {"name": "Fit"}),
                      (f"/admin/options/{size}/delete", {})]:
        assert client.post(url, data=data).status_code == 403
    assert lists_of(app)[0][0] == "Size" and audits(app) == []


def test_staff_may_manage_options(app, catalog, staff):
    # Lists are catalog data like categories: the shop's staff, not only its admins.
    assert staff.get("/admin/options").status_code == 200
    assert staff.post("/admin/options/new", data={"name": "Fit"}).status_code == 303


# --- pictures ----------------------------------------------------------------------------------


def upload(client, product_id: int, payload: bytes, filename="photo.png", alt="A teal mug"):
    return client.post(f"/admin/products/{product_id}/images",
                       data={"image": (BytesIO(payload), filename), "alt_text": alt},
                       content_type="multipart/form-data")


def files_of(app, file: str) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return [root / f"{file}-{width}.webp" for width in IMAGE_WIDTHS]


def test_a_real_png_is_stored_at_the_web_sizes(app, catalog, staff):
    mug = variant_of(app, "CERAMIC-MUG-0")
    response = upload(staff, mug["product_id"], png_bytes())
    assert response.status_code == 303 and response.location.endswith("#images")
    with app.app_context():
        images = db.session.get(Product, mug["product_id"]).images
        assert [i.alt_text for i in images] == ["Ceramic Mug photo", "A teal mug"]
        new = images[-1]
        assert new.position == 1 and new.file.startswith("products/ceramic-mug-")
        file = new.file
    for path, width in zip(files_of(app, file), IMAGE_WIDTHS, strict=True):
        with Image.open(path) as stored:
            assert stored.format == "WEBP" and stored.width == width
    assert staff.get(f"/media/{file}-400.webp").status_code == 200
    assert audits(app, "product.image_added")[0].after["file"] == file


@pytest.mark.parametrize(("payload", "filename", "alt", "message"), [
    (b"just some text, honestly\n" * 20, "photo.png", "Alt", "not a JPEG, PNG, WebP or GIF"),
    (png_bytes()[:200], "cut.png", "Alt", "not a JPEG, PNG, WebP or GIF"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024), "huge.png", "Alt", "larger than 8 MB"),
    (b"", "empty.png", "Alt", "The file is empty."),
    (b"", "", "Alt", "Choose a picture to upload."),
    (png_bytes(), "photo.png", "", "Enter the alt text."),
])
def test_bad_uploads_are_refused(app, catalog, staff, payload, filename, alt, message):
    mug = variant_of(app, "CERAMIC-MUG-0")
    response = upload(staff, mug["product_id"], payload, filename, alt)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert one(app, select(func.count()).select_from(ProductImage).where(
        ProductImage.product_id == mug["product_id"])) == 1
    assert not list(Path(app.config["MEDIA_ROOT"]).rglob("*.webp"))


@pytest.mark.parametrize("size", [(1, 3000), (3000, 1), (900, 100)])
def test_pictures_of_extreme_shape_are_refused_with_a_message(app, catalog, staff, size):
    mug = variant_of(app, "CERAMIC-MUG-0")
    response = upload(staff, mug["product_id"], png_bytes(size, "RGB"))
    assert response.status_code == 422
    assert f"{size[0]} × {size[1]} pixels: crop it" in response.get_data(as_text=True)
    assert not list(Path(app.config["MEDIA_ROOT"]).rglob("*.webp"))


def test_a_banner_of_extreme_shape_is_refused_with_a_message(app, catalog, staff):
    response = staff.post("/admin/banners/new", data={
        "title": "Thin", "position": "1", "image_alt": "A line",
        "image": (BytesIO(png_bytes((4000, 2), "RGB")), "line.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "4000 × 2 pixels: crop it" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Banner).where(Banner.title == "Thin")) is None


def test_too_many_pixels_are_refused_before_decoding(app, catalog, staff, monkeypatch):
    monkeypatch.setattr(pictures, "MAX_IMAGE_PIXELS", 100 * 100)
    mug = variant_of(app, "CERAMIC-MUG-0")
    response = upload(staff, mug["product_id"], png_bytes((200, 200), "RGB"))
    assert response.status_code == 422 and "200 × 200 pixels" in response.get_data(as_text=True)


def test_pictures_can_be_reordered_relabelled_and_removed(app, catalog, staff):
    mug = variant_of(app, "CERAMIC-MUG-0")
    pid = mug["product_id"]
    upload(staff, pid, png_bytes(), alt="Second")
    upload(staff, pid, png_bytes((640, 640), "RGB"), alt="Third")

    def order():
        with app.app_context():
            return [(i.alt_text, i.position) for i in db.session.get(Product, pid).images]

    with app.app_context():
        ids = [i.id for i in db.session.get(Product, pid).images]
    assert staff.post(f"/admin/products/{pid}/images/{ids[2]}/move",
                      data={"direction": "up"}).status_code == 303
    assert order() == [("Ceramic Mug photo", 0), ("Third", 1), ("Second", 2)]
    staff.post(f"/admin/products/{pid}/images/{ids[2]}/move", data={"direction": "up"})
    staff.post(f"/admin/products/{pid}/images/{ids[2]}/move", data={"direction": "up"})
    assert order()[0] == ("Third", 0)
    assert len(audits(app, "product.images_reordered")) == 2  # the third move changed nothing
    staff.post(f"/admin/products/{pid}/images/{ids[1]}", data={"alt_text": "Side view"})
    assert ("Side view", 2) in order()
    with app.app_context():
        file = db.session.get(ProductImage, ids[1]).file
    assert all(path.exists() for path in files_of(app, file))
    removed = staff.post(f"/admin/products/{pid}/images/{ids[1]}/delete", follow_redirects=True)
    page = removed.get_data(as_text=True)
    top, pictures = page.split('id="images-title"')
    assert "Picture removed." in pictures and "Picture removed." not in top
    assert not any(path.exists() for path in files_of(app, file))
    assert [alt for alt, _ in order()] == ["Third", "Ceramic Mug photo"]
    assert len(audits(app, "product.image_deleted")) == 1
    other = variant_of(app, "LINEN-SHIRT-0")["product_id"]
    assert staff.post(f"/admin/products/{other}/images/{ids[0]}/delete").status_code == 404


# --- categories and banners ----------------------------------------------------------------------


def test_categories_crud_and_a_category_with_products_is_kept(app, catalog, staff):
    listing = staff.get("/admin/categories").get_data(as_text=True)
    assert "Tops" in listing and "Shoes" in listing
    shoes = one(app, select(Category.id).where(Category.slug == "shoes"))
    refused = staff.post(f"/admin/categories/{shoes}/delete", follow_redirects=True)
    assert "Shoes holds 10 products" in refused.get_data(as_text=True)
    assert one(app, select(Category.id).where(Category.slug == "shoes")) == shoes
    clash = staff.post("/admin/categories/new", data={"name": "Shoes", "position": "4"})
    assert clash.status_code == 422 and "already uses the slug" in clash.get_data(as_text=True)
    bad = staff.post("/admin/categories/new", data={"name": "", "position": "-1"})
    assert bad.status_code == 422 and "Enter the name." in bad.get_data(as_text=True)
    made = staff.post("/admin/categories/new", data={"name": "Garden Tools", "position": "4"})
    assert made.status_code == 303
    garden = one(app, select(Category.id).where(Category.slug == "garden-tools"))
    staff.post(f"/admin/categories/{garden}", data={"name": "Garden", "slug": "garden",
                                                    "position": "5"})
    assert one(app, select(Category.name).where(Category.id == garden)) == "Garden"
    assert staff.post(f"/admin/categories/{garden}/delete").status_code == 303
    assert one(app, select(Category.id).where(Category.id == garden)) is None
    assert [e.action for e in audits(app)] == ["category.created", "category.updated",
                                               "category.deleted"]


@pytest.mark.parametrize("link", ["javascript:alert(1)", " JavaScript:alert(1)", "//evil.example",
                                  "data:text/html,hi", "products", "/\t/evil.example"])
def test_banner_links_must_be_paths_or_http(app, catalog, staff, link):
    response = staff.post("/admin/banners/new", data={"title": "Sale", "link_url": link,
                                                      "position": "0", "active": "1"})
    assert response.status_code == 422
    assert "starts with /" in response.get_data(as_text=True)
    assert one(app, select(func.count()).select_from(Banner)) == 2


def test_banners_crud_with_a_picture(app, catalog, staff):
    assert "Spring sale" in staff.get("/admin/banners").get_data(as_text=True)
    response = staff.post("/admin/banners/new", data={
        "title": "Autumn", "text": "New coats", "link_url": "/products?category=tops",
        "link_label": "Shop coats", "position": "2", "active": "1", "featured": "1",
        "image_alt": "Coats",
        "image": (BytesIO(png_bytes((1600, 640), "RGB")), "autumn.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        banner = db.session.scalar(select(Banner).where(Banner.title == "Autumn"))
        banner_id, image = banner.id, banner.image
        assert banner.link_url == "/products?category=tops" and banner.active
    assert all(path.exists() for path in files_of(app, image))
    assert "<h2>Autumn</h2>" in staff.get("/").get_data(as_text=True)
    text_file = staff.post(f"/admin/banners/{banner_id}", data={
        "title": "Autumn", "position": "2", "image": (BytesIO(b"hello"), "x.gif")},
        content_type="multipart/form-data")
    assert text_file.status_code == 422 and "not a JPEG" in text_file.get_data(as_text=True)
    https = staff.post(f"/admin/banners/{banner_id}", data={
        "title": "Autumn", "position": "2", "link_url": "https://example.com/a", "active": ""})
    assert https.status_code == 303
    assert "<h2>Autumn</h2>" not in staff.get("/").get_data(as_text=True)
    assert staff.post(f"/admin/banners/{banner_id}/delete").status_code == 303
    assert not any(path.exists() for path in files_of(app, image))
    assert [e.action for e in audits(app)] == ["banner.created", "banner.updated",
                                               "banner.deleted"]


# --- access and CSRF ---------------------------------------------------------------------------


def test_customers_cannot_use_the_catalog_admin(app, catalog, client):
    with app.app_context():
        make_user("customer@example.com")
    log_in(client, "customer@example.com")
    mug = variant_of(app, "CERAMIC-MUG-0")
    assert client.get("/admin/products").status_code == 403
    assert client.post(f"/admin/variants/{mug['id']}",
                       data={"price": "1", "stock": "1"}).status_code == 403
    assert variant_of(app, "CERAMIC-MUG-0") == mug


def test_the_admin_nav_links_the_catalog_pages(catalog, staff):
    html = staff.get("/admin/products").get_data(as_text=True)
    for url in ("/admin/products", "/admin/categories", "/admin/options", "/admin/banners"):
        assert f'href="{url}"' in html


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_posts_need_the_csrf_token(app, catalog, client):
    with app.app_context():
        make_user("staff@example.com", role="staff")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                      client.get("/account/login").get_data(as_text=True)).group(1)
    client.post("/account/login", data={"email": "staff@example.com", "password": PASSWORD,
                                         "csrf_token": token})
    mug = variant_of(app, "CERAMIC-MUG-0")
    page = client.get("/admin/products?q=mug").get_data(as_text=True)
    refused = client.post(f"/admin/variants/{mug['id']}", data={"price": "1", "stock": "1"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert client.post("/admin/products/new", data=product_form(rows=two_rows(app))) \
        .status_code == 400
    assert variant_of(app, "CERAMIC-MUG-0") == mug
    size = list_id(app, "Size")
    for url, data in [("/admin/options/new", {"name": "Fit"}),
                      (f"/admin/options/{size}", {"name": "Fit"}),
                      (f"/admin/options/{size}/move", {"direction": "down"}),
                      (f"/admin/options/{size}/values", {"value": "XL"}),
                      (f"/admin/options/values/{value_id(app, 'Size', 'S')}/delete", {})]:
        assert client.post(url, data=data).status_code == 400
        assert client.post(url, data=data, headers={"HX-Request": "true"}).status_code == 400
    assert lists_of(app)[0] == ("Size", "size", ["S", "M", "L"])
    header = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    ok = client.post(f"/admin/variants/{mug['id']}", data={"price": "1", "stock": "1"},
                     headers={"HX-Request": "true", "X-CSRFToken": header})
    assert ok.status_code == 200 and variant_of(app, "CERAMIC-MUG-0")["price"] == 100
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    plain = client.post(f"/admin/variants/{mug['id']}",
                        data={"price": "2", "stock": "1", "csrf_token": form_token})
    assert plain.status_code == 303 and variant_of(app, "CERAMIC-MUG-0")["price"] == 200
    options_page = client.get("/admin/options").get_data(as_text=True)
    assert 'hx-post="/admin/options/new"' in options_page
    moved = client.post(f"/admin/options/{size}/move", data={"direction": "down"},
                        headers={"HX-Request": "true", "X-CSRFToken": header})
    assert moved.status_code == 200 and lists_of(app)[0][0] == "Colour"

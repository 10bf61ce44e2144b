"""A small catalog with known values, and the plain-Python answers the tests expect from it."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shophub.catalog import options
from shophub.catalog.options import set_named_values
from shophub.extensions import db
from shophub.models import Banner, Category, Product, ProductImage, Variant

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)

CATEGORIES = [("Tops", "tops", 1), ("Shoes", "shoes", 2), ("Home", "home", 3)]

NAMES = [
    "Linen Shirt", "Canvas Sneaker", "Ceramic Mug", "Wool Sweater", "Trail Runner",
    "Oak Cutting Board", "Cotton Tee", "Leather Boot", "Linen Napkins", "Denim Jacket",
    "Rain Boot", "Glass Carafe", "Silk Scarf", "Court Shoe", "Cast Iron Pan",
    "Hooded Parka", "Slip-on Loafer", "Stoneware Bowl", "Polo Shirt", "Hiking Boot",
    "Table Lamp", "Rugby Top", "Dance Flat", "Bread Knife", "Archived Hoodie",
    "Striped Tee", "Felt Slipper", "Olive Oil Cruet", "Fleece Vest", "100% Cotton Socks",
]


def product_specs() -> list[dict]:
    """The products as plain dicts: what the database is filled with."""
    specs = []
    for i, name in enumerate(NAMES):
        category = CATEGORIES[i % 3][1]
        base = 1000 + i * 250
        if i % 4 == 0:
            variants = [
                {"size": size, "colour": colour, "price": base + extra, "stock": stock}
                for (size, extra), (colour, stock) in zip(
                    [("S", 0), ("M", 0), ("L", 300)],
                    [("Red", 0 if i % 8 == 0 else 3), ("Blue", 4), ("Red", 0)], strict=True,
                )
            ]
        else:
            stock = 0 if i % 5 == 0 else 7
            variants = [{"size": None, "colour": None, "price": base, "stock": stock}]
        specs.append({
            "name": name,
            "slug": name.lower().replace(" ", "-").replace("%", ""),
            "description": f"A {name.lower()} made to last." + (" Washable." if i % 3 == 0 else ""),
            "category": category,
            "featured": i % 6 == 1,
            "archived": name.startswith("Archived"),
            "created_at": BASE_TIME + timedelta(hours=i),
            "variants": variants,
        })
    return specs


def give_options(variant: Variant, **values: str | None) -> None:
    """Give a variant values by list name (Size="M"); lists and values are made as needed.

    None leaves a list out. The lists are made in the order first named: Size, then Colour.
    """
    named = {name: value for name, value in values.items() if value}
    if named:
        set_named_values(variant, named)


def insert_catalog() -> None:
    """Fill the database with the categories, products and one banner."""
    categories = {
        slug: Category(name=name, slug=slug, description=f"All {name.lower()}", position=position)
        for name, slug, position in CATEGORIES
    }
    db.session.add_all(categories.values())
    for spec in product_specs():
        product = Product(
            name=spec["name"], slug=spec["slug"], description=spec["description"],
            category=categories[spec["category"]], featured=spec["featured"],
            archived=spec["archived"], created_at=spec["created_at"],
            updated_at=spec["created_at"],
        )
        db.session.add(product)
        for position, v in enumerate(spec["variants"]):
            variant = Variant(sku=f"{spec['slug']}-{position}".upper(), price_cents=v["price"],
                              stock=v["stock"], position=position)
            product.variants.append(variant)
            give_options(variant, Size=v["size"], Colour=v["colour"])
        product.images.append(ProductImage(file=f"products/{spec['slug']}-1",
                                           alt_text=f"{spec['name']} photo", position=0))
    db.session.add(Banner(title="Spring sale", text="Up to 30% off", link_url="/products",
                          link_label="Shop the sale", active=True, featured=True, position=0))
    db.session.add(Banner(title="Hidden banner", active=False, position=1))
    db.session.commit()


def add_material_products() -> None:
    """A third option list, Material (Wool, Linen, Cotton, Silk), on two products of Home.

    The throw has Wool (in stock) and Linen (sold out) at M; the tee is M in Cotton. No product
    has Silk. Needs an app context.
    """
    home = db.session.scalar(select(Category).where(Category.slug == "home"))
    throw = Product(name="Throw Blanket", slug="throw-blanket", category=home,
                    description="A throw.")
    db.session.add(throw)
    for position, (material, stock) in enumerate([("Wool", 2), ("Linen", 0)]):
        variant = Variant(sku=f"THROW-{position}", price_cents=4000 + position * 500,
                          stock=stock, position=position)
        throw.variants.append(variant)
        set_named_values(variant, {"Size": "M", "Material": material})
    tee = Product(name="Plain Tee", slug="plain-tee", category=home, description="A tee.")
    db.session.add(tee)
    variant = Variant(sku="PLAIN-TEE-M", price_cents=1500, stock=5)
    tee.variants.append(variant)
    set_named_values(variant, {"Size": "M", "Material": "Cotton"})
    options.values_named({"Material": "Silk"})
    db.session.commit()
    options.forget_cached_options()


def expected_slugs(
    q="", category=None, min_price=None, max_price=None, in_stock=False, sizes=(), colours=(),
    sort="newest",
) -> list[str]:
    """What the catalog should list, worked out in plain Python from the specs."""
    rows = []
    for spec in product_specs():
        if spec["archived"]:
            continue
        if category and spec["category"] != category:
            continue
        text = (spec["name"] + " " + spec["description"]).lower()
        if any(term.lower() not in text for term in q.split()):
            continue
        variants = [
            v for v in spec["variants"]
            if (min_price is None or v["price"] >= min_price)
            and (max_price is None or v["price"] <= max_price)
            and (not in_stock or v["stock"] > 0)
            and (not sizes or v["size"] in sizes)
            and (not colours or v["colour"] in colours)
        ]
        if not variants:
            continue
        rows.append((spec, min(v["price"] for v in variants)))
    index = {spec["slug"]: i for i, spec in enumerate(product_specs())}
    keys = {
        "newest": lambda r: (-r[0]["created_at"].timestamp(), -index[r[0]["slug"]]),
        "price_asc": lambda r: (r[1], index[r[0]["slug"]]),
        "price_desc": lambda r: (-r[1], -index[r[0]["slug"]]),
        "name": lambda r: (r[0]["name"].lower(), index[r[0]["slug"]]),
    }
    return [spec["slug"] for spec, _ in sorted(rows, key=keys[sort])]

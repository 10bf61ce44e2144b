"""The demo shop's catalog as plain data: fixed lists, so every run builds the same shop."""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from slugify import slugify

BASE_TIME = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
APPAREL_SIZES = [("S", 0), ("M", 0), ("L", 0), ("XL", 200)]
SHOE_SIZES = [("40", 0), ("41", 0), ("42", 0), ("43", 0), ("44", 0)]


@dataclass(frozen=True)
class DemoVariant:
    """One variant of a demo product, with its values of the shop's option lists."""

    sku: str
    options: tuple[tuple[str, str], ...]  # (option list name, value)
    price_cents: int
    stock: int


@dataclass(frozen=True)
class DemoProduct:
    """A demo product with its variants."""

    name: str
    slug: str
    category_slug: str
    description: str
    featured: bool
    created_at: datetime
    variants: list[DemoVariant] = field(default_factory=list)
    image_count: int = 1


# (name, description, sizes, [(product name, price in cents, colours or None)]): sizes and
# colours are the values of the shop's two option lists (DemoShop.option_names).
CATEGORIES = [
    ("Apparel", "Everyday clothes in natural fibres, cut to last for years.", APPAREL_SIZES, [
        ("Linen Shirt", 5900, ["Sand", "Navy", "White"]),
        ("Organic Cotton Tee", 2400, ["Black", "White", "Olive"]),
        ("Merino Crew Sweater", 8900, ["Charcoal", "Oat"]),
        ("Denim Chore Jacket", 11900, ["Indigo"]),
        ("Relaxed Chinos", 6900, ["Sand", "Olive", "Navy"]),
        ("Hooded Rain Parka", 14900, ["Olive", "Black"]),
        ("Striped Breton Top", 4200, ["Navy"]),
        ("Flannel Overshirt", 6400, ["Rust", "Navy"]),
        ("Fleece Zip Vest", 5200, ["Charcoal"]),
        ("Wool Beanie", 2200, None),
        ("Cotton Socks, 3 Pairs", 1500, None),
    ]),
    ("Shoes", "Shoes and boots made on proper lasts, resoleable where it counts.", SHOE_SIZES, [
        ("Canvas Sneaker", 6500, ["White", "Navy"]),
        ("Leather Derby", 15900, ["Brown", "Black"]),
        ("Trail Runner", 12900, ["Olive"]),
        ("Chelsea Boot", 17900, ["Brown"]),
        ("Suede Loafer", 11900, ["Sand"]),
        ("Rain Boot", 7900, ["Black"]),
        ("Felt Slipper", 4500, None),
        ("Leather Sandal", 6900, None),
        ("Waxed Shoelaces", 600, None),
        ("Cedar Shoe Trees", 2900, None),
        ("Shoe Care Kit", 3400, None),
    ]),
    ("Home & Kitchen", "Tableware and tools for a kitchen that gets used every day.", None, [
        ("Stoneware Mug", 1800, None), ("Stoneware Dinner Plate", 2600, None),
        ("Linen Tea Towel", 1200, None), ("Oak Cutting Board", 4800, None),
        ("Cast Iron Skillet", 5900, None), ("Glass Water Carafe", 2900, None),
        ("Enamel Pie Dish", 2200, None), ("Olive Wood Spoon Set", 2500, None),
        ("Ceramic Pour-over", 3600, None), ("Beeswax Candle Pair", 1900, None),
        ("Wool Throw Blanket", 9800, None),
    ]),
    ("Outdoor", "Kit for long walks, cold mornings and nights under canvas.", None, [
        ("Insulated Bottle", 3200, None), ("Canvas Day Pack", 8900, None),
        ("Camp Enamel Mug", 1400, None), ("Folding Camp Stool", 4200, None),
        ("Headlamp", 3800, None), ("Wool Hiking Socks", 1900, None),
        ("Picnic Blanket", 5400, None), ("Trail Map Case", 1600, None),
        ("Pocket Knife", 4600, None), ("Merino Neck Gaiter", 2400, None),
        ("Lightweight Tarp", 7200, None),
    ]),
    ("Books & Stationery", "Notebooks, pens and a few good books to go with them.", None, [
        ("Dot Grid Notebook", 1800, None), ("Brass Ballpoint Pen", 3400, None),
        ("Linen Sketchbook", 2600, None), ("Fountain Pen Ink", 1500, None),
        ("Field Notes, 3 Pack", 1200, None), ("Desk Planner", 2800, None),
        ("Pencil Set", 900, None), ("Letterpress Cards", 1600, None),
        ("The Slow Kitchen (book)", 3200, None), ("Walks of the Coast (book)", 2700, None),
        ("Leather Bookmark", 800, None),
    ]),
    ("Accessories", "Small things made well: bags, belts and everyday carry.", None, [
        ("Waxed Canvas Tote", 6800, None), ("Leather Belt", 5400, None),
        ("Card Wallet", 3900, None), ("Wool Scarf", 4900, None),
        ("Canvas Cap", 2800, None), ("Key Ring", 1400, None),
        ("Sunglasses", 8900, None), ("Umbrella", 4200, None),
        ("Watch Strap", 3200, None), ("Leather Gloves", 7400, None),
        ("Silk Pocket Square", 2900, None),
    ]),
]

FEATURES = {
    "apparel": "Cut for an easy fit and washed soft before it ships.",
    "shoes": "Built on a comfortable last with a grippy, replaceable sole.",
    "home-kitchen": "Made in small batches and safe for everyday use.",
    "outdoor": "Tested on long days outside and light enough to take everywhere.",
    "books-stationery": "Printed and bound to last, on paper that takes ink well.",
    "accessories": "Finished by hand with materials that age gracefully.",
    "coffee": "Roasted in small batches every week and packed the same day.",
    "brewing": "Simple tools that make a better cup every morning.",
}

# The second demo store, priced in euros: a small coffee roaster at second.localhost.
COFFEE_GRINDS = ["Whole bean", "Filter", "Espresso"]
SECOND_CATEGORIES = [
    ("Coffee", "Single-origin beans and house blends, whole bean or ground to order.",
     [("250 g", 0), ("1 kg", 2900)], [
        ("Ethiopia Yirgacheffe Beans", 1450, COFFEE_GRINDS),
        ("Colombia Huila Beans", 1290, COFFEE_GRINDS),
        ("House Espresso Blend", 1190, ["Whole bean", "Espresso"]),
        ("Decaf Swiss Water Beans", 1350, COFFEE_GRINDS),
    ]),
    ("Brewing", "Kettles, drippers and grinders for brewing at home.", None, [
        ("Gooseneck Kettle", 5900, None), ("Porcelain Dripper", 2400, None),
        ("Hand Burr Grinder", 8900, None), ("Paper Filters, 100", 650, None),
    ]),
]


def _variants(rng: random.Random, slug: str, price: int, colours, sizes,
              option_names: tuple[str, str]) -> list[DemoVariant]:
    sku_base = slug.upper()[:40]
    if not colours and not sizes:
        return [DemoVariant(f"{sku_base}", (), price, rng.choice([3, 12, 25, 40, 60]))]
    combos = [(size, extra, colour) for colour in (colours or [None]) for size, extra in sizes]
    size_name, colour_name = option_names
    return [
        DemoVariant(
            sku=f"{sku_base}-{size.replace(' ', '').upper()}-{(colour or '')[:3].upper()}"
            .rstrip("-"),
            options=((size_name, size),) + (((colour_name, colour),) if colour else ()),
            price_cents=price + extra,
            stock=rng.choice([0, 2, 4, 8, 15, 20]),
        )
        for size, extra, colour in combos
    ]


def demo_products(categories: list = CATEGORIES,
                  option_names: tuple[str, str] = ("Size", "Colour")) -> list[DemoProduct]:
    """Every demo product, in the same order and with the same values on every call."""
    rng = random.Random(2026)
    products: list[DemoProduct] = []
    index = 0
    for category_index, (category_name, _, sizes, items) in enumerate(categories):
        category_slug = slugify(category_name)
        for position, (name, price, colours) in enumerate(items):
            slug = slugify(name)
            uses_sizes = sizes if colours else None
            variants = _variants(rng, slug, price, colours, uses_sizes, option_names)
            if index % 9 == 4:
                variants = [DemoVariant(v.sku, v.options, v.price_cents, 0) for v in variants]
            products.append(DemoProduct(
                name=name,
                slug=slug,
                category_slug=category_slug,
                description=(
                    f"{name}: {FEATURES[category_slug]} "
                    f"Part of our {category_name.lower()} range, chosen for quality and value.\n\n"
                    "Ships within two working days. Free returns within 30 days."
                ),
                featured=(position in (0, 3) and len(products) % 2 == 0) or position == 1,
                # Interleave categories so that "newest first" mixes the shelves.
                created_at=BASE_TIME - timedelta(
                    hours=3 * (position * len(categories) + category_index)
                ),
                variants=variants,
                image_count=2 if colours else 1,
            ))
            index += 1
    return products


def demo_categories(categories: list = CATEGORIES) -> list[tuple[str, str, str, int]]:
    """(name, slug, description, position) of every demo category."""
    return [(name, slugify(name), text, i) for i, (name, text, _, _) in enumerate(categories)]


# Billboards: (title, text, link, link label, position, category slug or None, featured).
# The featured ones lead to a category from the home page; the others show on their
# category's page and lead further in.
DEMO_BANNERS = [
    ("New season linen", "Light shirts and trousers in washed linen, made for warm days.",
     "/products?category=apparel", "Shop apparel", 0, None, True),
    ("Boots that last", "Resoleable leather boots and shoes.",
     "/products?category=shoes", "Shop shoes", 1, None, True),
    ("For the kitchen", "Stoneware, cast iron and oak for everyday cooking.",
     "/products?category=home-kitchen", "Shop the kitchen", 2, None, True),
    ("Ready for rain", "A hooded parka with taped seams, and boots to go with it.",
     "/products/hooded-rain-parka", "See the parka", 3, "apparel", False),
    ("Keep them going", "Shoe trees, laces and a care kit for leather that lasts decades.",
     "/products/shoe-care-kit", "See the care kit", 4, "shoes", False),
]

SECOND_BANNERS = [
    ("Fresh from the roaster", "Beans roasted this week, sent the day they are packed.",
     "/products?category=coffee", "Shop coffee", 0, None, True),
]

DEMO_SHIPPING = [
    # name, description, price, free over, position
    ("Standard", "3–5 working days", 495, 7500, 0),
    ("Express", "Next working day", 1495, None, 1),
]
DEMO_COUPONS = [
    # code, description, kind, value, minimum subtotal
    ("WELCOME10", "10% off your first order", "percent", 10, 0),
    ("FREESHIP", "Free shipping on orders over $40", "free_shipping", 0, 4000),
    ("SAVE5", "$5 off orders over $50", "fixed", 500, 5000),
]
SECOND_SHIPPING = [("Standard", "2–4 working days", 390, 3500, 0)]
SECOND_COUPONS = [("FIRSTCUP", "15% off your first order", "percent", 15, 0)]


@dataclass(frozen=True)
class DemoShop:
    """Everything one demo store is seeded with."""

    categories: list
    banners: list
    shipping: list
    coupons: list
    tax_rate_bp: int
    # The names of the two option lists the categories' sizes and colours belong to.
    option_names: tuple[str, str] = ("Size", "Colour")


MAIN_SHOP = DemoShop(CATEGORIES, DEMO_BANNERS, DEMO_SHIPPING, DEMO_COUPONS, tax_rate_bp=800)
SECOND_SHOP = DemoShop(SECOND_CATEGORIES, SECOND_BANNERS, SECOND_SHIPPING, SECOND_COUPONS,
                       tax_rate_bp=2000, option_names=("Weight", "Grind"))
# The second store of the demo installation: (slug, name, currency).
SECOND_STORE = ("second", "Harbour Coffee Roasters", "EUR")

"""Reviews from verified buyers: only the buyer of a delivered order reviews, once per line; staff
publish, hide and reply, audited; only published reviews are shown and counted."""

import json
import re

import pytest
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import AuditEntry, Order, Product, Review, Store, Variant
from shophub.orders import service as orders
from shophub.payments import provider
from shophub.payments.flow import ensure_intent
from shophub.platform import tenancy
from shophub.reviews import service as reviews
from tests.checkout_data import SUCCEEDS, count_rows, make_method, outbox, page, place_from_cart
from tests.shop_data import log_in, make_user

GOOD = {"rating": "4", "title": "Lovely teapot", "body": "Pours well.\n\nKeeps warm.",
        "author_name": "Ann B."}


def _catalog() -> tuple[int, list[int]]:
    """A product with two variants; its id and the variants' ids."""
    product = Product(name="Glaze Teapot", slug="glaze-teapot", description="Pours tea.")
    variants = [Variant(product=product, sku=f"TEA-{n}", price_cents=2500, stock=20,
                        position=n) for n in range(2)]
    db.session.add_all([product, *variants])
    db.session.commit()
    return product.id, [variant.id for variant in variants]


def _order(variant_ids: list[int], *, status: str = "delivered", email: str = "ann@example.com",
           user_id: int | None = None) -> Order:
    """A paid order of one unit of each variant, taken as far as `status`."""
    order = place_from_cart([(v, 1) for v in variant_ids], make_method(), email=email,
                            user_id=user_id)
    intent = provider().confirm(ensure_intent(order).id, SUCCEEDS)
    db.session.commit()
    assert orders.mark_paid(order.id, intent, "test") == orders.PAID_NOW
    if status in ("shipped", "delivered"):
        orders.ship(order.id, "Post", "T-1")
    if status == "delivered":
        orders.deliver(order.id)
    return db.session.get(Order, order.id)


@pytest.fixture
def shop(app):
    """A product, and a guest's delivered order of both its variants."""
    with app.app_context():
        product_id, variant_ids = _catalog()
        order = _order(variant_ids)
        return {"product": product_id, "variants": variant_ids, "token": order.token,
                "order": order.id, "lines": [item.id for item in order.items]}


def _reviews() -> list[Review]:
    return list(db.session.scalars(select(Review).order_by(Review.id)))


def _review_count(app) -> int:
    with app.app_context():
        return count_rows(Review)


def _publish_all(app) -> None:
    with app.app_context():
        for review in _reviews():
            reviews.publish(review.id)


@pytest.fixture
def staff(app):
    """A staff member's signed-in client."""
    with app.app_context():
        make_user("staff@example.com", role="staff")
    client = app.test_client()
    log_in(client, "staff@example.com")
    return client


# --- who may review ----------------------------------------------------------------------------

def test_a_guest_reviews_through_the_order_token_and_the_review_waits(app, client, shop):
    listing = client.get(f"/orders/{shop['token']}/reviews")
    assert listing.status_code == 200
    write_url = f"/orders/{shop['token']}/reviews/{shop['lines'][0]}"
    assert write_url in page(listing)
    form = client.get(write_url)
    assert form.status_code == 200 and 'value="Ann B."' in page(form)  # signed "Ann B." at first
    sent = client.post(write_url, data=GOOD)
    assert sent.status_code == 303
    assert "once the shop has read it" in page(client.get(sent.headers["Location"]))
    with app.app_context():
        (review,) = _reviews()
        assert (review.rating, review.title, review.status, review.product_id) == (
            4, "Lovely teapot", "pending", shop["product"])
        assert review.body == "Pours well.\n\nKeeps warm."
        assert db.session.get(Product, shop["product"]).rating_count == 0
    assert "Lovely teapot" not in page(client.get("/products/glaze-teapot"))


def test_the_delivered_mail_invites_the_review_with_its_link(app, shop):
    (mail,) = [m for m in outbox(app) if "has arrived" in m["Subject"]]
    text = mail.get_body(("plain",)).get_content()
    assert f"/orders/{shop['token']}/reviews" in text
    assert f"/orders/{shop['token']}/reviews" in mail.get_body(("html",)).get_content()


def test_the_order_page_links_to_the_reviews_once_delivered(app, client, shop):
    assert f"/orders/{shop['token']}/reviews" in page(client.get(f"/orders/{shop['token']}"))
    with app.app_context():
        shipped_token = _order(shop["variants"], status="shipped").token
    assert "/reviews" not in page(client.get(f"/orders/{shipped_token}"))


def test_an_account_buyer_reviews_from_their_orders_and_nobody_else_can(app, client):
    with app.app_context():
        buyer = make_user("buyer@example.com")
        make_user("other@example.com")
        _, variant_ids = _catalog()
        order = _order(variant_ids, email="buyer@example.com", user_id=buyer)
        order_id, line = order.id, order.items[1].id
    path = f"/account/orders/{order_id}/reviews"
    assert client.get(path).status_code == 302  # strangers log in first
    log_in(client, "other@example.com")
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/{line}", data=GOOD).status_code == 404
    assert _review_count(app) == 0
    client.post("/account/logout")
    log_in(client, "buyer@example.com")
    assert path in page(client.get("/account/orders"))
    assert f"{path}/{line}" in page(client.get(path))
    assert client.post(f"{path}/{line}", data=GOOD).status_code == 303
    with app.app_context():
        (review,) = _reviews()
        assert review.order_item_id == line and review.order_id == order_id


def test_a_visitor_who_did_not_buy_cannot_review(app, client, shop):
    with app.app_context():
        other = _order(shop["variants"], email="bob@example.com")
        other_token, other_line = other.token, other.items[0].id
    line = shop["lines"][0]
    # A made-up token, another order's line under this token, and this line under another's.
    assert client.get(f"/orders/{'x' * 43}/reviews").status_code == 404
    assert client.post(f"/orders/{'x' * 43}/reviews/{line}", data=GOOD).status_code == 404
    assert client.post(f"/orders/{other_token}/reviews/{line}", data=GOOD).status_code == 404
    assert client.post(f"/orders/{shop['token']}/reviews/{other_line}",
                       data=GOOD).status_code == 404
    assert _review_count(app) == 0


def test_an_order_not_delivered_yet_cannot_be_reviewed(app, client, shop):
    with app.app_context():
        shipped = _order(shop["variants"], status="shipped")
        path = f"/orders/{shipped.token}/reviews/{shipped.items[0].id}"
    shown = client.get(path)
    assert shown.status_code == 403 and "once the order has been delivered" in page(shown)
    refused = client.post(path, data=GOOD)
    assert refused.status_code == 403 and "once the order has been delivered" in page(refused)
    assert _review_count(app) == 0


def test_another_stores_order_is_not_found_on_this_stores_host(app, shop):
    created = app.test_cli_runner().invoke(args=[
        "shophub", "create-store", "bee", "--name", "Bee Shop", "--domain", "bee.example.com"])
    assert created.exit_code == 0, created.output
    other_host = app.test_client()
    path = f"/orders/{shop['token']}/reviews"
    env = {"HTTP_HOST": "bee.example.com"}
    assert other_host.get(path, environ_overrides=env).status_code == 404
    answer = other_host.post(f"{path}/{shop['lines'][0]}", data=GOOD, environ_overrides=env)
    assert answer.status_code == 404
    assert _review_count(app) == 0


def test_a_line_is_reviewed_once(app, client, shop):
    path = f"/orders/{shop['token']}/reviews/{shop['lines'][0]}"
    assert client.post(path, data=GOOD).status_code == 303
    again = client.post(path, data={**GOOD, "title": "Second go"})
    assert again.status_code == 409 and "already reviewed" in page(again)
    with app.app_context():
        assert [r.title for r in _reviews()] == ["Lovely teapot"]
    # The other line of the order still takes its own review.
    assert client.post(f"/orders/{shop['token']}/reviews/{shop['lines'][1]}",
                       data=GOOD).status_code == 303
    assert _review_count(app) == 2


@pytest.mark.parametrize(("changed", "message"), [
    ({"rating": "0"}, "Choose a rating from 1 to 5 stars."),
    ({"rating": "6"}, "Choose a rating from 1 to 5 stars."),
    ({"rating": "x"}, "Choose a rating from 1 to 5 stars."),
    ({"rating": None}, "Choose a rating from 1 to 5 stars."),
    ({"title": "   "}, "Give the review a title."),
    ({"title": "t" * 121}, "At most 120 characters, please."),
    ({"body": "b" * 2001}, "At most 2,000 characters, please."),
    ({"author_name": "n" * 61}, "At most 60 characters, please."),
])
def test_bad_input_is_refused_with_a_message_and_saves_nothing(app, client, shop, changed,
                                                               message):
    data = {key: value for key, value in {**GOOD, **changed}.items() if value is not None}
    answer = client.post(f"/orders/{shop['token']}/reviews/{shop['lines'][0]}", data=data)
    assert answer.status_code == 422
    assert message in page(answer) and 'aria-invalid="true"' in page(answer)
    assert _review_count(app) == 0


def test_the_longest_allowed_text_is_kept_whole(app, client, shop):
    data = {**GOOD, "title": "t" * 120, "body": "b" * 2000}
    assert client.post(f"/orders/{shop['token']}/reviews/{shop['lines'][0]}",
                       data=data).status_code == 303
    with app.app_context():
        (review,) = _reviews()
        assert len(review.title) == 120 and len(review.body) == 2000


def test_the_service_refuses_what_the_form_would(app, shop):
    with app.app_context():
        order = db.session.get(Order, shop["order"])
        for rating in (0, 6, None):
            with pytest.raises(reviews.ReviewRefused, match="from 1 to 5"):
                reviews.submit(order, shop["lines"][0], reviews.ReviewInput(
                    rating=rating, title="t", body="", author_name="A"))
        assert count_rows(Review) == 0


@pytest.mark.parametrize("app_config", [{"RATELIMIT_POSTS": "3 per minute"}])
def test_review_posts_are_rate_limited(app, client, shop, app_config):
    path = f"/orders/{shop['token']}/reviews/{shop['lines'][0]}"
    statuses = [client.post(path, data={**GOOD, "rating": "9"}).status_code for _ in range(3)]
    assert statuses == [422, 422, 422]
    limited = client.post(path, data=GOOD)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert _review_count(app) == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_review_without_the_csrf_token_is_refused(app, client, shop, app_config):
    path = f"/orders/{shop['token']}/reviews/{shop['lines'][0]}"
    assert client.post(path, data=GOOD).status_code == 400
    assert _review_count(app) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page(client.get(path))).group(1)
    assert client.post(path, data={**GOOD, "csrf_token": token}).status_code == 303
    assert _review_count(app) == 1


# --- what the shop shows -----------------------------------------------------------------------

def _many_reviews(app, client, shop, entries: list[tuple[int, str]]) -> None:
    """One delivered order per entry, reviewed with its rating and title (first line)."""
    for rating, title in entries:
        with app.app_context():
            order = _order(shop["variants"][:1], email=f"{title.lower()}@example.com")
            token, line = order.token, order.items[0].id
        assert client.post(f"/orders/{token}/reviews/{line}", data={
            **GOOD, "rating": str(rating), "title": title}).status_code == 303


def test_hidden_and_pending_reviews_are_neither_shown_nor_counted(app, client, shop):
    _many_reviews(app, client, shop, [(5, "Alpha"), (4, "Bravo"), (2, "Charlie"),
                                      (5, "Delta")])
    with app.app_context():
        by_title = {r.title: r.id for r in _reviews()}
        for title in ("Alpha", "Bravo", "Charlie"):
            reviews.publish(by_title[title])
        reviews.hide(by_title["Bravo"])  # published, then hidden
        # Delta stays pending.
        summary = reviews.rating_summary(shop["product"])
        assert summary.count == 2 and summary.average == 3.5
        assert summary.distribution == {5: 1, 4: 0, 3: 0, 2: 1, 1: 0}
        product = db.session.get(Product, shop["product"])
        assert (product.rating_count, product.rating_sum) == (2, 7)
    shown = page(client.get("/products/glaze-teapot"))
    assert "Alpha" in shown and "Charlie" in shown
    assert "Bravo" not in shown and "Delta" not in shown
    assert "Rated 3.5 out of 5 from 2 reviews" in shown
    # The distribution says its counts in words, not only as bars.
    bars = re.search(r'<table class="rating-bars">.*?</table>', shown, re.S).group(0)
    assert re.search(r"5 stars</th>.*?>1<span class=\"visually-hidden\"> review</span>", bars,
                     re.S)
    assert re.search(r"4 stars</th>.*?>0<span class=\"visually-hidden\"> reviews</span>", bars,
                     re.S)
    catalog = page(client.get("/products"))
    assert "Rated 3.5 out of 5 from 2 reviews" in catalog and "</span> 3.5 (2)</span>" in catalog


def test_cards_without_published_reviews_show_no_rating(app, client, shop):
    client.post(f"/orders/{shop['token']}/reviews/{shop['lines'][0]}", data=GOOD)
    assert "Rated" not in page(client.get("/products"))


def test_the_product_page_pages_its_reviews_newest_first_and_htmx_gets_the_section(app, client,
                                                                                  shop):
    titles = [f"Review{n:02d}" for n in range(7)]
    _many_reviews(app, client, shop, [(5, title) for title in titles])
    _publish_all(app)
    first = page(client.get("/products/glaze-teapot"))
    assert all(t in first for t in titles[2:]) and titles[1] not in first
    assert "reviews_page=2" in first and "Page 1 of 2" in first
    second = page(client.get("/products/glaze-teapot?reviews_page=2"))
    assert titles[0] in second and titles[1] in second and titles[6] not in second
    swapped = client.get("/products/glaze-teapot?reviews_page=2",
                         headers={"HX-Request": "true", "HX-Target": "reviews"})
    body = page(swapped)
    assert body.lstrip().startswith('<section id="reviews"') and titles[0] in body
    assert "HX-Target" in swapped.headers["Vary"]
    # Past the end is the last page.
    assert titles[0] in page(client.get("/products/glaze-teapot?reviews_page=99"))


def test_review_text_is_escaped_everywhere(app, client, shop, staff):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    data = {**GOOD, "title": evil[:100], "body": evil, "author_name": "<b>Mallory</b>"}
    assert client.post(f"/orders/{shop['token']}/reviews/{shop['lines'][0]}",
                       data=data).status_code == 303
    _publish_all(app)
    with app.app_context():
        (review,) = _reviews()
    staff.post(f"/admin/reviews/{review.id}/reply", data={"reply": "<i>thanks</i>"})
    for response in (client.get("/products/glaze-teapot"),
                     client.get(f"/orders/{shop['token']}/reviews"),
                     staff.get("/admin/reviews"), staff.get(f"/admin/reviews/{review.id}")):
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "<b>Mallory" not in body and "<i>thanks" not in body
    assert "&lt;script&gt;" in client.get("/products/glaze-teapot").get_data(as_text=True)


def test_rating_summary_of_a_product_without_reviews(app, shop):
    with app.app_context():
        summary = reviews.rating_summary(shop["product"])
    assert (summary.average, summary.count) == (None, 0)
    assert summary.distribution == {5: 0, 4: 0, 3: 0, 2: 0, 1: 0}


# --- moderation --------------------------------------------------------------------------------

def test_staff_publish_hide_and_reply_and_every_action_is_audited(app, client, shop, staff):
    client.post(f"/orders/{shop['token']}/reviews/{shop['lines'][0]}", data=GOOD)
    with app.app_context():
        (review,) = _reviews()
    table = page(staff.get("/admin/reviews?status=pending"))
    assert "Lovely teapot" in table and f"/admin/reviews/{review.id}" in table
    assert "Lovely teapot" not in page(staff.get("/admin/reviews?status=published"))
    assert "Lovely teapot" not in page(staff.get("/admin/reviews?rating=5"))
    assert "Lovely teapot" in page(staff.get("/admin/reviews?rating=4&status=bogus"))

    published = staff.post(f"/admin/reviews/{review.id}/publish")
    assert published.status_code == 303
    assert "The review is published." in page(staff.get(published.headers["Location"]))
    again = staff.post(f"/admin/reviews/{review.id}/publish", follow_redirects=True)
    assert "published already" in page(again)
    replied = staff.post(f"/admin/reviews/{review.id}/reply",
                         data={"reply": "Thank you, Ann!"})
    assert replied.status_code == 303
    shown = page(client.get("/products/glaze-teapot"))
    assert "Lovely teapot" in shown and "Thank you, Ann!" in shown
    too_long = staff.post(f"/admin/reviews/{review.id}/reply", data={"reply": "r" * 2001})
    assert too_long.status_code == 422 and "At most 2,000 characters" in page(too_long)
    assert staff.post(f"/admin/reviews/{review.id}/hide").status_code == 303
    assert "Lovely teapot" not in page(client.get("/products/glaze-teapot"))
    assert staff.post(f"/admin/reviews/{review.id}/reply", data={"reply": ""}).status_code == 303
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "review").order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["review.published", "review.replied",
                                               "review.hidden", "review.reply_removed"]
        assert all(e.actor_label == "staff@example.com" for e in entries)
        assert (entries[2].before, entries[2].after) == ({"status": "published"},
                                                         {"status": "hidden"})
        product = db.session.get(Product, shop["product"])
        assert (product.rating_count, product.rating_sum) == (0, 0)
        assert db.session.get(Review, review.id).reply is None


def test_customers_cannot_moderate(app, client, shop):
    client.post(f"/orders/{shop['token']}/reviews/{shop['lines'][0]}", data=GOOD)
    with app.app_context():
        make_user("customer@example.com")
        (review,) = _reviews()
    log_in(client, "customer@example.com")
    assert client.get("/admin/reviews").status_code == 403
    assert client.post(f"/admin/reviews/{review.id}/publish").status_code == 403
    with app.app_context():
        assert db.session.get(Review, review.id).status == "pending"


def test_an_unknown_review_is_not_found(app, staff):
    assert staff.get("/admin/reviews/999").status_code == 404
    assert staff.post("/admin/reviews/999/publish").status_code == 404
    assert staff.post("/admin/reviews/999/reply", data={"reply": "x"}).status_code == 404


def test_another_stores_reviews_are_not_counted_or_moderated_here(app, shop):
    with app.app_context():
        order = db.session.get(Order, shop["order"])
        review = reviews.submit(order, shop["lines"][0], reviews.ReviewInput(
            rating=5, title="Mine", body="", author_name="Ann"))
        reviews.publish(review.id)
        store_b = Store(slug="bee")
        db.session.add(store_b)
        db.session.commit()
        with tenancy.use_store(store_b.id):
            assert reviews.rating_summary(shop["product"]).count == 0
            with pytest.raises(reviews.ReviewNotFound):
                reviews.hide(review.id)
        assert db.session.get(Review, review.id).status == "published"


def _product_json_ld(body: str) -> dict:
    for found in re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S):
        data = json.loads(found)
        if data.get("@type") == "Product":
            return data
    raise AssertionError("no Product JSON-LD on the page")


def test_the_json_ld_aggregate_rating_matches_the_published_reviews(app, client, shop):
    assert "aggregateRating" not in _product_json_ld(page(client.get("/products/glaze-teapot")))
    _many_reviews(app, client, shop, [(5, "Echo"), (4, "Foxtrot"), (1, "Golf")])
    with app.app_context():
        by_title = {r.title: r.id for r in _reviews()}
        reviews.publish(by_title["Echo"])
        reviews.publish(by_title["Foxtrot"])
        reviews.publish(by_title["Golf"])
        reviews.hide(by_title["Golf"])
    rating = _product_json_ld(page(client.get("/products/glaze-teapot")))["aggregateRating"]
    assert (float(rating["ratingValue"]), rating["reviewCount"]) == (4.5, 2)
    assert (rating["bestRating"], rating["worstRating"]) == (5, 1)

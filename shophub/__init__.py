"""ShopHub: a self-hosted storefront built on Flask, HTMX and Stripe."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from shophub import (
    auth,
    cli,
    errors,
    flashes,
    health,
    jobs,
    mail,
    media,
    routing,
    security,
    store_settings,
)
from shophub.account.forms import country_name
from shophub.cart.identity import current_badge_count
from shophub.config import load_settings
from shophub.extensions import cache, csrf, db, limiter, migrate
from shophub.money import format_money

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app; `config` overrides settings (and may set INSTANCE_PATH)."""
    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.path.join(PROJECT_ROOT, "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_settings(app.instance_path))
    app.config.update(overrides)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(PROJECT_ROOT, "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    jobs.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    if app.config["PROXY_HOPS"]:
        # Behind N trusted proxies, read the client address (for rate limits) from X-Forwarded-*.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    routing.init_app(app)
    from shophub.account.routes import bp as account_bp
    from shophub.admin import bp as admin_bp
    from shophub.cart.routes import bp as cart_bp
    from shophub.checkout.routes import bp as checkout_bp
    from shophub.invites import bp as invites_bp
    from shophub.order_pages.routes import bp as orders_bp
    from shophub.shop.routes import bp as shop_bp
    from shophub.webhooks.routes import bp as webhooks_bp

    app.register_blueprint(shop_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(invites_bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(health.bp)
    errors.init_app(app)
    cli.init_app(app)

    app.jinja_env.filters["money"] = lambda cents, currency=None: format_money(
        cents, currency or store_settings.currency()
    )
    app.jinja_env.globals.update(
        image_url=media.image_url, image_srcset=media.image_srcset,
        cart_badge_count=current_badge_count,
        endpoint_exists=lambda endpoint: endpoint in app.view_functions,
        country_name=country_name,
        page_messages=flashes.page_messages, section_messages=flashes.section_messages,
    )

    @app.context_processor
    def store_context():
        return {
            "store_name": store_settings.display_name(),
            "store_currency": store_settings.currency(),
        }

    return app

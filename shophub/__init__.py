"""ShopHub: a self-hosted storefront built on Flask, HTMX and Stripe."""

import importlib
import importlib.abc
import importlib.util
import os
import sys

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from shophub import cli
from shophub.accounts import auth
from shophub.accounts.forms import country_name
from shophub.cart.identity import current_badge_count
from shophub.config import engine_options, load_settings
from shophub.extensions import cache, compress, csrf, db, limiter, migrate
from shophub.platform import logs, mail, production, queue, storage, store_settings
from shophub.web import (
    errors,
    filters,
    flashes,
    health,
    request_guard,
    request_id,
    routing,
    security,
    static_files,
)
from shophub.web import metrics as web_metrics

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Modules of the previous release that rows in pending_job, jobs queued in RQ and operators'
# `rq cron` commands still name. They stay importable for one release; see README, "Upgrading".
PREVIOUS_JOB_MODULE = ("shophub.jobs",
                       ("shophub.platform.jobs", "shophub.platform.queue", "shophub.payments.jobs"))
PREVIOUS_CRON_MODULE = ("shophub.cron", "shophub.platform.cron")


class _PreviousModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports a module of the previous release as the new module(s) that took its names."""

    def find_spec(self, fullname, path=None, target=None):
        """A spec for an old module name, None for every other name."""
        if fullname == PREVIOUS_CRON_MODULE[0]:
            # Run the schedule's own code under the old name: rq registers jobs as it runs.
            origin = importlib.util.find_spec(PREVIOUS_CRON_MODULE[1]).origin
            return importlib.util.spec_from_file_location(fullname, origin)
        if fullname == PREVIOUS_JOB_MODULE[0]:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        """The default module object."""
        return None

    def exec_module(self, module) -> None:
        """Give the old jobs module every public name of the modules that took its jobs."""
        for target in PREVIOUS_JOB_MODULE[1]:
            new = importlib.import_module(target)
            module.__dict__.update({name: value for name, value in vars(new).items()
                                    if not name.startswith("_")})


if not any(isinstance(finder, _PreviousModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_PreviousModuleFinder())


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
    production.refuse_unsafe_settings(app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    logs.configure_logging(app)
    web_metrics.init_app(app)  # first, so that the other hooks are inside the timing

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(PROJECT_ROOT, "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    queue.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    compress.init_app(app)
    static_files.init_app(app)
    request_guard.init_app(app)
    request_id.init_app(app)
    if app.config["PROXY_HOPS"]:
        # Behind N trusted proxies, read the client address (for rate limits) from X-Forwarded-*.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    routing.init_app(app)
    from shophub.accounts.routes import bp as account_bp
    from shophub.admin import bp as admin_bp
    from shophub.admin import invites_bp
    from shophub.cart.routes import bp as cart_bp
    from shophub.catalog.api import bp as api_bp
    from shophub.catalog.routes import bp as shop_bp
    from shophub.checkout.routes import bp as checkout_bp
    from shophub.newsletter.routes import bp as newsletter_bp
    from shophub.newsletter.routes import unsubscribe_bp
    from shophub.orders.routes import bp as orders_bp
    from shophub.payments.routes import bp as webhooks_bp
    from shophub.recovery.routes import bp as recovery_bp
    from shophub.reviews.routes import bp as reviews_bp
    from shophub.seo.routes import bp as seo_bp
    from shophub.seo.share_routes import bp as share_bp
    from shophub.web.media import bp as media_bp

    app.register_blueprint(shop_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(newsletter_bp)
    app.register_blueprint(unsubscribe_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(recovery_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(invites_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(seo_bp)
    app.register_blueprint(share_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(web_metrics.bp)
    errors.init_app(app)
    cli.init_app(app)

    filters.init_app(app)
    app.jinja_env.globals.update(
        image_url=storage.image_url, image_srcset=storage.image_srcset,
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


# Workers run jobs outside any request; the queue builds their app with this factory.
queue.use_app_factory(create_app)

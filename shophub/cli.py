"""`flask shophub ...` commands."""

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo, pass_script_info

shophub_cli = AppGroup("shophub", help="ShopHub maintenance commands.")


@shophub_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed a store whose catalog is empty.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo shop, and a second demo store at second.localhost (idempotent)."""
    from shophub.catalog.demo_data import SECOND_SHOP, SECOND_STORE
    from shophub.catalog.seed import seed_demo
    from shophub.platform import tenancy
    from shophub.stores import service as stores

    click.echo(seed_demo(if_empty=if_empty))
    slug, name, currency = SECOND_STORE
    second = stores.find_store(slug) or stores.create_store(slug, name, [], currency)
    with tenancy.use_store(second.id):
        click.echo(f"{name}: {seed_demo(if_empty=if_empty, shop=SECOND_SHOP)}")


@shophub_cli.command("create-admin")
@click.argument("email")
@click.option("--platform", is_flag=True,
              help="Also make the account a platform owner, who creates and lists stores.")
@click.option("--owner", is_flag=True,
              help="Make the account the store's owner, who also manages its payment keys, "
                   "domains and owners.")
def create_admin_command(email: str, platform: bool, owner: bool) -> None:
    """Create an admin (or with --owner an owner) of the default store, or promote an existing
    user."""
    from shophub.accounts import users
    from shophub.extensions import db

    existing = users.find_by_email(users.normalise_email(email)) if "@" in email else None
    if existing:
        password = click.prompt("New password (leave empty to keep the current one)",
                                hide_input=True, default="", show_default=False)
        if password and click.prompt("Repeat for confirmation", hide_input=True) != password:
            raise click.ClickException("The two passwords do not match.")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, created = users.make_admin(email, password or None, owner=owner)
        if platform:
            user.is_platform_owner = True
        db.session.commit()
    except users.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    also = " and platform owner" if user.is_platform_owner else ""
    click.echo(f"{'Created' if created else 'Promoted'} {user.role}{also} {user.email}.")
    if not users.store_has_owner():
        click.echo("The store has no owner yet, who manages its payment keys and domains: "
                   "name one with create-admin EMAIL --owner.")


@shophub_cli.command("create-store")
@click.argument("slug")
@click.option("--name", required=True, help="The store's name, as shoppers see it.")
@click.option("--domain", "domains", multiple=True,
              help="A host name the store answers to (repeat for several).")
@click.option("--currency", default=None, help="ISO 4217 code (default: STORE_CURRENCY).")
@click.option("--owner", "owner_email", default=None,
              help="The email of the store's owner: made its owner, or mailed an owner's "
                   "invite when there is no account yet.")
def create_store_command(slug: str, name: str, domains: tuple[str, ...],
                         currency: str | None, owner_email: str | None) -> None:
    """Create a store: its own catalog, orders, staff and settings, served on its domains."""
    from shophub.admin.people.service import StaffError
    from shophub.admin.stores.service import open_store
    from shophub.extensions import db
    from shophub.stores import service as stores

    try:
        store, owner = open_store(slug, name, list(domains), currency, owner_email)
    except (stores.StoreError, StaffError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    hosts = ", ".join(domain.host for domain in store.domains) or f"{store.slug}.localhost"
    click.echo(f"Created store {store.slug} ({name}), served on {hosts}.")
    if owner is not None:
        click.echo(f"{owner.email} is its owner.")
    elif owner_email:
        click.echo(f"An owner's invite is on its way to {owner_email}.")


@shophub_cli.command("purge-carts")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Age in days (default: the cart cookie's lifetime, CART_COOKIE_DAYS).")
def purge_carts_command(days: int | None) -> None:
    """Delete abandoned guest carts (customers' carts are kept)."""
    from flask import current_app

    from shophub.cart import service as carts

    removed = carts.purge_guest_carts(days or current_app.config["CART_COOKIE_DAYS"])
    click.echo(f"Deleted {removed} abandoned guest carts.")


@shophub_cli.command("expire")
def expire_command() -> None:
    """Release the stock of unpaid orders whose reservation has lapsed."""
    from shophub.payments import flow as payment_flow

    click.echo(f"Cancelled {payment_flow.expire_stale_orders()} unpaid orders.")


@shophub_cli.command("reconcile")
def reconcile_command() -> None:
    """Ask the payment provider about unpaid orders and apply what it says."""
    from shophub.payments import flow as payment_flow

    click.echo(f"Updated {payment_flow.reconcile_pending_orders()} orders.")


@shophub_cli.command("dispatch-jobs")
@click.option("--older-than", "seconds", type=click.IntRange(min=0), default=None,
              help="Only jobs pending at least this many seconds (default 60).")
def dispatch_jobs_command(seconds: int | None) -> None:
    """Hand over jobs whose hand-over after their commit failed (e.g. Redis was down)."""
    from shophub.platform import queue

    count = queue.dispatch_pending_jobs(
        queue.DISPATCH_AFTER_SECONDS if seconds is None else seconds)
    click.echo(f"Dispatched {count} pending jobs.")


def _app_with_redis(info: ScriptInfo, process: str) -> Flask:
    app = info.load_app()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException(f"REDIS_URL is unset: the {process} needs Redis (without it, "
                                   "jobs run in the web process).")
    return app


# Long-running processes: outside any app context, as `rq worker` runs them.
@shophub_cli.command("worker", with_appcontext=False)
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@pass_script_info
def worker_command(info: ScriptInfo, queues: tuple[str, ...], burst: bool) -> None:
    """Run background jobs from REDIS_URL's queues (default: all, the most urgent first)."""
    from shophub.platform import queue, worker

    worker.run_worker(_app_with_redis(info, "worker"), queues or queue.QUEUES_BY_URGENCY,
                      burst=burst)


@shophub_cli.command("scheduler", with_appcontext=False)
@pass_script_info
def scheduler_command(info: ScriptInfo) -> None:
    """Queue the periodic jobs (expiry, reconciliation, dispatch) on time, until stopped."""
    from shophub.platform import scheduler

    scheduler.run_scheduler(_app_with_redis(info, "scheduler"))


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(shophub_cli)

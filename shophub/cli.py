"""`flask shophub ...` commands."""

import click
from flask import Flask
from flask.cli import AppGroup

shophub_cli = AppGroup("shophub", help="ShopHub maintenance commands.")


@shophub_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the catalog has no products.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo catalog (idempotent: a second run changes nothing)."""
    from shophub.seed import seed_demo

    report = seed_demo(if_empty=if_empty)
    click.echo(report)


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(shophub_cli)

"""Command-line tasks: `flask --app app create-admin`, `flask --app app seed-demo`."""
import click
from flask import Flask

from eventsys.accounts import services as accounts
from eventsys.extensions import db


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create a site administrator (or make an existing account one and reset its password)."""
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"use at least {accounts.MIN_PASSWORD_LENGTH} characters", param_hint="password")
    user = accounts.find_user(db.session, email)
    if user is None:
        user = accounts.create_user(db.session, email, name, password, is_admin=True)
    else:
        user.is_admin = True
        user.set_password(password)
    db.session.commit()
    click.echo(f"Administrator ready: {user.email}")


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    from eventsys.demo import seed_demo

    app.cli.add_command(seed_demo)
    from eventsys.core.jobs import register_cli

    register_cli(app)  # flask send-mail
    from eventsys.exhibition.processing import process_stuck_command

    app.cli.add_command(process_stuck_command)  # flask exhibition-media

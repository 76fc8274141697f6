"""`flask seed-demo`: a realistic demo in Indonesian from the programme's articles."""
import click


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds events.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo programme (2017 exposé night, seminars, FGD, exhibition, award night)."""
    click.echo("seed-demo: not yet implemented")

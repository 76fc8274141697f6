"""`flask create-admin` makes a site administrator who can sign in."""
from sqlalchemy import select

from eventsys.accounts.models import User
from eventsys.extensions import db


def test_create_admin(runner, client):
    result = runner.invoke(args=["create-admin", "--email", "Admin@Kominfo.go.id", "--name", "Admin Aptika", "--password", "sangat-rahasia-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "admin@kominfo.go.id"))
    assert user.is_admin and user.password_hash != "sangat-rahasia-1"
    assert client.post("/login", data={"email": "admin@kominfo.go.id", "password": "sangat-rahasia-1"}).status_code == 302


def test_create_admin_refuses_short_password(runner):
    result = runner.invoke(args=["create-admin", "--email", "a@kominfo.go.id", "--name", "A", "--password", "pendek"])
    assert result.exit_code != 0
    assert "at least" in result.output
    assert db.session.scalar(select(User)) is None

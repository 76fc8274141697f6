"""Background work: sending the mail outbox (eventsys.core.mail.send_due), three ways.

- In-process (the default on one machine): a daemon thread per process, woken right after a commit
  that queued mail and every JOBS_POLL_SECONDS (retries). It is started by the process's first
  request, not at import, so it lives in each gunicorn worker, never in a pre-fork master. Several
  workers or machines may run one each: a message is claimed before it is sent, never sent twice.
  JOBS_IN_PROCESS (default True) turns it off; under app.testing it starts only when a test calls
  `start(app)`, so the suite runs no stray threads.
- RQ (REDIS_URL set): a commit that queued mail enqueues `eventsys.core.jobs.send_mail_job` on the
  MAIL_QUEUE queue (default "eventsys-mail"), run by
  `rq worker --with-scheduler --url "$EVENTSYS_REDIS_URL" eventsys-mail` started in the project
  directory with the app's EVENTSYS_* environment; the job builds the app itself and schedules its
  own next run when a retry is waiting (hence --with-scheduler).
- `flask send-mail` sends what is due once; `flask send-mail --loop` keeps going (cron, systemd).
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import click
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as SASession

from eventsys.core import mail
from eventsys.core.db import utcnow
from eventsys.extensions import db

EXTENSION = "eventsys_jobs"
DEFAULT_POLL_SECONDS = 30
DEFAULT_QUEUE = "eventsys-mail"

log = logging.getLogger(__name__)


@dataclass
class _State:
    runner: MailRunner | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    redis: object | None = None


class MailRunner:
    """The in-process sender: one thread that runs send_due when kicked and every `interval` seconds."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self.pid = os.getpid()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.passes = 0  # completed rounds, for status pages and tests
        self.thread = threading.Thread(target=self._run, name="eventsys-mail", daemon=True)

    @property
    def alive(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive() and not self.stopping.is_set()

    def _run(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()  # a kick during the round below triggers another round
            try:
                with self.app.app_context():
                    report = mail.send_all_due()
                    if report.claimed:
                        self.app.logger.info("Mail: %d sent, %d to retry, %d given up", report.sent, report.retrying, report.failed)
            except Exception:  # the thread must outlive a database or mail-server hiccup
                self.app.logger.exception("Mail sender round failed; trying again later")
            self.passes += 1
            self.wake.wait(self.interval)

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)


def init_app(app: Flask) -> None:
    """Send mail after commits that queued it, and start the in-process sender with the first request."""
    if EXTENSION in app.extensions:
        return
    app.extensions[EXTENSION] = _State()
    if not sa_event.contains(SASession, "after_commit", _after_commit):
        sa_event.listen(SASession, "after_commit", _after_commit)

    @app.before_request
    def _start_sender():
        if in_process_enabled(app):
            _ensure_runner(app)


def in_process_enabled(app: Flask) -> bool:
    """The thread runs unless Redis takes the work, it is switched off, or this is a test run."""
    if app.config.get("REDIS_URL"):
        return False
    return bool(app.config.get("JOBS_IN_PROCESS", True)) and not app.testing


def _state(app: Flask) -> _State | None:
    return app.extensions.get(EXTENSION)


def _ensure_runner(app: Flask) -> MailRunner:
    state = _state(app)
    runner = state.runner
    if runner is not None and runner.alive:
        return runner
    with state.lock:
        if state.runner is None or not state.runner.alive:
            interval = float(app.config.get("JOBS_POLL_SECONDS", DEFAULT_POLL_SECONDS))
            state.runner = MailRunner(app, interval)
            state.runner.thread.start()
        return state.runner


def start(app: Flask) -> MailRunner:
    """Start this process's sender thread now, whatever the settings (tests, a custom server)."""
    init_app(app)
    return _ensure_runner(app)


def stop(app: Flask, timeout: float = 10) -> None:
    state = _state(app)
    if state is not None and state.runner is not None:
        state.runner.stop(timeout)
        state.runner = None


def kick(app: Flask | None = None) -> None:
    """Mail was queued and committed: have it sent now (RQ job, or wake the thread)."""
    app = app or current_app._get_current_object()
    state = _state(app)
    if state is None:
        return
    if app.config.get("REDIS_URL"):
        _enqueue(app)
        return
    runner = state.runner
    if runner is not None and runner.alive:
        runner.wake.set()
    elif in_process_enabled(app):
        _ensure_runner(app).wake.set()


def _after_commit(session) -> None:
    if not session.info.pop(mail.QUEUED_FLAG, False) or not has_app_context():
        return
    try:
        kick(current_app._get_current_object())
    except Exception:  # the mail is committed; a later round or worker sends it
        current_app.logger.exception("Could not start sending queued mail; it stays in the outbox")


# RQ ------------------------------------------------------------------------------------------


def _queue_name(app: Flask) -> str:
    return app.config.get("MAIL_QUEUE", DEFAULT_QUEUE)


def _redis(app: Flask):
    from redis import Redis

    state = _state(app)
    if state is None or state.redis is None:
        connection = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
        if state is None:
            return connection
        state.redis = connection
    return state.redis


def _enqueue(app: Flask) -> None:
    from rq import Queue

    connection = _redis(app)
    name = _queue_name(app)
    # One waiting job is enough: it sends everything due when it runs. The job clears the key
    # when it starts, so mail queued while it runs gets a job of its own.
    if not connection.set(f"{name}:kicked", "1", nx=True, ex=300):
        return
    try:
        Queue(name, connection=connection).enqueue(send_mail_job, result_ttl=600, job_timeout=900)
    except Exception:
        connection.delete(f"{name}:kicked")  # let the next commit try again
        raise


def send_mail_job() -> dict:
    """The RQ job: build the app from the environment, send what is due, schedule the next retry."""
    from rq import Queue

    from eventsys import create_app

    app = create_app()
    with app.app_context():
        connection = _redis(app)
        name = _queue_name(app)
        connection.delete(f"{name}:kicked")
        try:
            report = mail.send_all_due()
            upcoming = mail.next_attempt_at(db.session)
            db.session.commit()
        finally:
            db.session.remove()
        if upcoming is not None:
            delay = max((upcoming - utcnow()).total_seconds(), 1)
            # One scheduled run at a time; the key lives until that run is due.
            if connection.set(f"{name}:scheduled", "1", nx=True, ex=math.ceil(delay)):
                Queue(name, connection=connection).enqueue_at(upcoming + timedelta(seconds=1), send_mail_job, result_ttl=600)
        return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


# CLI -----------------------------------------------------------------------------------------


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep sending: wake every --interval seconds.")
@click.option("--interval", type=float, default=None, help=f"Seconds between rounds with --loop (default JOBS_POLL_SECONDS, {DEFAULT_POLL_SECONDS}).")
@with_appcontext
def send_mail_command(loop: bool, interval: float | None) -> None:
    """Send the mail that is due from the outbox (once, or with --loop until stopped)."""
    app = current_app._get_current_object()
    interval = interval if interval is not None else float(app.config.get("JOBS_POLL_SECONDS", DEFAULT_POLL_SECONDS))
    while True:
        report = mail.send_all_due()
        db.session.remove()
        if report.claimed or not loop:
            click.echo(f"Sent {report.sent}, to retry {report.retrying}, given up {report.failed}.")
        if not loop:
            return
        time.sleep(interval)


def register_cli(app: Flask) -> None:
    app.cli.add_command(send_mail_command)

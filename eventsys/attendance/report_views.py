"""Attendance reports for organizers: the overview page and the CSV/Excel downloads."""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template
from flask_babel import format_decimal

from eventsys.accounts.models import EventRoleName
from eventsys.attendance import movements, reports, verdicts
from eventsys.attendance.models import ScanResult
from eventsys.core.access import event_role_required
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db

bp = Blueprint("attendance_report_views", __name__, url_prefix="/manage/<slug>/checkin/reports")
organizer_only = event_role_required(EventRoleName.ORGANIZER)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORTS = {"people": reports.people_report, "sessions": reports.sessions_report}


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    response.headers["Cache-Control"] = "no-store"  # personal data: not kept by browsers or proxies
    return response


@bp.get("")
@organizer_only
def index(slug: str):
    return render_template(
        "attendance/reports.html",
        event=g.event,
        status_labels=EVENT_STATUS_LABELS,
        rows=reports.session_rows(db.session, g.event),
        format_decimal=format_decimal,  # "66,7" in Indonesian; the downloads keep plain numbers
    )


@bp.app_template_global()
def scan_note(scan, zone: str) -> str:
    """For the scan log (manage_scans.html): a refused scan's stored detail in words, as staff were told it."""
    if scan.result == ScanResult.OK or not scan.detail:
        return ""
    return verdicts.scan_note(scan, zone, movements.named_by(db.session, scan))


@bp.get("/<any(people, sessions):kind>.csv")
@organizer_only
def report_csv(slug: str, kind: str):
    report = REPORTS[kind](db.session, g.event)
    return _download(reports.to_csv(report), "text/csv", f"attendance-{kind}-{g.event.slug}.csv")


@bp.get("/<any(people, sessions):kind>.xlsx")
@organizer_only
def report_xlsx(slug: str, kind: str):
    report = REPORTS[kind](db.session, g.event)
    return _download(reports.to_xlsx(report), XLSX_TYPE, f"attendance-{kind}-{g.event.slug}.xlsx")

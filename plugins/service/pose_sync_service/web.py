"""The service's web app: connect with Strava, the athlete's page, FIT upload, the webhook, admin, health.

An app factory with one blueprint per area. The session is Flask's signed
cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS) holding only the
athlete's id and a CSRF token; every form posts the token back. Every page
an athlete sees is built from *their* store (bound to the id in their signed
session), so no URL or form field can name another athlete's data: run ids
of others are simply not found. Strava's terms allow an athlete's Strava
data to be shown only to that athlete; the coach page shows runs whose
analysis came from an original FIT file (Garmin or an upload) and says so.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from pose_sync_strava.auth import SCOPE, exchange, missing_scope
from pose_sync_strava.tokens import StravaTokens

from pose_sync.errors import AuthError, PoseSyncError, RemoteError
from pose_sync.model import SourceRef
from pose_sync.store import QUALITY_FIT
from pose_sync_service import jobs
from pose_sync_service.athletes import HEART_RATES, Athlete, AthleteSettings
from pose_sync_service.service import Service

log = logging.getLogger("pose_sync_service.web")
MAX_UPLOAD = 25 * 1024 * 1024
auth = Blueprint("auth", __name__)
athlete_pages = Blueprint("athlete", __name__)
webhook = Blueprint("webhook", __name__)
admin = Blueprint("admin", __name__)


def create_app(service: Service) -> Flask:
    app = Flask("pose_sync_service")
    settings = service.settings
    app.config.update(SECRET_KEY=settings.secret_key, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.cookie_secure, SESSION_COOKIE_NAME="pose_sync",
                      MAX_CONTENT_LENGTH=MAX_UPLOAD, PERMANENT_SESSION_LIFETIME=30 * 86400)
    app.extensions["pose_sync"] = service
    app.extensions["pose_sync_jobs"] = jobs.configured(settings.database_url, sync=True)
    app.extensions["pose_sync_jobs"].open(jobs.fresh_connections(settings.database_url))
    for blueprint in (auth, athlete_pages, webhook, admin):
        app.register_blueprint(blueprint)

    @app.before_request
    def csrf_and_athlete() -> Any:
        g.athlete = None
        if request.blueprint == "webhook":
            return None
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(24)
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            if not hmac.compare_digest(sent.encode(), str(session["csrf"]).encode()):
                abort(400, "the form is out of date: reload the page and try again")
        athlete_id = session.get("athlete")
        if isinstance(athlete_id, int):
            g.athlete = service.athletes.get(athlete_id)
            if g.athlete is None:
                session.pop("athlete", None)  # deleted since
        return None

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"csrf": session.get("csrf", ""), "me": g.get("athlete")}

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            with service.athletes.db() as db:
                db.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - health says what is wrong instead of failing
            return jsonify(ok=False, database=type(exc).__name__), 503
        return jsonify(ok=True), 200

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # the report is framed by the athlete's own page, nothing is framed by another site
        framed = request.blueprint == "athlete" and request.path == "/me/report"
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
        return response

    return app


def _service() -> Service:
    return current_app.extensions["pose_sync"]


def _me() -> Athlete:
    athlete = g.get("athlete")
    if athlete is None:
        abort(redirect("/"))
    return athlete


# --- connecting --------------------------------------------------------------------------------------------------


@auth.get("/")
def index() -> Any:
    if g.athlete is not None:
        return redirect("/me")
    return render_template("index.html")


@auth.post("/connect")
def connect() -> Any:
    service = _service()
    state = secrets.token_urlsafe(24)
    session["oauth_state"] = state
    client_id, _ = service.strava_settings().credentials()
    query = urlencode({"client_id": client_id, "redirect_uri": f"{service.settings.public_url}/authorized",
                       "response_type": "code", "approval_prompt": "auto", "scope": ",".join(SCOPE),
                       "state": state})
    return redirect(f"{service.settings.strava_authorize_url}?{query}")


class _Caught:
    """Where the plugin's code exchange saves the tokens: here, until the athlete row holds them sealed."""

    path = "the service database"

    def __init__(self) -> None:
        self.tokens: StravaTokens | None = None

    def save(self, tokens: StravaTokens) -> None:
        self.tokens = tokens


@auth.get("/authorized")
def authorized() -> Any:
    service = _service()
    expected = session.pop("oauth_state", None)
    offered = request.args.get("state", "")
    if not expected or not hmac.compare_digest(offered.encode(), str(expected).encode()):
        return render_template("message.html", title="That link is not from this page",
                               text="Start again with Connect with Strava."), 400
    if request.args.get("error") or not request.args.get("code"):
        return render_template("message.html", title="Strava was not connected",
                               text="You did not approve pose-sync on Strava."), 400
    from pose_sync_strava.api import StravaApi

    caught = _Caught()
    api = StravaApi(service.strava_settings(), service.settings.data_dir, tokens=caught,  # type: ignore[arg-type]
                    budget=service.budget)
    try:
        exchange(api, request.args["code"], request.args.get("scope"))
    except (AuthError, RemoteError) as problem:
        return render_template("message.html", title="Strava was not connected", text=str(problem)), 400
    finally:
        api.session.close()
    assert caught.tokens is not None
    athlete = service.athletes.connect_strava(caught.tokens)
    session.clear()
    session["athlete"] = athlete.id
    session["csrf"] = secrets.token_urlsafe(24)
    session.permanent = True
    jobs_app = current_app.extensions["pose_sync_jobs"]
    with contextlib.suppress(jobs.AlreadyEnqueued):
        jobs.task(jobs_app, "backfill_athlete", queueing_lock=f"backfill:{athlete.id}").defer(
            athlete_id=athlete.id)
    log.info("athlete %s connected", athlete.id)
    if missing_scope(request.args.get("scope")):
        session["warning"] = "You did not tick every box on Strava: pose-sync cannot write your notes."
    return redirect("/me")


@auth.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect("/")


# --- the athlete's own pages -----------------------------------------------------------------------------------


def _run_rows(store: Any) -> list[dict[str, Any]]:
    rows = []
    for run in reversed(store.list_runs()):
        a = run.analysis
        pace = a.moving_time_s / (a.distance_m / 1000) if a.distance_m else None
        rows.append({"id": run.id, "date": a.start_time.date().isoformat(), "km": a.distance_m / 1000,
                     "pace": f"{int(pace // 60)}:{int(pace % 60):02d}" if pace else "-",
                     "form": a.form.score, "from": ", ".join(sorted({s.platform for s in run.sources}))})
    return rows


@athlete_pages.get("/me")
def me() -> Any:
    athlete = _me()
    with _service().athletes.store(athlete.id) as store:
        runs = _run_rows(store)
    return render_template("me.html", athlete=athlete, runs=runs, heart_rates=HEART_RATES,
                           warning=session.pop("warning", None), notice=session.pop("notice", None),
                           share_url=f"{_service().settings.public_url}/coach/{athlete.settings.share_token}"
                           if athlete.settings.share_token else None)


@athlete_pages.get("/me/report")
def report() -> Any:
    from pose_sync.progression.html import render_html
    from pose_sync.progression.plots import figure_png
    from pose_sync.progression.report import build_report

    athlete = _me()
    service = _service()
    with service.athletes.store(athlete.id) as store:
        stored = store.list_runs()
        built = build_report([(r.analysis, r.gear_id) for r in stored], store.gear_names(),
                             service.athletes.config(athlete.settings), date.today(), weeks=12)
    return Response(render_html(built, figure_png(built)), mimetype="text/html")


@athlete_pages.get("/me/runs/<int:run_id>")
def run_page(run_id: int) -> Any:
    athlete = _me()
    with _service().athletes.store(athlete.id) as store:
        try:
            run = store.get_run(run_id)
        except KeyError:
            abort(404)  # not this athlete's: no difference from a run that does not exist
    return render_template("run.html", run=run, a=run.analysis)


@athlete_pages.post("/me/settings")
def save_settings() -> Any:
    athlete = _me()
    form = request.form
    try:
        start = date.fromisoformat(form["program_start"]) if form.get("program_start") else None
        rates = {k: int(form[k]) for k in HEART_RATES if form.get(k, "").strip()}
    except ValueError:
        session["warning"] = "Settings not saved: a date is YYYY-MM-DD and heart rates are whole numbers."
        return redirect("/me")
    minimalist = tuple(s.strip() for s in form.get("minimalist", "").split(",") if s.strip())
    new = AthleteSettings(start, minimalist, rates, form.get("notes") == "on", athlete.settings.share_token)
    try:
        _service().athletes.save_settings(athlete.id, new)
    except PoseSyncError as problem:
        session["warning"] = f"Settings not saved: {problem}"
        return redirect("/me")
    session["notice"] = "Settings saved."
    return redirect("/me")


@athlete_pages.post("/me/share")
def share() -> Any:
    athlete = _me()
    s = athlete.settings
    token = None if request.form.get("stop") else secrets.token_urlsafe(18)
    _service().athletes.save_settings(athlete.id, AthleteSettings(s.program_start, s.minimalist, s.heart_rates,
                                                                  s.notes, token))
    return redirect("/me")


@athlete_pages.post("/me/upload")
def upload() -> Any:
    from pose_sync.importer import store_fit

    athlete = _me()
    sent = request.files.get("fit")
    data = sent.read() if sent else b""
    if not data:
        session["warning"] = "Choose a .fit file to upload."
        return redirect("/me")
    name = f"upload:{hashlib.sha256(data).hexdigest()[:16]}"
    with _service().athletes.store(athlete.id) as store:
        try:
            outcomes = store_fit(store, data, SourceRef("file", name))
        except PoseSyncError as problem:
            session["warning"] = f"{sent.filename if sent else 'the file'}: {problem}"
            return redirect("/me")
    stored = [o for o in outcomes if o.run_id is not None]
    if not stored:
        reasons = "; ".join(o.reason or o.status for o in outcomes) or "no running session in it"
        session["warning"] = f"{sent.filename if sent else 'the file'}: nothing stored ({reasons})."
        return redirect("/me")
    return redirect(f"/me/runs/{stored[0].run_id}")


@athlete_pages.post("/me/disconnect")
def disconnect() -> Any:
    athlete = _me()
    service = _service()
    connector = service.connector(athlete)
    try:
        connector.api.call("deauthorizing", lambda c: c.deauthorize())
    except PoseSyncError as problem:
        log.info("athlete %s: Strava deauthorisation not confirmed (%s); data deleted anyway", athlete.id,
                 type(problem).__name__)
    finally:
        connector.close()
    service.delete_athlete(athlete.id)
    session.clear()
    return render_template("message.html", title="Disconnected",
                           text="Your Strava connection, your runs, settings and files are deleted."), 200


@athlete_pages.get("/coach/<token>")
def coach(token: str) -> Any:
    athlete = _service().athletes.by_share_token(token)
    if athlete is None:
        abort(404)
    with _service().athletes.store(athlete.id) as store:
        runs = [r for r in store.list_runs() if r.quality >= QUALITY_FIT
                and any(s.platform != "strava" for s in r.sources)]
        rows = [row for row in _run_rows(store) if row["id"] in {r.id for r in runs}]
    for row in rows:
        row["from"] = ", ".join(p for p in row["from"].split(", ") if p != "strava")
    return render_template("coach.html", rows=rows, label=f"athlete {athlete.id}")


# --- Strava's webhook, for every athlete -----------------------------------------------------------------------


def _well_formed(event: Any) -> bool:
    return isinstance(event, dict) and event.get("object_type") in ("activity", "athlete") \
        and event.get("aspect_type") in ("create", "update", "delete") \
        and isinstance(event.get("object_id"), int) and isinstance(event.get("owner_id"), int) \
        and "subscription_id" in event


@webhook.get("/webhook")
def validate() -> Any:
    token = _service().strava_settings().webhook_token()
    offered = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(offered.encode(), token.encode()):
        return jsonify(error="forbidden"), 403
    return jsonify({"hub.challenge": request.args.get("hub.challenge", "")}), 200


@webhook.post("/webhook")
def receive() -> Any:
    """One lookup and one insert: answered well within Strava's 2 s, the job does the rest."""
    event = request.get_json(silent=True)
    if not _well_formed(event):
        return jsonify(error="not a Strava event"), 400
    assert isinstance(event, dict)
    service = _service()
    expected = service.settings.strava_subscription_id
    if expected is not None and str(event["subscription_id"]) != expected:
        return jsonify(error="unknown subscription"), 403
    athlete = service.athletes.by_strava(int(event["owner_id"]))
    if athlete is None:
        return jsonify(status="not our athlete"), 200
    jobs_app = current_app.extensions["pose_sync_jobs"]
    if event["object_type"] == "athlete":
        if str((event.get("updates") or {}).get("authorized")) == "false":
            service.athletes.tokens(athlete.id).delete()  # at once; the rest of their data by the job
            with contextlib.suppress(jobs.AlreadyEnqueued):
                jobs.task(jobs_app, "delete_athlete", queueing_lock=f"delete:{athlete.id}").defer(
                    athlete_id=athlete.id)
            return jsonify(status="deauthorized"), 200
        return jsonify(status="ignored"), 200
    updates = {str(k): str(v) for k, v in (event.get("updates") or {}).items()}
    if event["aspect_type"] == "delete":  # their Strava data of it goes (Strava's terms)
        with contextlib.suppress(jobs.AlreadyEnqueued):
            jobs.task(jobs_app, "forget_activity", queueing_lock=f"forget:{athlete.id}:{event['object_id']}",
                      lock=jobs.activity_lock(athlete.id, str(event["object_id"]))).defer(
                athlete_id=athlete.id, activity_id=str(event["object_id"]))
        return jsonify(status="queued"), 200
    if (event["aspect_type"] == "update" and set(updates) <= {
            "title", "private", "visibility"}):
        return jsonify(status="ignored"), 200
    happened = event.get("event_time")
    happened = float(happened) if isinstance(happened, (int, float)) else time.time()
    settle_s = service.athletes.config(athlete.settings).notes.settle_minutes * 60
    from datetime import datetime, timezone

    at = datetime.fromtimestamp(min(happened, time.time()) + settle_s, timezone.utc) if settle_s else None
    queued = jobs.defer_activity(jobs_app, athlete.id, str(event["object_id"]), aspect=event["aspect_type"],
                                 event_time=happened, updates=updates, tier="webhook", at=at)
    return jsonify(status="queued" if queued else "duplicate"), 200


# --- the operator's page ---------------------------------------------------------------------------------------


def _admin_allowed() -> bool:
    password = _service().settings.admin_password
    header = request.headers.get("Authorization", "")
    if not password or not header.startswith("Basic "):
        return False
    try:
        user, _, given = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return user == "admin" and hmac.compare_digest(given.encode(), password.encode())


@admin.get("/admin")
def admin_page() -> Any:
    """Athletes (ids and dates only), queue depth, the shared budget, failures: no athlete's Strava data."""
    if not _admin_allowed():
        return Response("admin only", 401, {"WWW-Authenticate": 'Basic realm="pose-sync admin"'})
    service = _service()
    athletes = service.athletes.all()
    with service.athletes.db() as db:
        queue = db.exec_driver_sql("SELECT task_name, status, count(*) FROM procrastinate_jobs"
                                   " GROUP BY task_name, status ORDER BY task_name, status").all()
        failures = db.exec_driver_sql(
            "SELECT j.id, j.task_name, j.args->>'athlete_id', j.attempts, max(e.at) FROM procrastinate_jobs j"
            " LEFT JOIN procrastinate_events e ON e.job_id = j.id WHERE j.status = 'failed'"
            " GROUP BY j.id ORDER BY j.id DESC LIMIT 20").all()
    return render_template("admin.html", athletes=athletes, queue=queue, failures=failures,
                           budget=service.budget.state())

"""A fake Strava API v3 speaking the recorded wire format (tests/wire/strava).

Bodies are the real recorded responses with the test's values put in, and
every body the fake sends is validated against the JSON schemas in
tests/wire/strava/schemas before it leaves. It keeps state (activities,
descriptions, tokens, subscriptions, rate-limit usage) so tests can assert
on what the client did, and it can be told to fail the next request with
401, 404, 429 or 5xx exactly as Strava answers them.

Served behind tests/fakes/proxy.py as https://www.strava.com.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jsonschema
import requests
from flask import Flask, Response, jsonify, request

from pose_sync.fit import decode_fit
from pose_sync.model import SourceRef
from tests.fakes.hooks import Hook, Hooks

WIRE = Path(__file__).resolve().parents[1] / "wire" / "strava"
STREAM_TYPES = ("time", "distance", "velocity_smooth", "heartrate", "cadence", "altitude", "grade_smooth", "moving",
                "watts", "latlng", "temp")


def _recorded(name: str, index: int = 0) -> dict[str, Any]:
    return json.loads((WIRE / name).read_text())["exchanges"][index]


def _schema(name: str) -> dict[str, Any]:
    return json.loads((WIRE / "schemas" / f"{name}.schema.json").read_text())


SUMMARY_TEMPLATE = _recorded("GET_athlete_activities.json")["response"]["body"][0]
DETAIL_TEMPLATE = _recorded("GET_activities_id.json")["response"]["body"]
TOKEN_TEMPLATE = _recorded("POST_oauth_token_authorization_code.json")["response"]["body"]
FAULT_401 = _recorded("GET_activities_id_401.json")["response"]["body"]
FAULT_404 = {"message": "Resource Not Found", "errors": [{"resource": "Activity", "field": "id", "code": "invalid"}]}
FAULT_429 = json.loads((WIRE / "rate_limit_429.json").read_text())["exchanges"][0]["response"]["body"]
FAULT_500 = {"message": "Internal Server Error", "errors": []}
SUBSCRIPTION_TEMPLATE = _recorded("webhooks/POST_push_subscriptions.json")["response"]["body"]
SCHEMAS = {name: jsonschema.validators.validator_for(_schema(name))(_schema(name))
           for name in ("SummaryActivity", "DetailedActivity", "StreamSet", "Fault", "DetailedGear")}


@dataclass
class FakeActivity:
    """One activity on the fake platform; streams come from a real FIT file."""

    id: int
    fit_path: Path | None
    start_date: datetime
    sport_type: str = "Run"
    name: str = "Morning Run"
    description: str | None = None
    distance: float | None = None
    gear_id: str | None = "g19999385"
    session_index: int = 0
    owner: int | None = None   # the athlete it belongs to, when the fake serves several (None: the one)


@dataclass
class StravaState:
    client_id: int = 24523
    client_secret: str = "fake-client-secret"
    athlete_id: int = 134815
    access_tokens: set[str] = field(default_factory=lambda: {"access-token-1"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-token-1"})
    issued: int = 1
    codes: set[str] = field(default_factory=lambda: {"auth-code-ok"})
    granted_scope: str = "read,activity:write,activity:read_all"
    activities: dict[int, FakeActivity] = field(default_factory=dict)
    subscriptions: dict[int, dict[str, Any]] = field(default_factory=dict)
    limits: tuple[int, int] = (200, 2000)
    read_limits: tuple[int, int] = (100, 1000)
    usage: list[int] = field(default_factory=lambda: [0, 0])
    read_usage: list[int] = field(default_factory=lambda: [0, 0])
    failures: list[tuple[str, str, int]] = field(default_factory=list)   # (method, path regex, status)
    # kill -9 the client process at a request: (method, path regex, "on_arrival" | "after_applying", pid)
    kill: tuple[str, str, str, int] | None = None
    log: list[str] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)   # activity ids whose description was changed
    lock: threading.Lock = field(default_factory=threading.Lock)
    hooks: Hooks = field(default_factory=Hooks)        # the athlete acting between our requests
    # Several athletes on one application (a club's service): tokens stay valid side by side, each
    # token sees its own athlete's activities, and the approval page hands out a code for `approving`.
    multi_athlete: bool = False
    approving: int = 134815
    token_athletes: dict[str, int] = field(default_factory=dict)
    code_athletes: dict[str, int] = field(default_factory=dict)
    refused: int = 0                                   # requests answered 429 (over the limits)

    def on(self, method: str, path: str, action: Callable[[StravaState], None], **kwargs: Any) -> Hook:
        return self.hooks.add(Hook(method, path, action, **kwargs))

    def athlete_types(self, activity_id: int, text: str) -> None:
        """The athlete saves ``text`` in the app (not one of our writes)."""
        self.activities[activity_id].description = text

    def add(self, activity: FakeActivity) -> FakeActivity:
        self.activities[activity.id] = activity
        return activity

    def fail_next(self, method: str, path: str, status: int) -> None:
        self.failures.append((method, path, status))

    def kill_client(self, moment: str) -> bool:
        """Kill the client process if this request is the one chosen for ``moment``."""
        if self.kill is None:
            return False
        method, pattern, when, pid = self.kill
        if when != moment or method != request.method or not re.search(pattern, request.path):
            return False
        self.kill = None
        os.kill(pid, signal.SIGKILL)
        return True

    def requests_to(self, pattern: str) -> list[str]:
        return [line for line in self.log if re.search(pattern, line)]


def _validated(body: Any, schema: str) -> Any:
    SCHEMAS[schema].validate(body)  # raises: the fake must never send what Strava would not
    return body


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Streams:
    """Streams of an activity in Strava's key_by_type shape, built from its FIT file."""

    cache: dict[tuple[Path, int], dict[str, Any]] = {}

    @classmethod
    def of(cls, activity: FakeActivity) -> dict[str, Any]:
        key = (activity.fit_path, activity.session_index)
        if key not in cls.cache:
            assert activity.fit_path is not None
            decoded = decode_fit(activity.fit_path.read_bytes(), SourceRef("file", str(activity.fit_path)))
            a = decoded.activities[activity.session_index]
            s = a.samples
            time_ = [int(round(t)) for t in s.elapsed_s]
            keep = [0] + [i for i in range(1, len(time_)) if time_[i] != time_[i - 1]]  # one sample a second

            def series(values: Any, integer: bool = False, default: float = 0.0) -> list[Any]:
                out = []
                for i in keep:
                    v = values[i]
                    v = default if v != v else v  # NaN -> default, as Strava fills gaps
                    out.append(int(round(v)) if integer else round(float(v), 3))
                return out

            speed = s.get("speed_mps")
            streams: dict[str, Any] = {
                "time": series(s.elapsed_s, integer=True),
                "distance": series(s.get("distance_m")),
                "velocity_smooth": series(speed),
                "moving": [bool(speed[i] == speed[i] and speed[i] > 0.5) for i in keep],
            }
            if s.has("heart_rate_bpm"):
                streams["heartrate"] = series(s.get("heart_rate_bpm"), integer=True)
            if s.has("cadence_spm"):
                streams["cadence"] = [int(v // 2) for v in series(s.get("cadence_spm"))]  # per leg, as Strava sends
            if s.has("altitude_m"):
                streams["altitude"] = series(s.get("altitude_m"))
            if s.has("power_w"):
                streams["watts"] = series(s.get("power_w"), integer=True)
            if s.has("lat_deg"):
                lat, lon = s.get("lat_deg"), s.get("lon_deg")
                streams["latlng"] = [[round(float(lat[i]), 6), round(float(lon[i]), 6)] for i in keep
                                     if lat[i] == lat[i]]
                if len(streams["latlng"]) != len(keep):
                    del streams["latlng"]
            cls.cache[key] = streams
        return cls.cache[key]


def create_app(state: StravaState) -> Flask:
    app = Flask("fake-strava")

    def headers_for(method: str) -> dict[str, str]:
        return {
            "X-Ratelimit-Limit": f"{state.limits[0]},{state.limits[1]}",
            "X-Ratelimit-Usage": f"{state.usage[0]},{state.usage[1]}",
            "X-Readratelimit-Limit": f"{state.read_limits[0]},{state.read_limits[1]}",
            "X-Readratelimit-Usage": f"{state.read_usage[0]},{state.read_usage[1]}",
        }

    def reply(body: Any, status: int = 200, method: str = "GET", schema: str | None = None) -> Response:
        if schema:
            items = body if isinstance(body, list) else [body]
            for item in items:
                _validated(item, schema)
        response = Response(json.dumps(body), status=status, mimetype="application/json")
        response.headers.update(headers_for(method))
        return response

    def fault(status: int, method: str) -> Response:
        body = {401: FAULT_401, 404: FAULT_404, 429: FAULT_429}.get(status, FAULT_500)
        return reply(_validated(body, "Fault"), status, method)

    @app.before_request
    def gate() -> Response | None:
        line = f"{request.method} {request.full_path.rstrip('?')}"
        state.hooks.run("before", request.method, request.path, state)
        with state.lock:
            state.log.append(line)
            for i, (method, pattern, status) in enumerate(state.failures):
                if method == request.method and re.search(pattern, request.path):
                    del state.failures[i]
                    return fault(status, request.method)
            if state.kill_client("on_arrival"):
                return fault(503, request.method)  # nobody is listening any more
            if not request.path.startswith("/api/v3"):
                return None
            if request.path.startswith("/api/v3/push_subscriptions"):
                return None  # authenticated by client id and secret, not by token
            token = (request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                     or request.args.get("access_token", ""))
            if token not in state.access_tokens:
                return fault(401, request.method)
            over = state.usage[0] >= state.limits[0] or state.usage[1] >= state.limits[1]
            if request.method == "GET":
                over |= state.read_usage[0] >= state.read_limits[0] or state.read_usage[1] >= state.read_limits[1]
            if over:
                state.refused += 1
                return fault(429, request.method)
            state.usage[0] += 1
            state.usage[1] += 1
            if request.method == "GET":
                state.read_usage[0] += 1
                state.read_usage[1] += 1
        return None

    @app.after_request
    def after(response: Response) -> Response:
        state.hooks.run("after", request.method, request.path, state)
        return response

    def summary(a: FakeActivity) -> dict[str, Any]:
        body = copy.deepcopy(SUMMARY_TEMPLATE)
        streams = _Streams.of(a) if a.fit_path else None
        distance = a.distance if a.distance is not None else (streams["distance"][-1] if streams else 0.0)
        elapsed = streams["time"][-1] if streams else 1800
        body.update(id=a.id, name=a.name, type=a.sport_type, sport_type=a.sport_type, start_date=_iso(a.start_date),
                    start_date_local=_iso(a.start_date), distance=distance, elapsed_time=elapsed,
                    moving_time=elapsed, average_speed=round(distance / max(elapsed, 1), 3), gear_id=a.gear_id,
                    athlete={"id": a.owner or state.athlete_id, "resource_state": 1}, external_id=f"{a.id}.fit",
                    upload_id=a.id * 10, upload_id_str=str(a.id * 10))
        return body

    def detail(a: FakeActivity) -> dict[str, Any]:
        body = copy.deepcopy(DETAIL_TEMPLATE)
        body.update({k: v for k, v in summary(a).items() if k in body})
        body["description"] = a.description
        body["id"] = a.id
        return body

    @app.post("/oauth/token")
    def token() -> Response:
        form = request.form
        if form.get("client_id") != str(state.client_id) or form.get("client_secret") != state.client_secret:
            return reply(_recorded("POST_oauth_token_400.json")["response"]["body"], 400)
        grant = form.get("grant_type")
        athlete = state.athlete_id
        if grant == "authorization_code" and form.get("code") in state.codes:
            state.codes.discard(form["code"])
            athlete = state.code_athletes.pop(form["code"], athlete)
        elif grant == "refresh_token" and form.get("refresh_token") in state.refresh_tokens:
            state.refresh_tokens.discard(form["refresh_token"])  # rotated
            athlete = state.token_athletes.get(form["refresh_token"], athlete)
        else:
            return reply({"message": "Bad Request", "errors": [{"resource": "RefreshToken", "field": "refresh_token",
                                                                "code": "invalid"}]}, 400)
        state.issued += 1
        access, refresh = f"access-token-{state.issued}", f"refresh-token-{state.issued}"
        if state.multi_athlete:
            state.access_tokens.add(access)
            state.token_athletes.update({access: athlete, refresh: athlete})
        else:
            state.access_tokens = {access}
        state.refresh_tokens.add(refresh)
        body = {"token_type": "Bearer", "access_token": access, "refresh_token": refresh,
                "expires_at": int(datetime.now(timezone.utc).timestamp()) + 21600, "expires_in": 21600}
        if grant == "authorization_code":
            body["athlete"] = {**TOKEN_TEMPLATE["athlete"], "id": athlete}
        return reply(body)

    @app.get("/oauth/authorize")
    def authorize() -> Response:
        """Strava's approval page, reduced to its button: it sends the browser back with a code and the state."""
        query = request.args
        code = f"auth-code-{len(state.codes) + len(state.log)}"
        state.codes.add(code)
        state.code_athletes[code] = state.approving
        back = f"{query['redirect_uri']}?" + urlencode({"state": query.get("state", ""), "code": code,
                                                         "scope": query.get("scope", "read")})
        return Response(f'<!doctype html><title>Strava</title><h1>Authorize pose-sync</h1>'
                        f'<a id="authorize" href="{html.escape(back)}">Authorize</a>', mimetype="text/html")

    @app.post("/oauth/deauthorize")
    def deauthorize() -> Response:
        token = (request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                 or request.values.get("access_token", ""))
        state.access_tokens.discard(token)
        return reply({"access_token": token})

    def owner_of(token: str) -> int:
        return state.token_athletes.get(token, state.athlete_id)

    def mine(activity: FakeActivity) -> bool:
        """In a multi-athlete fake, a token sees only its own athlete's activities (others are 404)."""
        if not state.multi_athlete:
            return True
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return (activity.owner or state.athlete_id) == owner_of(token)

    @app.get("/api/v3/athlete/activities")
    def activities() -> Response:
        after = int(request.args.get("after", 0) or 0)
        before = int(request.args.get("before", 0) or 0) or None
        page, per_page = int(request.args.get("page", 1)), int(request.args.get("per_page", 30))
        chosen = [a for a in state.activities.values() if mine(a)
                  and a.start_date.timestamp() > after and (before is None or a.start_date.timestamp() < before)]
        # Strava lists oldest first when `after` is given, newest first otherwise
        chosen.sort(key=lambda a: a.start_date, reverse="after" not in request.args)
        window = chosen[(page - 1) * per_page: page * per_page]
        return reply([summary(a) for a in window], schema="SummaryActivity")

    @app.get("/api/v3/activities/<int:activity_id>")
    def activity(activity_id: int) -> Response:
        if activity_id not in state.activities or not mine(state.activities[activity_id]):
            return fault(404, "GET")
        return reply(detail(state.activities[activity_id]), schema="DetailedActivity")

    @app.put("/api/v3/activities/<int:activity_id>")
    def update(activity_id: int) -> Response:
        if activity_id not in state.activities or not mine(state.activities[activity_id]):
            return fault(404, "PUT")
        values = request.get_json(silent=True) or request.form.to_dict() or request.args.to_dict()
        a = state.activities[activity_id]
        if "description" in values:
            a.description = values["description"]
            state.writes.append(activity_id)
        if "name" in values:
            a.name = values["name"]
        state.kill_client("after_applying")  # the write happened; the client dies before it hears so
        return reply(detail(a), method="PUT", schema="DetailedActivity")

    @app.get("/api/v3/activities/<int:activity_id>/streams")
    def streams(activity_id: int) -> Response:
        if activity_id not in state.activities or not mine(state.activities[activity_id]):
            return fault(404, "GET")
        keys = [k for k in request.args.get("keys", "distance").split(",") if k]
        all_streams = _Streams.of(state.activities[activity_id])
        size = len(all_streams["time"])
        body = {k: {"data": all_streams[k], "series_type": "time" if k != "distance" else "distance",
                    "original_size": size, "resolution": "high"} for k in keys if k in all_streams}
        if request.args.get("key_by_type", "").lower() != "true":  # stravalib sends True
            body = [{"type": k, **v} for k, v in body.items()]  # type: ignore[assignment]
        else:
            _validated(body, "StreamSet")
        return reply(body)

    @app.get("/api/v3/gear/<gear_id>")
    def gear(gear_id: str) -> Response:
        body = copy.deepcopy(_recorded("GET_gear_id.json")["response"]["body"])
        body["id"] = gear_id
        return reply(body, schema="DetailedGear")

    @app.route("/api/v3/push_subscriptions", methods=["GET", "POST"])
    def subscriptions() -> Response:
        values = request.form.to_dict() or request.args.to_dict()
        if values.get("client_id") != str(state.client_id) or values.get("client_secret") != state.client_secret:
            return fault(401, request.method)
        if request.method == "GET":
            return reply(list(state.subscriptions.values()))
        # Like Strava: validate the callback first, then create the subscription.
        challenge = "15f7d1a91c1f40"
        direct = requests.Session()
        direct.trust_env = False  # Strava reaches the callback directly, not through the test's proxy
        check = direct.get(values["callback_url"], params={"hub.mode": "subscribe", "hub.challenge": challenge,
                                                             "hub.verify_token": values.get("verify_token", "")},
                           timeout=2)
        if check.status_code != 200 or check.json().get("hub.challenge") != challenge:
            return reply({"message": "Bad Request", "errors": [{
                "resource": "PushSubscription", "field": "callback url",
                "code": "GET to callback URL does not return 200"}]}, 400)
        new_id = 131300 + len(state.subscriptions)
        created = {**SUBSCRIPTION_TEMPLATE, "id": new_id, "application_id": state.client_id,
                   "callback_url": values["callback_url"]}
        state.subscriptions[new_id] = created
        return reply(created, 201, "POST")

    @app.delete("/api/v3/push_subscriptions/<int:subscription_id>")
    def unsubscribe(subscription_id: int) -> Response:
        values = request.form.to_dict() or request.args.to_dict()
        if values.get("client_id") != str(state.client_id) or values.get("client_secret") != state.client_secret:
            return fault(401, "DELETE")
        if state.subscriptions.pop(subscription_id, None) is None:
            return fault(404, "DELETE")
        return Response(status=204)

    @app.errorhandler(404)
    def unknown(_: Exception) -> Response:
        return jsonify(FAULT_404), 404

    return app

"""A fake Garmin Connect (connectapi.garmin.com) and its DI token endpoint (diauth.garmin.com).

Bodies are the recorded ones in tests/wire/garmin with the test's values put
in: the activity search (a JSON array), the activity (no ``description`` key
when it is empty), the description PUT (204), the ORIGINAL download (a zip
holding ``{id}_ACTIVITY.fit``), the social profile and user settings
``Garmin.login`` reads, workouts, schedules and gear. Access needs a valid
Bearer DI token (a JWT whose ``exp`` the client checks); errors use Garmin's
shapes; any request can be made to fail with 401, 404, 429 or 5xx.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from tests.fakes.hooks import Hook, Hooks

WIRE = Path(__file__).resolve().parents[1] / "wire" / "garmin"


def _recorded(name: str, index: int = 0) -> dict[str, Any]:
    data = json.loads((WIRE / name).read_text())
    return data["exchanges"][index] if "exchanges" in data else data


SEARCH_ITEM = _recorded("GET_activitylist-service_activities_search_activities.json")["response"]["body"][0]
ACTIVITY = _recorded("GET_activity-service_activity_id.json", 1)["response"]["body"]
SOCIAL_PROFILE = _recorded("GET_userprofile-service_socialProfile.json")["response"]["body"]
USER_SETTINGS = _recorded("GET_userprofile-service_userprofile_user-settings.json")["response"]["body"]
STORED_WORKOUT = _recorded("workout/GET_workout-service_workout_id.json")["body"]
GEAR = _recorded("gear/GET_gear-service_gear_filterGear.json")["body"][0]
RECORDED_ZIP = (WIRE / "download-service_files_activity_11998957007.zip").read_bytes()
NOT_FOUND = {"message": "HTTP 404 Not Found", "error": "NotFoundException"}


def jwt(expires_at: float, client_id: str = "GARMIN_CONNECT_MOBILE_ANDROID_DI", jti: str = "1") -> str:
    """A token shaped like Garmin's DI access token: the client reads ``exp`` and ``client_id``."""
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"exp": int(expires_at), "client_id": client_id, "jti": jti}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


@dataclass
class FakeGarminActivity:
    id: int
    start_gmt: datetime
    fit_path: Path | None = None
    zip_bytes: bytes | None = None
    type_key: str = "running"
    name: str = "Morning Run"
    description: str | None = None
    distance: float = 5000.0
    duration: float = 1800.0
    gear_uuid: str | None = None


@dataclass
class GarminState:
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=lambda: {"di-refresh-1"})
    issued: int = 1
    activities: dict[int, FakeGarminActivity] = field(default_factory=dict)
    workouts: dict[int, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[int, dict[str, Any]] = field(default_factory=dict)
    gear: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[tuple[str, str, int]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 900_000_000
    hooks: Hooks = field(default_factory=Hooks)        # the athlete acting between our requests
    writes: list[int] = field(default_factory=list)   # activity ids whose description we changed

    def on(self, method: str, path: str, action: Callable[[GarminState], None], **kwargs: Any) -> Hook:
        return self.hooks.add(Hook(method, path, action, **kwargs))

    def athlete_types(self, activity_id: int, text: str) -> None:
        """The athlete saves ``text`` in the app (not one of our writes)."""
        self.activities[activity_id].description = text

    def add(self, activity: FakeGarminActivity) -> FakeGarminActivity:
        self.activities[activity.id] = activity
        return activity

    def fail_next(self, method: str, path: str, status: int) -> None:
        self.failures.append((method, path, status))

    def requests_to(self, pattern: str) -> list[str]:
        return [line for line in self.log if re.search(pattern, line)]

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def create_app(state: GarminState) -> Flask:
    app = Flask("fake-garmin-connect")

    @app.before_request
    def gate() -> Response | None:
        state.hooks.run("before", request.method, request.path, state)
        with state.lock:
            state.log.append(f"{request.method} {request.full_path.rstrip('?')}")
            for i, (method, pattern, status) in enumerate(state.failures):
                if method == request.method and re.search(pattern, request.path):
                    del state.failures[i]
                    if status == 404:
                        return _json(NOT_FOUND, 404)
                    return Response(status=status)  # Garmin's 401/429/5xx carry no documented body
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token not in state.access_tokens:
            return Response(status=401)
        return None

    @app.after_request
    def after(response: Response) -> Response:
        state.hooks.run("after", request.method, request.path, state)
        return response

    def search_item(a: FakeGarminActivity) -> dict[str, Any]:
        body = copy.deepcopy(SEARCH_ITEM)
        body.update(activityId=a.id, activityName=a.name, startTimeGMT=a.start_gmt.strftime("%Y-%m-%d %H:%M:%S"),
                    startTimeLocal=a.start_gmt.strftime("%Y-%m-%d %H:%M:%S"), distance=a.distance,
                    duration=a.duration, movingDuration=a.duration)
        body["activityType"] = {**body["activityType"], "typeKey": a.type_key}
        return body

    @app.get("/userprofile-service/socialProfile")
    def social() -> Response:
        return _json(SOCIAL_PROFILE)

    @app.get("/userprofile-service/userprofile/user-settings")
    def settings() -> Response:
        return _json(USER_SETTINGS)

    @app.get("/activitylist-service/activities/search/activities")
    def search() -> Response:
        start, limit = int(request.args.get("start", 0)), int(request.args.get("limit", 20))
        since = request.args.get("startDate")
        chosen = [a for a in state.activities.values()
                  if since is None or a.start_gmt.date().isoformat() >= since]
        chosen.sort(key=lambda a: a.start_gmt, reverse=request.args.get("sortOrder") != "asc")
        return _json([search_item(a) for a in chosen[start:start + limit]])

    @app.get("/activity-service/activity/<int:activity_id>")
    def activity(activity_id: int) -> Response:
        a = state.activities.get(activity_id)
        if a is None:
            return _json(NOT_FOUND, 404)
        body = copy.deepcopy(ACTIVITY)
        body.update(activityId=a.id, activityName=a.name)
        body["activityTypeDTO"] = {**body["activityTypeDTO"], "typeKey": a.type_key}
        body.pop("description", None)
        if a.description:
            body["description"] = a.description  # Garmin leaves the key out when it is empty
        return _json(body)

    @app.put("/activity-service/activity/<int:activity_id>")
    def update(activity_id: int) -> Response:
        a = state.activities.get(activity_id)
        if a is None:
            return _json(NOT_FOUND, 404)
        body = request.get_json()
        if str(body.get("activityId")) != str(activity_id):  # garminconnect sends it as a string; both are fine
            return _json({"message": "activityId does not match"}, 400)
        if "description" in body:
            a.description = body["description"]
            state.writes.append(activity_id)
        if "activityName" in body:
            a.name = body["activityName"]
        return Response(status=204)

    @app.get("/download-service/files/activity/<int:activity_id>")
    def download(activity_id: int) -> Response:
        a = state.activities.get(activity_id)
        if a is None:
            return _json(NOT_FOUND, 404)
        if a.zip_bytes is not None:
            data = a.zip_bytes
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                assert a.fit_path is not None
                archive.writestr(f"{a.id}_ACTIVITY.fit", a.fit_path.read_bytes())
            data = buffer.getvalue()
        response = Response(data, mimetype="application/x-zip-compressed")
        response.headers["content-disposition"] = f'attachment; filename="{activity_id}.zip"'
        return response

    @app.post("/workout-service/workout")
    def create_workout() -> Response:
        body = request.get_json()
        workout_id = state.new_id()
        stored = {**copy.deepcopy(body), "workoutId": workout_id, "ownerId": STORED_WORKOUT["ownerId"],
                  "createdDate": "2026-11-24T06:00:00.0", "updatedDate": "2026-11-24T06:00:00.0"}
        for segment in stored["workoutSegments"]:
            for step in segment["workoutSteps"]:
                step["stepId"] = state.new_id()
                for child in step.get("workoutSteps", []):
                    child["stepId"] = state.new_id()
        state.workouts[workout_id] = stored
        return _json(stored)

    @app.put("/workout-service/workout/<int:workout_id>")
    def update_workout(workout_id: int) -> Response:
        if workout_id not in state.workouts:
            return _json(NOT_FOUND, 404)
        state.workouts[workout_id] = {**request.get_json(), "workoutId": workout_id}
        return Response(status=204)

    @app.delete("/workout-service/workout/<int:workout_id>")
    def delete_workout(workout_id: int) -> Response:
        if state.workouts.pop(workout_id, None) is None:
            return _json(NOT_FOUND, 404)
        return Response(status=204)

    @app.post("/workout-service/schedule/<int:workout_id>")
    def schedule(workout_id: int) -> Response:
        if workout_id not in state.workouts:
            return _json(NOT_FOUND, 404)
        schedule_id = state.new_id()
        entry = {"workoutScheduleId": schedule_id, "calendarDate": request.get_json()["date"],
                 "workout": {"workoutId": workout_id, "workoutName": state.workouts[workout_id]["workoutName"]}}
        state.schedules[schedule_id] = entry
        return _json(entry)

    @app.delete("/workout-service/schedule/<int:schedule_id>")
    def unschedule(schedule_id: int) -> Response:
        if state.schedules.pop(schedule_id, None) is None:
            return _json(NOT_FOUND, 404)
        return Response(status=204)

    @app.get("/gear-service/gear/filterGear")
    def gear() -> Response:
        if "activityId" in request.args:
            a = state.activities.get(int(request.args["activityId"]))
            return _json([state.gear[a.gear_uuid]] if a and a.gear_uuid in state.gear else [])
        return _json(list(state.gear.values()))

    @app.get("/gear-service/gear/stats/<uuid>")
    def gear_stats(uuid: str) -> Response:
        if uuid not in state.gear:
            return _json(NOT_FOUND, 404)
        return _json({"uuid": uuid, "totalDistance": 412_345.0, "totalActivities": 57})

    return app


def create_diauth_app(state: GarminState) -> Flask:
    """diauth.garmin.com: the DI OAuth2 token endpoint garminconnect refreshes with."""
    app = Flask("fake-garmin-diauth")

    @app.post("/di-oauth2-service/oauth/token")
    def token() -> Response:
        state.log.append("POST diauth/token")
        if request.form.get("grant_type") != "refresh_token" or \
                request.form.get("refresh_token") not in state.refresh_tokens:
            return _json({"error": "invalid_grant"}, 400)
        state.refresh_tokens.discard(request.form["refresh_token"])
        state.issued += 1
        access = jwt(time.time() + 3600, jti=str(state.issued))
        refresh = f"di-refresh-{state.issued}"
        state.access_tokens = {access}
        state.refresh_tokens.add(refresh)
        return _json({"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": 3600,
                      "scope": "CONNECT_READ CONNECT_WRITE", "jti": str(state.issued),
                      "refresh_token_expires_in": 2591999})

    return app


def gear_item(uuid: str, name: str) -> dict[str, Any]:
    return {**copy.deepcopy(GEAR), "uuid": uuid, "displayName": name, "customMakeModel": name,
            "gearTypeName": "Shoes", "gearStatusName": "active"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)

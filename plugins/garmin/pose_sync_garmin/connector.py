"""The Garmin connector: list runs by date, fetch the ORIGINAL file, write the note, push workouts, shoes.

Requests per run: the listing (100 a page) says what is a run; a run then
costs the ORIGINAL download (the full FIT file with running dynamics), one
gear lookup, one activity read (the current description, just before the
write), one update when the note changes and one read to check it landed.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from garminconnect import Garmin

from pose_sync.connectors import Check, Fetched, RemoteActivity
from pose_sync.errors import InputError, NotFound
from pose_sync.store import QUALITY_FIT
from pose_sync.workouts.garmin_json import to_garmin
from pose_sync.workouts.model import Workout
from pose_sync_garmin.session import TOKEN_FILE, GarminSession, register_tokens, token_dir
from pose_sync_garmin.settings import GarminSettings

SEARCH = "/activitylist-service/activities/search/activities"
RUNNING = {"running", "trail_running", "treadmill_running", "track_running", "street_running", "indoor_running",
           "virtual_run", "ultra_run", "obstacle_run"}
SPORTS = {"cycling": "cycling", "road_biking": "cycling", "mountain_biking": "cycling", "indoor_cycling": "cycling",
          "virtual_ride": "cycling", "gravel_cycling": "cycling", "walking": "walking", "hiking": "walking",
          "lap_swimming": "swimming", "open_water_swimming": "swimming", "multi_sport": "unknown",
          "triathlon": "unknown"}


def sport_of(type_key: str | None) -> str:
    if type_key in RUNNING:
        return "running"
    return SPORTS.get(type_key or "", type_key or "unknown")


def fit_from_zip(data: bytes, activity_id: str) -> bytes:
    """The FIT file inside Garmin's ORIGINAL download ({id}_ACTIVITY.fit)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".fit")]
            if not names:
                raise InputError(f"garmin:{activity_id}: the download holds no FIT file (a manual activity?)")
            return archive.read(sorted(names)[0])
    except zipfile.BadZipFile:
        if data[8:12] == b".FIT":
            return data  # some uploads come back as a bare FIT file
        raise InputError(f"garmin:{activity_id}: the download is neither a zip nor a FIT file") from None


class GarminConnector:
    name = "garmin"
    supports_notes = True
    source_quality = QUALITY_FIT

    def __init__(self, settings: GarminSettings, data_dir: Path) -> None:
        self.settings = settings
        self.folder = token_dir(data_dir, settings.tokenstore)
        self.session = GarminSession(self.folder)
        self._descriptions: dict[str, str] = {}

    # --- activities -------------------------------------------------------------

    def _remote(self, item: Mapping[str, Any]) -> RemoteActivity:
        start = datetime.strptime(item["startTimeGMT"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        type_key = (item.get("activityType") or item.get("activityTypeDTO") or {}).get("typeKey")
        return RemoteActivity(platform="garmin", remote_id=str(item["activityId"]), start_time=start,
                              sport=sport_of(type_key), distance_m=item.get("distance"),
                              name=item.get("activityName"),
                              summary={"type_key": type_key, "duration": item.get("duration")})

    def list_activities(self, after: datetime | None) -> Iterator[RemoteActivity]:
        """Oldest first, a page of ``page_size`` per request, from the day of ``after``."""
        if after is None:
            days = self.settings.backfill_days
            after = datetime.now(timezone.utc) - timedelta(days=days) if days else datetime(1990, 1, 1,
                                                                                           tzinfo=timezone.utc)
        start = 0
        size = self.settings.page_size
        since = after.date().isoformat()
        while True:
            def listing(garmin: Garmin, first: int = start) -> list[dict[str, Any]]:
                return garmin.connectapi(SEARCH, params={"startDate": since, "start": str(first), "limit": str(size),
                                                         "sortOrder": "asc"})

            page = self.session.call("listing activities", listing)
            for item in page or []:
                remote = self._remote(item)
                if remote.start_time > after:
                    yield remote
            if not page or len(page) < size:
                return
            start += size

    def get_activity(self, remote_id: str) -> RemoteActivity:
        body = self.session.call(f"reading activity {remote_id}",
                                 lambda g: g.connectapi(f"/activity-service/activity/{remote_id}"))
        summary = body.get("summaryDTO") or {}
        self._descriptions[remote_id] = body.get("description") or ""
        return self._remote({"activityId": body["activityId"], "activityName": body.get("activityName"),
                             "activityTypeDTO": body.get("activityTypeDTO"), "distance": summary.get("distance"),
                             "startTimeGMT": str(summary.get("startTimeGMT", "")).replace("T", " ")[:19]})

    def fetch(self, activity: RemoteActivity) -> Fetched:
        data = self.session.call(f"downloading activity {activity.remote_id}", lambda g: g.download_activity(
            activity.remote_id, dl_fmt=Garmin.ActivityDownloadFormat.ORIGINAL))
        gear = self.session.call(f"reading the gear of activity {activity.remote_id}", lambda g: g.connectapi(
            "/gear-service/gear/filterGear", params={"activityId": activity.remote_id}))
        shoes = [g for g in gear or [] if (g.get("gearTypeName") or "").lower() == "shoes"] or list(gear or [])
        return Fetched(fit_bytes=fit_from_zip(data, activity.remote_id),
                       gear_id=shoes[0]["uuid"] if shoes else None,
                       description=self._descriptions.pop(activity.remote_id, None))

    def read_description(self, activity: RemoteActivity) -> str:
        self._descriptions.pop(activity.remote_id, None)  # what get_activity read is older than this
        body = self.session.call(f"reading activity {activity.remote_id}",
                                 lambda g: g.connectapi(f"/activity-service/activity/{activity.remote_id}"))
        return body.get("description") or ""  # Garmin leaves the key out when the description is empty

    def write_description(self, activity: RemoteActivity, text: str) -> None:
        def write(garmin: Garmin) -> Any:
            if hasattr(garmin, "set_activity_description"):  # newer garminconnect releases
                return garmin.set_activity_description(activity.remote_id, text)
            return garmin.client.put("connectapi", f"/activity-service/activity/{activity.remote_id}",
                                     json={"activityId": activity.remote_id, "description": text}, api=True)

        self.session.call(f"writing the description of activity {activity.remote_id}", write)

    def describe_gear(self, gear_id: str) -> tuple[str | None, str | None, float | None]:
        pk = self.session.profile_pk()
        gear = self.session.call("listing gear", lambda g: g.get_gear(str(pk)))
        item: dict[str, Any] = next((g for g in gear or [] if g.get("uuid") == gear_id), {})
        stats = self.session.call(f"reading gear {gear_id}", lambda g: g.get_gear_stats(gear_id)) or {}
        name = item.get("displayName") or item.get("customMakeModel")
        kind = (item.get("gearTypeName") or "").lower() or None
        return name, kind, stats.get("totalDistance")

    # --- workouts ---------------------------------------------------------------

    def push_workout(self, workout: Workout, previous: Mapping[str, Any] | None) -> dict[str, Any]:
        """Create (or update in place) the workout and put it on its date; returns the ids to keep."""
        body = to_garmin(workout)
        if previous and previous.get("workout_id"):
            workout_id = int(previous["workout_id"])
            try:
                self.session.call("updating a workout", lambda g: g.client.put(
                    "connectapi", f"/workout-service/workout/{workout_id}", json={**body, "workoutId": workout_id},
                    api=True))
            except NotFound:
                return self.push_workout(workout, None)  # deleted on the watch side: create it again
            if previous.get("schedule_id") and previous.get("scheduled_date") == workout.scheduled_date.isoformat():
                return {"workout_id": workout_id, "schedule_id": previous["schedule_id"]}
            if previous.get("schedule_id"):
                self._unschedule(int(previous["schedule_id"]))
        else:
            created = self.session.call("uploading a workout", lambda g: g.upload_workout(body))
            workout_id = int(created["workoutId"])
        scheduled = self.session.call("scheduling a workout", lambda g: g.schedule_workout(
            workout_id, workout.scheduled_date.isoformat()))
        return {"workout_id": workout_id, "schedule_id": scheduled.get("workoutScheduleId")}

    def _unschedule(self, schedule_id: int) -> None:
        with contextlib.suppress(NotFound):  # already gone
            self.session.call("removing a workout from the calendar", lambda g: g.unschedule_workout(schedule_id))

    def remove_workout(self, detail: Mapping[str, Any]) -> None:
        if detail.get("schedule_id"):
            self._unschedule(int(detail["schedule_id"]))
        if detail.get("workout_id"):
            with contextlib.suppress(NotFound):
                self.session.call("deleting a workout", lambda g: g.delete_workout(int(detail["workout_id"])))

    # --- doctor -----------------------------------------------------------------

    def checks(self) -> list[Check]:
        data = register_tokens(self.folder)
        if not data:
            return [Check("tokens", False, f"not connected: run `pose-sync auth garmin` (no {TOKEN_FILE} in"
                                          f" {self.folder})")]
        try:
            payload = data["di_token"].split(".")[1]
            exp = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]
            until = datetime.fromtimestamp(int(exp), timezone.utc)
            detail = f"access token valid until {until:%Y-%m-%d %H:%M} UTC"
        except (KeyError, IndexError, ValueError, TypeError):
            detail = "access token present"
        if data.get("di_refresh_token"):
            detail += "; refresh token present (refreshed automatically, lasts about 30 days)"
        return [Check("tokens", True, detail)]

    def close(self) -> None:
        return None

"""The Strava connector: list, fetch streams, read and write descriptions, describe gear.

Requests per activity are kept to the minimum: listing pages (200 a page)
say what is a run, so other sports cost nothing; a run costs one streams
request, one activity request (its description: the athlete's text must be
read just before our block is merged in) and one update when the note changes;
the update's answer carries the description as stored, so reading it back is free.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from stravalib import Client, model

from pose_sync.connectors import Check, Fetched, RemoteActivity
from pose_sync.errors import InputError
from pose_sync.store import QUALITY_STREAMS
from pose_sync_strava.api import StravaApi
from pose_sync_strava.auth import missing_scope
from pose_sync_strava.settings import StravaSettings
from pose_sync_strava.streams import STREAM_TYPES, activity_from_streams, sport_of

PAGE = 200


def _summary(activity: Any) -> dict[str, Any]:
    """The fields of a Summary/DetailedActivity the pipeline and conversion need, JSON-ready."""
    sport_type = getattr(activity.sport_type, "root", activity.sport_type) or getattr(activity.type, "root", None)
    return {
        "sport_type": sport_type, "name": activity.name, "distance": float(activity.distance or 0.0),
        "moving_time": int(activity.moving_time or 0), "elapsed_time": int(activity.elapsed_time or 0),
        "average_speed": float(activity.average_speed) if activity.average_speed is not None else None,
        "average_heartrate": activity.average_heartrate, "average_cadence": activity.average_cadence,
        "average_watts": activity.average_watts, "gear_id": activity.gear_id,
        "device_name": getattr(activity, "device_name", None), "external_id": activity.external_id,
    }


class StravaConnector:
    name = "strava"
    supports_notes = True
    source_quality = QUALITY_STREAMS

    def __init__(self, settings: StravaSettings, data_dir: Path, api: StravaApi | None = None) -> None:
        self.settings = settings
        self.api = api if api is not None else StravaApi(settings, data_dir)
        self._descriptions: dict[str, str] = {}

    def _remote(self, activity: Any) -> RemoteActivity:
        summary = _summary(activity)
        start = activity.start_date if activity.start_date.tzinfo else activity.start_date.replace(tzinfo=timezone.utc)
        return RemoteActivity(platform="strava", remote_id=str(activity.id), start_time=start.astimezone(timezone.utc),
                              sport=sport_of(summary["sport_type"]), distance_m=summary["distance"],
                              name=activity.name, gear_id=activity.gear_id, summary=summary)

    def list_activities(self, after: datetime | None) -> Iterator[RemoteActivity]:
        """Oldest first (Strava sorts ascending when ``after`` is given), one request per 200."""
        if after is None:
            days = self.settings.backfill_days
            everything = datetime(1970, 1, 2, tzinfo=timezone.utc)
            after = datetime.now(timezone.utc) - timedelta(days=days) if days else everything
        since = int(after.timestamp())
        page = 1
        while True:
            def listing(client: Client, number: int = page) -> list[Any]:
                return list(client.protocol.get("/athlete/activities", after=since, page=number, per_page=PAGE))

            batch = self.api.call("listing activities", listing)
            for raw in batch:
                yield self._remote(model.SummaryActivity.model_validate(raw))
            if len(batch) < PAGE:
                return
            page += 1

    def get_activity(self, remote_id: str) -> RemoteActivity:
        detail = self.api.call(f"reading activity {remote_id}", lambda c: c.get_activity(int(remote_id)))
        self._descriptions[remote_id] = detail.description or ""
        return self._remote(detail)

    def fetch(self, activity: RemoteActivity) -> Fetched:
        streams = self.api.call(f"reading the streams of activity {activity.remote_id}",
                                lambda c: c.get_activity_streams(int(activity.remote_id), types=STREAM_TYPES))
        try:
            converted = activity_from_streams(streams, activity_id=activity.remote_id,
                                              sport_type=activity.summary.get("sport_type"),
                                              start=activity.start_time, summary=activity.summary)
        except ValueError as exc:
            raise InputError(f"strava:{activity.remote_id}: no usable streams ({exc}); manual activity?") from None
        return Fetched(activities=[converted], description=self._descriptions.pop(activity.remote_id, None))

    def read_description(self, activity: RemoteActivity) -> str:
        self._descriptions.pop(activity.remote_id, None)  # what get_activity read is older than this
        detail = self.api.call(f"reading activity {activity.remote_id}",
                               lambda c: c.get_activity(int(activity.remote_id)))
        return detail.description or ""

    def write_description(self, activity: RemoteActivity, text: str) -> str:
        """The update answers with the whole activity: the read-back costs no request."""
        updated = self.api.call(f"writing the description of activity {activity.remote_id}",
                                lambda c: c.update_activity(int(activity.remote_id), description=text))
        return updated.description or ""

    def describe_gear(self, gear_id: str) -> tuple[str | None, str | None, float | None]:
        """(name, kind, total distance m) of a gear id, for shoe mileage."""
        gear = self.api.call(f"reading gear {gear_id}", lambda c: c.get_gear(gear_id))
        kind = "shoes" if gear_id.startswith("g") else "bike" if gear_id.startswith("b") else None
        name = " ".join(p for p in (gear.brand_name, gear.model_name) if p) or gear.name
        return name, kind, float(gear.distance) if gear.distance is not None else None

    def checks(self) -> list[Check]:
        tokens = self.api.tokens.load()
        if tokens is None:
            return [Check("tokens", False, "not connected: run `pose-sync auth strava`")]
        who = tokens.athlete_name or f"athlete {tokens.athlete_id}"
        expiry = datetime.fromtimestamp(tokens.expires_at, timezone.utc)
        found = [Check("tokens", True, f"connected as {who}; access token valid until {expiry:%Y-%m-%d %H:%M} UTC"
                       " (refreshed automatically)")]
        if tokens.scope is None:
            # `auth strava --code CODE`: Strava's token answer does not say which boxes were ticked
            found.append(Check("scope", True, "not recorded (connected with --code); if Strava refuses a note,"
                                              " run `pose-sync auth strava` again and tick every box"))
        elif missing_scope(tokens.scope):
            found.append(Check("scope", False, f"granted {tokens.scope}: notes need activity:write and"
                                               " activity:read_all; run `pose-sync auth strava` again"))
        limited = self.api.budget.exhausted("GET", margin=0)
        if limited is not None:
            found.append(Check("rate limit", None, str(limited)))
        return found

    def close(self) -> None:
        self.api.session.close()

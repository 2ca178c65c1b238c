"""An athlete's browser without a browser: a requests session through the service's pages and the fake's approval."""

from __future__ import annotations

import html
import re

import requests


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def connect(url: str, strava, athlete: int) -> requests.Session:
    """Connect with Strava as ``athlete``; the session ends on their page."""
    session = requests.Session()
    session.trust_env = False  # the service is on 127.0.0.1, not behind the test's platform proxy
    token = csrf_of(session.get(url).text)
    strava.approving = athlete
    to_strava = session.post(f"{url}/connect", data={"csrf": token}, allow_redirects=False)
    assert to_strava.status_code == 302
    approval = session.get(to_strava.headers["Location"]).text
    back = html.unescape(re.search(r'href="([^"]+)"', approval).group(1))
    landed = session.get(back)
    assert landed.url == f"{url}/me", landed.text[:300]
    return session


def post(session: requests.Session, url: str, path: str, data: dict | None = None, **kwargs) -> requests.Response:
    """A form post with the session's own CSRF token, as the page would send it."""
    token = csrf_of(session.get(f"{url}/me").text)
    return session.post(f"{url}{path}", data={"csrf": token, **(data or {})}, allow_redirects=False, **kwargs)


def event(athlete: int, activity_id: int, aspect: str = "create", **updates: str) -> dict:
    import time

    return {"object_type": "activity", "aspect_type": aspect, "object_id": activity_id, "owner_id": athlete,
            "subscription_id": 1, "event_time": int(time.time()), "updates": updates}


def send_event(url: str, body: dict) -> requests.Response:
    return requests.post(f"{url}/webhook", json=body, timeout=10, proxies={"http": "", "https": ""})

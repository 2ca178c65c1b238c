"""Athlete A can never read or change B's runs, settings or pages: every athlete URL and form tried as the wrong
athlete, with forged run ids, forged and swapped cookies and missing CSRF tokens; the admin page holds no
athlete's Strava data; a coach sees no Strava data and is told so."""

from __future__ import annotations

import re

import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import sample
from tests.service.web_client import connect, post

A, B = 134815, 200001
UPLOAD = "dtcooper_python-fitparse/garmin-fenix-5-run.fit"


def _upload(session: requests.Session, url: str) -> int:
    with open(sample(UPLOAD), "rb") as handle:
        sent = post(session, url, "/me/upload", files={"fit": ("run.fit", handle)})
    assert sent.status_code == 302 and "/me/runs/" in sent.headers["Location"], sent.text[:200]
    return int(sent.headers["Location"].rsplit("/", 1)[1])


def _forged_cookie(athlete_id: int) -> str:
    """A session cookie for ``athlete_id`` signed with a key that is not the service's."""
    other = Flask("forger")
    other.secret_key = "not-the-service-key"
    serializer = SecureCookieSessionInterface().get_signing_serializer(other)
    assert serializer is not None
    return serializer.dumps({"athlete": athlete_id, "csrf": "x"})


def test_one_athlete_never_reaches_another(service):
    url = service.url
    a = connect(url, service.strava, A)
    b = connect(url, service.strava, B)
    a_run = _upload(a, url)
    b_run = _upload(b, url)   # the same file: each athlete's own row
    assert a_run != b_run
    assert a.get(f"{url}/me/runs/{a_run}").status_code == 200

    # B tries A's run by id, on every page that takes one
    for path in (f"/me/runs/{a_run}", f"/me/runs/{a_run}/", f"/me/runs/{a_run + 1000}"):
        assert b.get(f"{url}{path}").status_code == 404
    assert f"/me/runs/{a_run}\"" not in b.get(f"{url}/me").text

    # forms carry no athlete: a forged field changes B's own settings only
    post(b, url, "/me/settings", {"athlete": str(A), "athlete_id": str(A), "program_start": "2026-01-05",
                                  "max_heart_rate_bpm": "175"})
    assert 'value="2026-01-05"' in b.get(f"{url}/me").text
    assert 'value="2026-01-05"' not in a.get(f"{url}/me").text

    # no CSRF token, or A's token with B's cookie: refused, nothing changed
    assert b.post(f"{url}/me/settings", data={"program_start": "2020-01-01"}).status_code == 400
    a_token = re.search(r'name="csrf" value="([^"]+)"', a.get(f"{url}/me").text).group(1)
    assert b.post(f"{url}/me/disconnect", data={"csrf": a_token}).status_code == 400
    assert b.get(f"{url}/me").url == f"{url}/me"   # still connected

    # a cookie forged for A (wrong key), a tampered one, none at all: nobody's page
    for cookie in (_forged_cookie(1), b.cookies["pose_sync"][:-2] + "xx", ""):
        stranger = requests.Session()
        stranger.trust_env = False
        stranger.cookies.set("pose_sync", cookie)
        for path in ("/me", "/me/report", f"/me/runs/{a_run}"):
            assert stranger.get(f"{url}{path}").url == f"{url}/"
        assert stranger.post(f"{url}/me/disconnect", data={"csrf": "x"}).status_code == 400

    # A's report page is A's alone (B's shows B's runs only)
    assert b.get(f"{url}/me/report").status_code == 200

    # the coach link: only watch-file runs, said so; an unknown link is not found
    post(a, url, "/me/share")
    link = re.search(r'<code id="share-url">([^<]+)</code>', a.get(f"{url}/me").text).group(1)
    coach = requests.get(link, proxies={"http": "", "https": ""})
    assert coach.status_code == 200 and "nothing from Strava appears here" in coach.text
    assert requests.get(f"{url}/coach/not-a-link", proxies={"http": "", "https": ""}).status_code == 404

    # the operator's page: athletes by number, no names from Strava; closed without the password
    assert requests.get(f"{url}/admin", proxies={"http": "", "https": ""}).status_code == 401
    page = requests.get(f"{url}/admin", auth=("admin", "operator-pw"), proxies={"http": "", "https": ""}).text
    assert "Athletes (2)" in page and "Daniel" not in page and "Block" not in page

    # B disconnects: A keeps everything
    post(b, url, "/me/disconnect")
    assert a.get(f"{url}/me/runs/{a_run}").status_code == 200
    assert b.get(f"{url}/me").url == f"{url}/"


def test_secrets_never_reach_the_pages_or_the_logs(service):
    session = connect(service.url, service.strava, A)
    pages = session.get(f"{service.url}/me").text + session.get(f"{service.url}/me/report").text
    admin = requests.get(f"{service.url}/admin", auth=("admin", "operator-pw"), proxies={"http": "", "https": ""})
    import sqlalchemy as sa

    engine = sa.create_engine(service.database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as db:
        sealed = db.exec_driver_sql("SELECT strava_tokens FROM athletes WHERE strava_id = %s" % A).scalar()
    engine.dispose()
    for secret in ("access-token-", "refresh-token-", "fake-client-secret"):
        assert secret not in pages and secret not in admin.text and secret not in sealed   # sealed at rest

"""The whole web flow in headless Chromium (Debian's chromium, driven by Playwright): connect with Strava on the
fake's approval page, land on the athlete page, see the history noted by a real worker, change a setting, upload
a FIT file and see its analysis, disconnect and find nothing of the athlete left."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from tests.conftest import sample

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--no-proxy-server"]


@pytest.fixture
def browser():
    if shutil.which(CHROMIUM) is None:
        pytest.skip("no Debian chromium at /usr/bin/chromium (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def test_connect_settings_upload_and_disconnect_in_a_real_browser(service, browser):
    athlete = 134815
    service.add_runs(athlete, 9001)
    service.start_worker()
    page = browser.new_page()
    page.goto(service.url)
    page.click("#connect")
    assert page.url.startswith(service.authorize_url)          # Strava's approval page
    page.click("#authorize")
    page.wait_for_url(f"{service.url}/me")
    cookie = next(c for c in page.context.cookies() if c["name"] == "pose_sync")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # the worker backfills the history and writes each note once
    service.wait_for(lambda: sorted(service.strava.writes) == [9001, 9002], what="notes under both runs")
    page.reload()
    assert page.locator("#runs tr").count() == 3                # a header and two runs
    assert len(service.strava.writes) == 2                      # each noted exactly once
    assert "strava" in page.inner_text("#runs")
    assert "My own words." in service.strava.activities[9001].description  # the athlete's text kept

    # a setting survives a reload
    page.fill("#program_start", "2026-03-02")
    page.fill("#max_heart_rate_bpm", "188")
    page.uncheck("#notes")
    page.click("#save")
    assert page.inner_text("#notice") == "Settings saved."
    page.reload()
    assert page.input_value("#program_start") == "2026-03-02" and page.input_value("#max_heart_rate_bpm") == "188"
    assert not page.is_checked("#notes")
    assert page.frame_locator("#report").locator("body").inner_text()  # the progression report renders

    # a FIT upload is analysed and shown
    page.set_input_files("#fit", str(sample("dtcooper_python-fitparse/garmin-fenix-5-run.fit")))
    page.click("#upload")
    page.wait_for_url(f"{service.url}/me/runs/*")
    shown = page.inner_text("#analysis")
    assert "km" in shown and "file" in shown and page.inner_text("#form-score").strip()

    # disconnect: deauthorised at Strava, and nothing of the athlete is left
    page.goto(f"{service.url}/me")
    page.click("#disconnect")
    assert "deleted" in page.inner_text("body")
    engine = sa.create_engine(service.database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as db:
        from pose_sync.store import tables

        left = {t.name: db.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in tables.OWNED}
        athletes = db.execute(sa.select(sa.func.count()).select_from(tables.athletes)
                              .where(tables.athletes.c.strava_id.is_not(None))).scalar()
    engine.dispose()
    assert athletes == 0 and not any(left.values()), left
    page.goto(f"{service.url}/me")
    assert page.url == f"{service.url}/"                        # the old cookie opens nothing any more


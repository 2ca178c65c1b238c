"""The SQLite schema, as an ordered list of migrations.

``PRAGMA user_version`` holds the number of migrations applied. A migration is
never edited once released; a change is a new entry at the end. Each runs in
its own transaction, so a crash mid-upgrade leaves the previous version.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: runs, their sources on each platform, raw files, cursors, the write-back
    # ledger, the per-activity sync pipeline, the durable event queue, sync
    # history and gear.
    """
    CREATE TABLE runs (
        id               INTEGER PRIMARY KEY,
        start_time       TEXT    NOT NULL,  -- ISO 8601 UTC
        start_epoch      REAL    NOT NULL,  -- Unix seconds, for range queries and matching
        distance_m       REAL    NOT NULL,
        moving_time_s    REAL    NOT NULL,
        sport            TEXT    NOT NULL,
        form_score       REAL,
        analysis_version INTEGER NOT NULL,
        analysis_json    TEXT    NOT NULL,  -- RunAnalysis, see pose_sync.store.codec
        fit_sha256       TEXT,              -- raw FIT the analysis came from (blobs/)
        quality          INTEGER NOT NULL,  -- 2 original FIT, 1 platform streams
        gear_id          TEXT,
        created_at       TEXT    NOT NULL,
        updated_at       TEXT    NOT NULL
    );
    CREATE INDEX runs_by_start ON runs (start_epoch);

    CREATE TABLE run_sources (
        platform      TEXT    NOT NULL,     -- 'file', 'strava', 'garmin', ...
        remote_id     TEXT    NOT NULL,     -- platform id, or the file path
        member        TEXT    NOT NULL DEFAULT '',  -- zip member for files
        session_index INTEGER NOT NULL DEFAULT 0,
        run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        fit_sha256    TEXT,
        seen_at       TEXT    NOT NULL,
        PRIMARY KEY (platform, remote_id, member, session_index)
    );
    CREATE INDEX run_sources_by_run ON run_sources (run_id);

    CREATE TABLE blobs (
        sha256     TEXT PRIMARY KEY,
        size       INTEGER NOT NULL,
        stored_at  TEXT    NOT NULL
    );

    CREATE TABLE cursors (
        connector  TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE ledger (
        id             INTEGER PRIMARY KEY,
        platform       TEXT NOT NULL,
        remote_id      TEXT NOT NULL,
        kind           TEXT NOT NULL,       -- 'note', 'workout', 'schedule', 'delete'
        content_sha256 TEXT NOT NULL,
        detail         TEXT,                -- JSON: ids the platform gave back, etc.
        written_at     TEXT NOT NULL
    );
    CREATE INDEX ledger_by_target ON ledger (platform, remote_id, kind);

    CREATE TABLE sync_items (
        platform     TEXT    NOT NULL,
        remote_id    TEXT    NOT NULL,
        state        TEXT    NOT NULL,      -- listed, stored, noted, done, skipped, failed
        start_epoch  REAL,
        run_id       INTEGER REFERENCES runs (id) ON DELETE SET NULL,
        summary_json TEXT,                  -- the RemoteActivity as listed
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        updated_at   TEXT    NOT NULL,
        PRIMARY KEY (platform, remote_id)
    );
    CREATE INDEX sync_items_pending ON sync_items (platform, state);

    CREATE TABLE events (
        id           INTEGER PRIMARY KEY,
        platform     TEXT    NOT NULL,
        payload_json TEXT    NOT NULL,
        received_at  TEXT    NOT NULL,
        state        TEXT    NOT NULL DEFAULT 'pending',  -- pending, done, failed, ignored
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        processed_at TEXT
    );
    CREATE INDEX events_pending ON events (state, id);

    CREATE TABLE sync_runs (
        id           INTEGER PRIMARY KEY,
        connector    TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        outcome      TEXT,                  -- ok, partial, failed, rate_limited
        summary_json TEXT
    );
    CREATE INDEX sync_runs_by_connector ON sync_runs (connector, id);

    CREATE TABLE gear (
        platform    TEXT NOT NULL,
        gear_id     TEXT NOT NULL,
        name        TEXT,
        kind        TEXT,                   -- 'shoes', 'bike', ...
        distance_m  REAL,                   -- the platform's own total
        retired     INTEGER NOT NULL DEFAULT 0,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (platform, gear_id)
    );
    """,
    # 2: runs that came as platform streams (no FIT) keep their columnar samples
    # (compressed .npz in blobs/) so history can be re-scored without the platform.
    """
    ALTER TABLE runs ADD COLUMN samples_sha256 TEXT;
    """,
    # 3: write-back that survives real phones and a second process. The settle
    # delay starts at the upload (when the platform says it) or at pose-sync's
    # first sighting. A claim is a lease on one activity, so `serve` and a cron
    # `sync` never work on it at once (a holder killed -9 stops blocking when
    # its lease ends). A note check is the read-back pass after a write that
    # restores a note an app save removed, once. Webhook events carry the object
    # they are about (duplicates fold into one pending event) and when they are due.
    """
    ALTER TABLE sync_items ADD COLUMN first_seen_epoch REAL;
    ALTER TABLE sync_items ADD COLUMN uploaded_epoch REAL;

    CREATE TABLE claims (
        platform      TEXT NOT NULL,
        remote_id     TEXT NOT NULL,
        holder        TEXT NOT NULL,       -- host:pid:random of the process working on it
        expires_epoch REAL NOT NULL,
        PRIMARY KEY (platform, remote_id)
    );

    CREATE TABLE note_checks (
        platform      TEXT    NOT NULL,
        remote_id     TEXT    NOT NULL,
        state         TEXT    NOT NULL,    -- verify, ok, expired, gone, respected
        due_epoch     REAL,                -- when the next read-back pass may run (state verify)
        written_epoch REAL    NOT NULL,    -- our latest write: restores only within 48 h of it
        restores      INTEGER NOT NULL DEFAULT 0,
        updated_at    TEXT    NOT NULL,
        PRIMARY KEY (platform, remote_id)
    );
    CREATE INDEX note_checks_due ON note_checks (platform, state, due_epoch);

    ALTER TABLE events ADD COLUMN object_key TEXT;
    ALTER TABLE events ADD COLUMN due_epoch REAL;
    CREATE INDEX events_by_object ON events (platform, object_key, state);
    """,
    # 4: the runner's pain in their own words, per body site and day (from activity descriptions,
    # replaced whenever a description is read again, or from `pose-sync log pain`), and minutes of
    # forefoot-heavy drills a description reported (they count in the tissue load).
    """
    CREATE TABLE pain_reports (
        id          INTEGER PRIMARY KEY,
        day         TEXT    NOT NULL,      -- ISO date the pain was felt
        site        TEXT    NOT NULL,      -- body site, lower case ("achilles", "left calf")
        score       REAL    NOT NULL,      -- 0-10
        timing      TEXT    NOT NULL,      -- during (or after) a session, morning (the next morning)
        source      TEXT    NOT NULL,      -- description, log
        platform    TEXT,                  -- the activity whose description said it
        remote_id   TEXT,
        text        TEXT,                  -- the line as the runner wrote it
        recorded_at TEXT    NOT NULL
    );
    CREATE INDEX pain_by_day ON pain_reports (day);
    CREATE INDEX pain_by_activity ON pain_reports (platform, remote_id);

    CREATE TABLE drill_reports (
        platform    TEXT NOT NULL,
        remote_id   TEXT NOT NULL,
        day         TEXT NOT NULL,
        minutes     REAL NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (platform, remote_id)
    );
    """,
]

"""Strava's commands: `auth strava`, `serve`, and `strava subscribe|unsubscribe|subscriptions`."""

from __future__ import annotations

import logging
import threading
import webbrowser
from typing import Any

import click
from stravalib import Client

from pose_sync.cli.app import App
from pose_sync.errors import ConfigError, RemoteError
from pose_sync_strava.api import StravaApi
from pose_sync_strava.auth import authorization_url, catch_redirect, exchange, missing_scope, pasted_code
from pose_sync_strava.settings import StravaSettings
from pose_sync_strava.webhook import SUBSCRIPTION_KEY, EventWorker, create_app, run_worker


def _settings(app: App) -> StravaSettings:
    settings = app.config.connector_settings("strava")
    assert isinstance(settings, StravaSettings)
    return settings


@click.command("strava")
@click.option("--code", help="The `code=...` from the address bar after approving, or that whole address"
                             " (it also says which permissions you granted); when no browser can reach here.")
@click.option("--port", type=click.IntRange(1024, 65535), help="Local port for the redirect (default: config).")
@click.option("--no-browser", is_flag=True, help="Print the link instead of opening a browser.")
@click.pass_obj
def auth_strava(app: App, code: str | None, port: int | None, no_browser: bool) -> None:
    """Connect your Strava account (read your activities, write the note).

    \b
    Needs a Strava API application: create one at
    https://www.strava.com/settings/api (callback domain: localhost) and put
    its client_id and client_secret in [connectors.strava] of your config,
    or in STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET.

    \b
    Opens Strava's approval page; approve "View data about your private
    activities" and "Upload your activities... edit" (the note is written
    into the description). The browser then returns here and the tokens are
    saved owner-only in your data folder; they are refreshed automatically.
    On a machine without a browser: open the printed link anywhere, approve,
    copy `code=...` from the address bar of the page that fails to load, and
    run `pose-sync auth strava --code THAT_CODE`.
    """
    settings = _settings(app)
    api = StravaApi(settings, app.data_dir)
    redirect_port = port or settings.redirect_port
    scope = None
    if code is None:
        url = authorization_url(api, redirect_port)
        app.err.print(f"Open this link to approve pose-sync on Strava:\n\n  {url}\n", markup=False, highlight=False)
        if not no_browser:
            webbrowser.open(url)
        app.err.print(f"Waiting for Strava to send you back to localhost:{redirect_port} ...")
        redirect = catch_redirect(redirect_port)
        if redirect.error or not redirect.code:
            raise ConfigError(f"strava: authorisation was not granted ({redirect.error or 'no code'})",
                              hint="run `pose-sync auth strava` again and press Authorize")
        code, scope = redirect.code, redirect.scope
    else:
        code, scope = pasted_code(code)
    tokens = exchange(api, code, scope)
    missing = missing_scope(scope) if scope is not None else set()
    app.out.print(f"Connected to Strava as {tokens.athlete_name or 'athlete ' + str(tokens.athlete_id)}."
                  f" Tokens saved owner-only in {api.tokens.path}.", highlight=False)
    again = app.store.requeue_failed_events("strava")
    if again:
        app.out.print(f"{again} webhook event(s) that could not be processed are queued again for `pose-sync serve`.")
    if missing:
        app.err.print(f"warning: you did not grant {', '.join(sorted(missing))}; pose-sync cannot write notes."
                      " Run `pose-sync auth strava` again and tick every box.", style="yellow")


@click.command("serve")
@click.option("--host", help="Address to listen on (default: [connectors.strava] listen_host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (default: listen_port).")
@click.option("--service", is_flag=True, help="The multi-athlete service for clubs and coaches (needs"
                                            " pose-sync-service and PostgreSQL; configured by POSE_SYNC_* variables).")
@click.pass_obj
def serve(app: App, host: str | None, port: int | None, service: bool) -> None:
    """Receive Strava's push events and note each new run once it has settled, unattended.

    \b
    Serves the webhook on http://HOST:PORT/webhook; put it behind your HTTPS
    reverse proxy and register its public URL once with
    `pose-sync strava subscribe`. Each event is queued in the store before
    Strava gets its answer, then processed in the background like
    `pose-sync sync` would; a restart loses nothing. An activity's event
    waits [notes] settle_minutes (default 10) after the upload, while the
    athlete may still be editing it in the app; duplicate events are folded
    together and title or privacy edits cost no request.
    """
    if service:
        try:
            from pose_sync_service.cli import serve_service
        except ImportError:
            raise ConfigError("serve --service needs the service installed",
                              hint="pip install pose-sync-service (plugins/service)") from None
        serve_service(host or "0.0.0.0", port or 8080)
        return
    from waitress import serve as waitress_serve

    settings = _settings(app)
    data_dir = app.data_dir
    app.store.count_runs()  # open (or create) the store now: a bad data folder fails before serving
    wake, stop = threading.Event(), threading.Event()
    worker = threading.Thread(target=run_worker, args=(EventWorker(data_dir, app.config, settings), wake, stop),
                              daemon=True, name="strava-events")
    worker.start()
    listen_host, listen_port = host or settings.listen_host, port or settings.listen_port
    logging.getLogger("waitress").setLevel(logging.WARNING)
    app.err.print(f"pose-sync serve: Strava webhook on http://{listen_host}:{listen_port}/webhook (Ctrl-C stops)")
    try:
        waitress_serve(create_app(data_dir, settings, wake, settle_s=app.config.notes.settle_minutes * 60),
                       host=listen_host, port=listen_port, threads=4,
                       ident="pose-sync")
    finally:
        stop.set()
        wake.set()


@click.group("strava")
def strava() -> None:
    """Manage Strava's push subscription (automatic sync after every run)."""


@strava.command("subscribe")
@click.option("--callback-url", help="Public HTTPS URL of `pose-sync serve`'s /webhook (default: config).")
@click.pass_obj
def subscribe(app: App, callback_url: str | None) -> None:
    """Ask Strava to push events to your `pose-sync serve` (it must be running and reachable)."""
    settings = _settings(app)
    url = callback_url or settings.callback_url
    if not url:
        raise ConfigError("strava: no callback URL",
                          hint="set callback_url in [connectors.strava] or pass --callback-url")
    client_id, secret = settings.credentials()
    api = StravaApi(settings, app.data_dir)
    subscription = api.call("creating the push subscription", lambda c: c.create_subscription(
        client_id=client_id, client_secret=secret, callback_url=url, verify_token=settings.webhook_token()))
    app.store.set_cursor(SUBSCRIPTION_KEY, str(subscription.id))
    app.out.print(f"Subscribed: Strava will push events to {url} (subscription {subscription.id}).")


def _subscriptions(api: StravaApi) -> list[Any]:
    client_id, secret = api.settings.credentials()
    return api.call("listing subscriptions", lambda c: list(c.list_subscriptions(client_id=client_id,
                                                                                client_secret=secret)))


@strava.command("subscriptions")
@click.pass_obj
def subscriptions(app: App) -> None:
    """List this application's push subscription."""
    found = _subscriptions(StravaApi(_settings(app), app.data_dir))
    if not found:
        app.out.print("No push subscription: run `pose-sync strava subscribe`.")
    for item in found:
        app.out.print(f"{item.id}  {item.callback_url}  (created {item.created_at})")


@strava.command("unsubscribe")
@click.pass_obj
def unsubscribe(app: App) -> None:
    """Stop Strava's push events (sync by cron keeps working)."""
    settings = _settings(app)
    client_id, secret = settings.credentials()
    api = StravaApi(settings, app.data_dir)
    found = _subscriptions(api)
    if not found:
        raise RemoteError("strava", "there is no push subscription to remove")
    for item in found:
        def delete(client: Client, subscription_id: int = int(item.id or 0)) -> None:
            client.delete_subscription(subscription_id=subscription_id, client_id=client_id, client_secret=secret)

        api.call("deleting the subscription", delete)
        app.out.print(f"Unsubscribed {item.id}.")
    app.store.delete_cursor(SUBSCRIPTION_KEY)

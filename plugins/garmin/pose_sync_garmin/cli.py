"""`pose-sync auth garmin`: sign in once (or adopt an existing token store), then resume for months."""

from __future__ import annotations

from pathlib import Path

import click
from garminconnect import (
    Garmin,
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectTooManyRequestsError,
)

from pose_sync.cli.app import App
from pose_sync.errors import AuthError, RateLimited
from pose_sync.files import make_private_dirs, secure_data_dir
from pose_sync_garmin.session import GarminSession, adopt_tokens, protect, quiet_library, register_tokens, token_dir
from pose_sync_garmin.settings import GarminSettings


@click.command("garmin")
@click.option("--import-tokens", "import_from", type=click.Path(exists=True, path_type=Path),
              help="Adopt an existing garminconnect token store (a folder with garmin_tokens.json, e.g."
                   " $GARMINTOKENS) instead of signing in.")
@click.option("--email", help="Garmin Connect e-mail (prompted when missing).")
@click.pass_obj
def auth_garmin(app: App, import_from: Path | None, email: str | None) -> None:
    """Connect your Garmin Connect account (original FIT files, notes, workouts on your calendar).

    \b
    Signs in once with your e-mail and password (prompted, never stored;
    an MFA code is asked for if your account uses one) and saves the
    resulting tokens owner-only in your data folder. Later runs resume from
    those tokens and never sign in again while they work (they refresh
    themselves for about 30 days of use).

    \b
    Garmin throttles automated sign-ins: if it answers "too many requests",
    wait an hour, or adopt tokens another garminconnect tool already has:
      pose-sync auth garmin --import-tokens ~/.garminconnect
    """
    settings = app.config.connector_settings("garmin")
    assert isinstance(settings, GarminSettings)
    folder = token_dir(app.data_dir, settings.tokenstore)
    secure_data_dir(app.data_dir)
    if import_from is not None:
        adopt_tokens(import_from.expanduser(), folder)
        garmin = GarminSession(folder).garmin()  # proves the tokens work (two reads, no sign-in)
        app.out.print(f"Adopted the Garmin token store; connected as {garmin.full_name or garmin.display_name}."
                      f" Tokens kept owner-only in {folder}.", highlight=False)
        return
    if register_tokens(folder):
        try:
            garmin = GarminSession(folder).garmin()
            app.out.print(f"Already connected to Garmin Connect as {garmin.full_name or garmin.display_name}"
                          " (saved tokens work; no sign-in needed).", highlight=False)
            return
        except AuthError:
            app.err.print("The saved Garmin tokens no longer work; signing in again.")
    quiet_library()
    address = email or click.prompt("Garmin Connect e-mail")
    password = click.prompt("Password (not stored)", hide_input=True)
    make_private_dirs(folder)
    garmin = Garmin(address, password, prompt_mfa=lambda: click.prompt("MFA code from your e-mail or app"))
    try:
        garmin.login(tokenstore=str(folder))
    except GarminConnectTooManyRequestsError:
        raise RateLimited("garmin", None, "Garmin is throttling sign-ins from scripts; try again in an hour,"
                                          " or use --import-tokens") from None
    except GarminConnectAuthenticationError:
        raise AuthError("garmin", "garmin: e-mail, password or MFA code refused") from None
    except GarminConnectConnectionError as error:
        raise AuthError("garmin", f"garmin: sign-in failed ({str(error).splitlines()[0][:120]})") from None
    finally:
        protect(folder)
    register_tokens(folder)
    app.out.print(f"Connected to Garmin Connect as {garmin.full_name or garmin.display_name}."
                  f" Tokens saved owner-only in {folder}.", highlight=False)

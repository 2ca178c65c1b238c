"""The ``pose-sync`` command line: thin commands over the library.

Each command lives in its own module and only parses, calls the library and
prints. Failures become one line on stderr and an exit code (0 all good,
1 some items failed, 2 usage or config error, 3 another sync holds the lock);
``--debug`` shows tracebacks.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback

import click

from pose_sync.cli.app import App
from pose_sync.errors import PoseSyncError
from pose_sync.plugins import plugin_manager
from pose_sync.secrets import install_log_redaction

EPILOG = """\b
Exit codes: 0 all good, 1 some items failed (the rest were done),
2 usage or configuration error, 3 another pose-sync sync is running.
Data lives in --data-dir, $POSE_SYNC_HOME, or your user data folder
(`pose-sync doctor` prints where)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EPILOG)
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: $POSE_SYNC_CONFIG or config.toml in your user config folder).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Where the store lives (default: $POSE_SYNC_HOME or your user data folder).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug logs).")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs when something fails.")
@click.version_option(package_name="pose-sync")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, data_dir: str | None, verbose: int, debug: bool) -> None:
    """Honest running-form and progression analysis for runners retraining technique.

    \b
    Start here:
      pose-sync analyze run.fit          form report for one file (stores nothing)
      pose-sync import ~/exports/        import files, folders or .zip exports
      pose-sync report --html out.html   progression across your history
      pose-sync sync                     pull new runs from every configured platform
    """
    level = logging.DEBUG if (debug or verbose > 1) else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    install_log_redaction()
    ctx.obj = App(config_path=config_path, data_dir_option=data_dir, debug=debug, verbose=verbose)
    ctx.call_on_close(ctx.obj.close)


@cli.group()
def auth() -> None:
    """Connect pose-sync to a platform (tokens are kept owner-only, never printed)."""


def _register_commands() -> None:
    from pose_sync.cli import analyze, doctor, import_, log, plan, report, rescore, sync

    for module in (analyze, import_, sync, report, plan, log, doctor, rescore):
        cli.add_command(module.command)
    plugin_manager().hook.register_commands(cli=cli)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every failure into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or bool(os.environ.get("POSE_SYNC_DEBUG"))
    try:
        code = cli.main(args=args, prog_name="pose-sync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except PoseSyncError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: no traceback for users
        if debug:
            traceback.print_exc()
        click.echo(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)

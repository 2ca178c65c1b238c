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
from typing import Any

import click

from pose_sync.cli.lazy import LazyGroup
from pose_sync.errors import PoseSyncError

EPILOG = """\b
Exit codes: 0 all good, 1 some items failed (the rest were done),
2 usage or configuration error, 3 another pose-sync sync is running.
Data lives in --data-dir, $POSE_SYNC_HOME, or your user data folder
(`pose-sync doctor` prints where)."""

# Every core command: where it lives and its line in `pose-sync --help` (imported only when it runs).
CORE_COMMANDS = {
    "analyze": ("pose_sync.cli.analyze:command", "Analyse running form in FIT files, folders or .zip exports."),
    "import": ("pose_sync.cli.import_:command", "Import runs from files, folders or .zip exports into your store."),
    "sync": ("pose_sync.cli.sync:command", "Pull new runs from every configured platform, write notes back."),
    "report": ("pose_sync.cli.report:command", "Progression across your stored runs (tables, JSON, HTML, PNG)."),
    "plan": ("pose_sync.cli.plan:command", "The next sessions of the 12-week Pose skills program."),
    "log": ("pose_sync.cli.log:command", "Record how your body feels: pain per body site, which the plan follows."),
    "doctor": ("pose_sync.cli.doctor:command", "Check config, data folder, plugins and platforms; say what to do."),
    "rescore": ("pose_sync.cli.rescore:command", "Re-analyse stored runs from their kept files, offline."),
}
GLOBAL_HELP = {
    "config_path": "Config file (default: $POSE_SYNC_CONFIG or config.toml in your user config folder).",
    "data_dir": "Where the store lives (default: $POSE_SYNC_HOME or your user data folder).",
    "verbose": "More log output (-vv for debug logs).",
    "debug": "Show tracebacks and debug logs when something fails.",
}


def _log_level(debug: bool, verbose: int) -> int:
    return logging.DEBUG if (debug or verbose > 1) else logging.INFO if verbose else logging.WARNING


def _global_after_command(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global option given after the subcommand (`pose-sync report --config x.toml`) works as before it."""
    if value in (None, False, 0):
        return
    from pose_sync.cli.app import App

    app = ctx.find_object(App)
    if app is None:
        return
    if param.name == "config_path":
        app.config_path, app._config = value, None
    elif param.name == "data_dir":
        app.data_dir_option = value
    elif param.name == "debug":
        app.debug = True
    elif param.name == "verbose":
        app.verbose = max(app.verbose, int(value))
    logging.getLogger().setLevel(_log_level(app.debug, app.verbose))


def global_options() -> list[click.Option]:
    """--config, --data-dir, -v, --debug as every subcommand takes them too (shown in its help)."""
    common: dict[str, Any] = {"expose_value": False, "callback": _global_after_command}
    return [
        click.Option(["--config", "config_path"], type=click.Path(dir_okay=False), metavar="FILE",
                     help=GLOBAL_HELP["config_path"], **common),
        click.Option(["--data-dir", "data_dir"], type=click.Path(file_okay=False), metavar="DIR",
                     help=GLOBAL_HELP["data_dir"], **common),
        click.Option(["-v", "--verbose", "verbose"], count=True, help=GLOBAL_HELP["verbose"], **common),
        click.Option(["--debug", "debug"], is_flag=True, help=GLOBAL_HELP["debug"], **common),
    ]


class PoseSyncGroup(LazyGroup):
    """Adds the global options to every command it hands out, plugins' included, at any depth, and
    suggests the nearest command for a typo."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                             list[str]]:
        name = click.utils.make_str(args[0]) if args else ""
        if args and self.get_command(ctx, name) is None and not name.startswith("-"):
            import difflib

            near = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            if near:
                ctx.fail(f"No such command {name!r}. Did you mean {near[0]!r}?")
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not getattr(command, "_pose_sync_globals", False):
            names = {name for param in command.params for name in getattr(param, "opts", [])}
            command.params.extend(o for o in global_options() if not set(o.opts) & names)
            command._pose_sync_globals = True  # type: ignore[attr-defined]
            if isinstance(command, click.Group) and not isinstance(command, PoseSyncGroup):
                _adopt(command)
        return command


def _adopt(group: click.Group) -> None:
    """A plugin's plain click group: hand out its subcommands with the global options too."""
    plain_get = group.get_command

    def get_command(ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = plain_get(ctx, cmd_name)
        if command is not None and not getattr(command, "_pose_sync_globals", False):
            names = {name for param in command.params for name in getattr(param, "opts", [])}
            command.params.extend(o for o in global_options() if not set(o.opts) & names)
            command._pose_sync_globals = True  # type: ignore[attr-defined]
        return command

    group.get_command = get_command  # type: ignore[method-assign]


def _load_plugin_commands(group: LazyGroup) -> None:
    """Plugins add their commands (lazily too) the first time a command outside the core is asked for."""
    from pose_sync.plugins import plugin_manager

    plugin_manager().hook.register_commands(cli=group)


@click.group(cls=PoseSyncGroup, on_first_miss=_load_plugin_commands,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), metavar="FILE",
              help=GLOBAL_HELP["config_path"])
@click.option("--data-dir", type=click.Path(file_okay=False), metavar="DIR", help=GLOBAL_HELP["data_dir"])
@click.option("-v", "--verbose", count=True, help=GLOBAL_HELP["verbose"])
@click.option("--debug", is_flag=True, help=GLOBAL_HELP["debug"])
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
      pose-sync doctor                   what is set up, and what to do next

    \b
    --config, --data-dir, -v and --debug also work after the command.
    """
    from pose_sync.cli.app import App
    from pose_sync.secrets import install_log_redaction

    logging.basicConfig(level=_log_level(debug, verbose), format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger().setLevel(_log_level(debug, verbose))  # each run its own level (tests run several)
    install_log_redaction()
    ctx.obj = App(config_path=config_path, data_dir_option=data_dir, debug=debug, verbose=verbose)
    ctx.call_on_close(ctx.obj.close)


@cli.group(cls=PoseSyncGroup, on_first_miss=lambda group: cli._miss())
def auth() -> None:
    """Connect Strava or Garmin (tokens are kept owner-only, never printed)."""


for _name, (_path, _help) in CORE_COMMANDS.items():
    cli.add_lazy_command(_name, _path, _help)


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

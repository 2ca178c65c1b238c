"""Commands imported only when they run, so ``pose-sync --help`` and a cron ``sync`` start at once.

A :class:`LazyGroup` knows each command by name, the ``module:attribute`` it
lives in and its one-line help; the module is imported when the command is
looked up to run (or for its own ``--help``), never to list the group. Plugins
add their commands the same way (``group.add_lazy_command(...)`` from their
``register_commands`` hook), and the plugins themselves are loaded only when a
command that is not the core's is asked for, or the whole list is shown.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    import_path: str   # "package.module:attribute"
    short_help: str


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use.

    ``on_first_miss`` runs once, before the group lists its commands or looks
    up a name it does not know yet (the root group loads plugins there).
    """

    def __init__(self, *args: object, on_first_miss: Callable[[LazyGroup], None] | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_commands: dict[str, LazyCommand] = {}
        self._on_first_miss = on_first_miss

    def add_lazy_command(self, name: str, import_path: str, short_help: str) -> None:
        """Declare ``name`` as the click command at ``import_path`` (imported when it runs)."""
        self.lazy_commands[name] = LazyCommand(import_path, short_help)

    def _miss(self) -> None:
        hook, self._on_first_miss = self._on_first_miss, None
        if hook is not None:
            hook(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._miss()
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name not in self.lazy_commands:
            self._miss()
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        lazy = self.lazy_commands.get(cmd_name)
        if lazy is None:
            return None
        module_name, _, attribute = lazy.import_path.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{lazy.import_path} is not a click command")
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the declared one-line helps: listing imports nothing."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
            else:
                rows.append((name, self.lazy_commands[name].short_help))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

"""What every command shares: config, data directory, store and output, opened lazily.

Lazy so that ``--help`` and ``analyze`` (which stores nothing) never touch the
data directory, and a bad config only fails the commands that need it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `--help` and a sync with nothing to do stay fast
    from rich.console import Console

    from pose_sync.config import Config
    from pose_sync.connectors import Connector
    from pose_sync.store import Store


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


@dataclass
class App:
    config_path: str | None = None
    data_dir_option: str | None = None
    debug: bool = False
    verbose: int = 0
    _config: Config | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)
    _out: Console | None = field(default=None, repr=False)
    _err: Console | None = field(default=None, repr=False)

    @property
    def out(self) -> Console:
        if self._out is None:
            self._out = _console()
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            self._err = _console(stderr=True)
        return self._err

    @property
    def config(self) -> Config:
        if self._config is None:
            from pose_sync.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    @property
    def data_dir(self) -> Path:
        from pose_sync.config import resolve_data_dir

        return resolve_data_dir(self.data_dir_option, self.config)

    @property
    def store(self) -> Store:
        if self._store is None:
            from pose_sync.store import Store

            self._store = Store.open(self.data_dir)
        return self._store

    def reader(self) -> Store:
        """The store for a command that only reads (``report``): an in-memory copy, so a read-only data
        folder (a backup, another user's store) works, and a fresh machine gets an empty store, not a folder."""
        if self._store is None:
            from pose_sync.store import Store

            self._store = Store.snapshot(self.data_dir)
        return self._store

    @property
    def interactive(self) -> bool:
        """A person is watching (progress bars, colour); under cron only summaries."""
        return sys.stdout.isatty() and sys.stderr.isatty()

    def connector(self, name: str, *, dry_run: bool = False) -> Connector:
        """Build an installed connector from its validated ``[connectors.<name>]`` section."""
        from pose_sync.connectors import ConnectorContext
        from pose_sync.plugins import connector_spec

        spec = connector_spec(name)
        settings = self.config.connector_settings(name)
        context = ConnectorContext(data_dir=self.data_dir, config=self.config, dry_run=dry_run,
                                   interactive=self.interactive, echo=self.err.print)
        return spec.factory(settings, context)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

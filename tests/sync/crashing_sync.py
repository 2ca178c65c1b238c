"""Run one sync of a MemoryPlatform in this process, possibly killing it at a step (test helper)."""

from __future__ import annotations

import sys
from pathlib import Path

from pose_sync.store import Store
from pose_sync.sync import Pipeline
from tests.conftest import NO_SETTLE
from tests.fakes.memory_platform import MemoryPlatform

if __name__ == "__main__":
    data_dir, state_path, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] or None
    with Store.open(data_dir) as store:
        platform = MemoryPlatform(state_path, kill_at=kill_at)
        result = Pipeline(store, NO_SETTLE, echo=lambda _: None).sync(platform)
        print(result.summary())

"""Test-side hooks in the fake platforms: the athlete acting at a chosen moment of our traffic.

Strava and Garmin Connect have no conditional writes, so what matters is what
the athlete does between our requests: typing in the app between our read
and our write, or an app save that lands after our write. A test registers a
:class:`Hook` on a fake's state; the fake runs its ``action`` before it
handles a matching request (``when="before"``) or after it has answered it
(``when="after"``). The code under test is never patched.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hook:
    method: str
    path: str                      # regular expression on the request path
    action: Callable[[Any], None]  # called with the fake's state
    when: str = "after"            # "before" handling the request, or "after" answering it
    skip: int = 0                  # matching requests to let pass first
    times: int = 1                 # then the hook is spent
    fired: int = 0


@dataclass
class Hooks:
    hooks: list[Hook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, hook: Hook) -> Hook:
        with self.lock:
            self.hooks.append(hook)
        return hook

    def run(self, when: str, method: str, path: str, state: Any) -> None:
        due: list[Hook] = []
        with self.lock:
            for hook in self.hooks:
                if hook.when != when or hook.method != method or hook.fired >= hook.times \
                        or not re.search(hook.path, path):
                    continue
                if hook.skip:
                    hook.skip -= 1
                    continue
                hook.fired += 1
                due.append(hook)
        for hook in due:  # outside the lock: an action may wait for another request
            hook.action(state)

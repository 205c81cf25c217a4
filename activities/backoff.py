"""How long Temporal waits before retrying a step whose sends failed temporarily.

Exponential (base x 2^(attempt-1)) with "equal jitter" (a uniform draw in the upper half), capped
per channel: an SMS is stale after a minute, a webhook receiver may be down for longer. A remote's
``Retry-After`` is honoured up to the same cap.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 1.0
    caps: Mapping[str, float] = field(default_factory=dict)
    default_cap: float = 300.0

    def delay(self, channel: str, attempt: int, *, retry_after: float | None = None) -> float:
        """Seconds before retry number ``attempt`` (1 = the first retry) on ``channel``."""
        cap = self.caps.get(channel, self.default_cap)
        exponential = min(cap, self.base_seconds * float(2 ** max(0, attempt - 1)))
        jittered = exponential * random.uniform(0.5, 1.0)
        if retry_after is not None:
            jittered = max(jittered, min(cap, retry_after))
        return jittered

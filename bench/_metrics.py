"""What the Temporal server did per item: frontend RPCs (its Prometheus metrics) and history length."""

from __future__ import annotations

import re
from collections import Counter

import httpx
from temporalio.client import Client

_REQUESTS = re.compile(r'^service_requests\{(?P<labels>[^}]*)\} (?P<value>\S+)$')
_OPERATION = re.compile(r'operation="([^"]+)"')


async def frontend_requests(metrics_url: str) -> Counter[str]:
    """Requests the frontend served in the ``default`` namespace so far, by operation."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(metrics_url)).text
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        found = _REQUESTS.match(line)
        if not found:
            continue
        labels = found["labels"]
        if 'namespace="default"' in labels and 'service_name="frontend"' in labels:
            operation = _OPERATION.search(labels)
            if operation:
                counts[operation[1]] += int(float(found["value"]))
    return counts


async def history_length(client: Client, workflow_id: str) -> int:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return len(history.events)


def rpc_table(per_item: dict[str, tuple[Counter[str], int]]) -> list[tuple[str, ...]]:
    """Rows of operation x column (requests per item), for operations any column used at least 0.05 times."""
    columns = list(per_item)
    operations = sorted({op for counts, _ in per_item.values() for op in counts})
    rows: list[tuple[str, ...]] = [("frontend RPCs per item", *columns)]
    for op in operations:
        values = [per_item[c][0][op] / per_item[c][1] for c in columns]
        if max(values) >= 0.05:
            rows.append((op, *(f"{v:.2f}" for v in values)))
    totals = [sum(per_item[c][0].values()) / per_item[c][1] for c in columns]
    rows.append(("total", *(f"{t:.2f}" for t in totals)))
    return rows

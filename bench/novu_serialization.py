"""What the native null policy costs: serializing Novu responses with ``NovuResponse`` against the same
models without it (plain pydantic), in the same run. Prints the ratio and CPU per subscriber.

    .venv/bin/python bench/novu_serialization.py [--rounds N]
"""

from __future__ import annotations

import argparse
import time
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, create_model

from api.novu.schemas.base import NovuResponse
from api.novu.schemas.subscribers import SubscriberSearchResponse


def _plain(model: type[BaseModel], made: dict[type[BaseModel], type[BaseModel]] | None = None) -> type[BaseModel]:
    """The same fields in models without the null policy's serializer, nested ones too (the baseline)."""
    made = {} if made is None else made
    if model not in made:
        fields = {name: (_swap(field.annotation, made), field) for name, field in model.model_fields.items()}
        made[model] = create_model(f"Plain{model.__name__}", __config__=ConfigDict(populate_by_name=True),
                                   **fields)  # type: ignore[call-overload]
    return made[model]


def _swap(annotation: Any, made: dict[type[BaseModel], type[BaseModel]]) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, NovuResponse):
        return _plain(annotation, made)
    args = get_args(annotation)
    if not args:
        return annotation
    origin = get_origin(annotation)
    swapped = tuple(_swap(a, made) for a in args)
    if origin is list:
        return list[swapped[0]]  # type: ignore[valid-type]
    if origin is dict:
        return dict[swapped[0], swapped[1]]  # type: ignore[valid-type]
    if origin in (Union, UnionType):
        return Union[swapped]  # noqa: UP007
    return annotation


def _page(n: int) -> dict[str, Any]:
    subscriber: dict[str, Any] = {
        "_id": "6f1c", "subscriberId": "ada", "firstName": "Ada", "lastName": None, "email": "ada@x.test",
        "phone": None, "avatar": None, "locale": "en", "timezone": None, "data": {"plan": "pro", "x": None},
        "channels": [], "isOnline": False, "lastOnlineAt": None, "_organizationId": "o", "_environmentId": "e",
        "deleted": False, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
    }
    return {"data": [subscriber] * n, "next": None, "previous": None, "totalCount": n, "totalCountCapped": False}


def _cpu(fn: Any, rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    raw = _page(100)
    with_policy = SubscriberSearchResponse.model_validate(raw)
    baseline_model = _plain(SubscriberSearchResponse)
    without = baseline_model.model_validate(raw)
    for _ in range(20):  # warm up both paths
        with_policy.model_dump(mode="json", by_alias=True)
        without.model_dump(mode="json", by_alias=True)
    base = _cpu(lambda: without.model_dump(mode="json", by_alias=True), rounds)
    policy = _cpu(lambda: with_policy.model_dump(mode="json", by_alias=True), rounds)
    per_item = policy / (rounds * 100) * 1e6
    print(f"100-subscriber page, {rounds} rounds: null policy {policy:.3f}s CPU, plain pydantic {base:.3f}s CPU")
    print(f"ratio {policy / base:.2f}x the baseline; {per_item:.1f} µs CPU per subscriber with the policy")


if __name__ == "__main__":
    main()

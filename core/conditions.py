"""Step conditions: a nested AND/OR of rules over the run's data, parsed, checked and evaluated.

Pure (no Clarion imports), so the API validates conditions when a workflow is saved and the worker's
activities evaluate them with the same code. Two JSON shapes are accepted, and both parse into the
same tree:

Clarion's shape (a rule, or a group of rules; groups nest)::

    {"and": [{"field": "payload.count", "op": ">", "value": 3},
             {"or": [{"field": "subscriber.locale", "op": "in", "value": ["de", "fr"]},
                     {"not": {"field": "steps.inbox.read", "op": "=", "value": true}}]}]}

Novu's filter shape (a list of groups, ANDed together)::

    [{"isNegated": false, "type": "GENERIC", "value": "AND",
      "children": [{"on": "payload", "field": "count", "operator": "LARGER", "value": "3"}]}]

Fields start with ``payload.``, ``subscriber.``, ``tenant.``, ``actor.`` or are
``steps.<stepId>.seen|read|delivered``. Operators: ``= != > < >= <= in not_in between like
is_defined``. Comparisons are loose the way Novu's are: ``"3"`` equals ``3``; ``> < >= <=`` and
``between`` compare numbers, else ISO-8601 timestamps, else strings; ``like`` is SQL's LIKE
(``%`` and ``_``), case-insensitive; ``is_defined`` takes ``true`` (default) or ``false``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ROOTS = frozenset({"payload", "subscriber", "tenant", "actor", "steps"})
STEP_FACTS = frozenset({"seen", "read", "delivered"})
OPERATORS = frozenset({"=", "!=", ">", "<", ">=", "<=", "in", "not_in", "between", "like", "is_defined"})
_NOVU_OPERATORS = {
    "EQUAL": "=", "NOT_EQUAL": "!=", "LARGER": ">", "SMALLER": "<", "LARGER_EQUAL": ">=",
    "SMALLER_EQUAL": "<=", "IN": "in", "NOT_IN": "not_in", "BETWEEN": "between", "LIKE": "like",
    "IS_DEFINED": "is_defined",
}
MAX_DEPTH = 8
MAX_RULES = 100


class ConditionError(ValueError):
    """A problem with conditions as saved; ``path`` is where in the JSON (``and.1.op``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: Any = None

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value!r}" if self.op != "is_defined" else f"{self.field} is_defined"


@dataclass(frozen=True)
class Group:
    kind: str  # "and" or "or"
    items: tuple[Node, ...]
    negated: bool = False


Node = Rule | Group


def parse(raw: Any) -> Group:
    """The condition tree of ``raw`` (either shape); raises ``ConditionError`` naming the place."""
    counter = [0]
    if isinstance(raw, list):
        return Group("and", tuple(_novu_group(item, str(i), counter) for i, item in enumerate(raw)))
    node = _node(raw, "", 0, counter)
    return node if isinstance(node, Group) else Group("and", (node,))


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _node(raw: Any, path: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise ConditionError(path, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(raw, Mapping):
        raise ConditionError(path, "must be an object: a rule {field, op, value} or a group {and|or|not: ...}")
    groups = [key for key in ("and", "or", "not") if key in raw]
    if len(groups) > 1 or (groups and len(raw) > 1):
        raise ConditionError(path, "a group has exactly one key: and, or or not")
    if groups:
        key = groups[0]
        inner = raw[key]
        if key == "not":
            child = _node(inner, _join(path, "not"), depth + 1, counter)
            return Group("and", (child,), negated=True)
        if not isinstance(inner, list) or not inner:
            raise ConditionError(_join(path, key), "must be a non-empty list of rules or groups")
        return Group(key, tuple(_node(item, _join(path, f"{key}.{i}"), depth + 1, counter)
                                for i, item in enumerate(inner)))
    return _rule(raw, path, counter, op_key="op")


def _rule(raw: Mapping[str, Any], path: str, counter: list[int], *, op_key: str) -> Rule:
    counter[0] += 1
    if counter[0] > MAX_RULES:
        raise ConditionError(path, f"more than {MAX_RULES} rules")
    unknown = set(raw) - {"field", op_key, "value"}
    if unknown:
        raise ConditionError(_join(path, sorted(unknown)[0]), "unknown key; a rule has field, op and value")
    field = raw.get("field")
    if not isinstance(field, str) or not field:
        raise ConditionError(_join(path, "field"), "required: a path such as payload.count")
    check_field(field, _join(path, "field"))
    op = raw.get(op_key)
    if op not in OPERATORS:
        raise ConditionError(_join(path, op_key), f"must be one of {' '.join(sorted(OPERATORS))}, not {op!r}")
    value = raw.get("value", True if op == "is_defined" else None)
    _check_value(op, value, _join(path, "value"))
    return Rule(field, op, value)


def _novu_group(raw: Any, path: str, counter: list[int]) -> Group:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("children"), list):
        raise ConditionError(path, "a Novu filter group needs children: [...]")
    kind = str(raw.get("value") or "AND").lower()
    if kind not in ("and", "or"):
        raise ConditionError(_join(path, "value"), "must be AND or OR")
    rules: list[Node] = []
    for i, child in enumerate(raw["children"]):
        where = _join(path, f"children.{i}")
        if not isinstance(child, Mapping):
            raise ConditionError(where, "must be an object")
        operator = _NOVU_OPERATORS.get(str(child.get("operator") or "EQUAL"))
        if operator is None:
            raise ConditionError(_join(where, "operator"), f"unknown operator {child.get('operator')!r}")
        on = child.get("on") or "payload"
        field = child.get("field")
        if on == "previousStep":  # Novu: {"on": "previousStep", "step": <stepId>, "stepType": "read"|"unread"...}
            fact = str(child.get("stepType") or "read")
            negated = fact.startswith("un")
            fact = fact.removeprefix("un")
            rules.append(_rule({"field": f"steps.{child.get('step')}.{fact}", "op": "=", "value": not negated},
                               where, counter, op_key="op"))
            continue
        if on not in ROOTS - {"steps"} or not isinstance(field, str):
            raise ConditionError(_join(where, "on"), "must be payload, subscriber, tenant or actor, with a field")
        rules.append(_rule({"field": f"{on}.{field}", "op": operator, "value": child.get("value")}, where, counter,
                           op_key="op"))
    if not rules:
        raise ConditionError(_join(path, "children"), "must not be empty")
    return Group(kind, tuple(rules), negated=bool(raw.get("isNegated")))


def check_field(field: str, path: str) -> None:
    parts = field.split(".")
    if parts[0] not in ROOTS or len(parts) < 2 or not all(parts):
        raise ConditionError(path, f"must start with {', '.join(sorted(ROOTS))} and name a field, not {field!r}")
    if parts[0] == "steps" and (len(parts) != 3 or parts[2] not in STEP_FACTS):
        raise ConditionError(path, f"a step outcome is steps.<stepId>.seen, .read or .delivered, not {field!r}")


def _check_value(op: str, value: Any, path: str) -> None:
    if op in ("in", "not_in") and not isinstance(value, (list, str)):
        raise ConditionError(path, f"{op} needs a list (or a comma-separated string)")
    if op == "between" and not (isinstance(value, list) and len(value) == 2):
        raise ConditionError(path, "between needs a list of two bounds [low, high]")
    if op == "is_defined" and not isinstance(value, bool):
        raise ConditionError(path, "is_defined takes true or false")
    if op == "like" and not isinstance(value, str):
        raise ConditionError(path, "like needs a string pattern")
    if op in ("=", "!=", ">", "<", ">=", "<=") and isinstance(value, (list, dict)):
        raise ConditionError(path, f"{op} compares with a single value, not a list or object")


def step_refs(node: Node) -> set[str]:
    """The step ids whose outcome the conditions read (``steps.<id>.read``)."""
    if isinstance(node, Rule):
        parts = node.field.split(".")
        return {parts[1]} if parts[0] == "steps" else set()
    return set().union(*(step_refs(item) for item in node.items))


_MISSING = object()


def lookup(data: Mapping[str, Any], field: str) -> Any:
    value: Any = data
    for part in field.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def evaluate(node: Node, data: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether ``data`` meets the conditions, and (when not) the first rule that failed."""
    if isinstance(node, Rule):
        ok = _apply(node, lookup(data, node.field))
        return ok, "" if ok else f"{node.describe()} is false"
    results = [evaluate(item, data) for item in node.items]
    ok = all(r for r, _ in results) if node.kind == "and" else any(r for r, _ in results)
    if node.negated:
        return (not ok), "" if not ok else "the negated group is true"
    if ok:
        return True, ""
    reasons = [why for r, why in results if not r]
    return False, reasons[0] if node.kind == "and" else " and ".join(reasons)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    if (x := _number(a)) is not None and (y := _number(b)) is not None:
        return x, y
    if (p := _instant(a)) is not None and (q := _instant(b)) is not None and (p.tzinfo is None) == (q.tzinfo is None):
        return p, q
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    if (x := _number(a)) is not None and (y := _number(b)) is not None:
        return x == y
    return a == b or (a is not None and b is not None and str(a) == str(b))


def _like(value: Any, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    if not isinstance(value, (str, int, float)):
        return False
    return re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL) is not None


def _apply(rule: Rule, value: Any) -> bool:
    op, expected = rule.op, rule.value
    if op == "is_defined":
        return (value is not _MISSING and value is not None) == bool(expected)
    if value is _MISSING:
        return op in ("!=", "not_in")
    if op == "=":
        return _equal(value, expected)
    if op == "!=":
        return not _equal(value, expected)
    if op in ("in", "not_in"):
        options = expected if isinstance(expected, list) else [s.strip() for s in str(expected).split(",")]
        found = any(_equal(value, option) for option in options)
        return found if op == "in" else not found
    if op == "like":
        return _like(value, str(expected))
    if op == "between":
        low, high = _comparable(value, expected[0]), _comparable(value, expected[1])
        return low is not None and high is not None and low[1] <= low[0] and high[0] <= high[1]
    pair = _comparable(value, expected)
    if pair is None:
        return False
    a, b = pair
    return bool({">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op])


def compared(node: Node, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every rule of ``node`` with the value it read from ``data`` and its verdict: the evidence an
    explanation shows next to "condition not met" (a missing field reads as ``None``, ``defined`` false)."""
    if isinstance(node, Group):
        return [entry for item in node.items for entry in compared(item, data)]
    actual = lookup(data, node.field)
    return [{"field": node.field, "op": node.op, "expected": node.value,
             "actual": None if actual is _MISSING else actual, "defined": actual is not _MISSING,
             "passed": _apply(node, actual)}]

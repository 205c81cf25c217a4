"""Upper bounds for every paging parameter, so no page number or offset reaches the database as an
integer it cannot hold (``page=9223372036854775807``, ``offset=1e308``, ``inf``).

Novu bounds page sizes (``limit``/``pageSize`` ≤ 100) but not page numbers; a million pages of the
largest size is beyond any real listing, and keeps ``page * size`` far inside a 64-bit offset.
"""

from __future__ import annotations

MAX_PAGE = 1_000_000
MAX_OFFSET = MAX_PAGE * 100

"""The N largest by a key and the rest apart: how every list that is cut short or ordered by size picks
(the discrepancies a page shows, host countries by people departed, a chart's countries by their total).
"""

from __future__ import annotations

import numpy as np


def largest(n: int | None, *keys) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the `n` largest items (every item when None), largest first, and the positions of
    the rest, in the order given (to be counted or grouped). Items are compared by the first of `keys`
    (sequences of numbers, one value per item), its ties by the next; remaining ties keep the order given,
    so items listed by name come out by name among equals."""
    columns = [np.asarray(k, dtype=np.float64) for k in keys]
    # lexsort sorts by its last key first, and stably: negated, the largest come first.
    order = np.lexsort([-c for c in reversed(columns)]) if columns and len(columns[0]) else np.zeros(0, np.int64)
    if n is None or n >= len(order):
        return order, order[:0]
    return order[:n], np.sort(order[n:])

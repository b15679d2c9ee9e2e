"""How many threads the numeric libraries may use for our small products.

Classification and use-static work on small matrices (a cluster's few hundred passages against
a handful of prototypes; 256 passages against 32 directions). OpenBLAS splits even those
across every core and its extra threads then spin: on 2 shared cores, classifying 450 clusters
took 122 s of CPU with two BLAS threads against 89 s with one, and longer on the wall clock
(issue 17). Big products (USE's own encode, torch) keep their own thread settings.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> Any:
    return ThreadpoolController()  # looks up the loaded BLAS libraries once


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread, then restore what was set before."""
    with _controller().limit(limits=1, user_api="blas"):
        yield

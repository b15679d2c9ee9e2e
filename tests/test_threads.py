"""The numeric libraries get one BLAS thread for our small products, and their setting back."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from clusterradar.threads import one_blas_thread


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_one_blas_thread_inside_the_block_and_the_earlier_setting_after_it():
    np.ones((4, 4)) @ np.ones((4, 4))  # BLAS is loaded
    assert _blas_threads(), "numpy links a BLAS library"
    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == {2}
        with one_blas_thread():
            assert _blas_threads() == {1}
        assert _blas_threads() == {2}

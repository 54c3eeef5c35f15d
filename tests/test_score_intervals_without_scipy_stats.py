"""The interval helpers take their quantiles from ``scipy.special`` (importing ``scipy.stats``
costs most of a second, more than a toy run's whole work): the values are those of the
``scipy.stats`` distributions, and a toy run does not import ``scipy.stats`` at all."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from fmbench.statistics import score_intervals as si
from fmbench.statistics.homogeneity import homogeneity_test
from fmbench.statistics.paradigm_scores import mean_interval


def test_clopper_pearson_bounds_are_scipy_stats_beta_quantiles() -> None:
    from scipy.stats import beta

    rng = np.random.default_rng(0)
    for _ in range(300):
        n = float(rng.uniform(1, 5000))
        p = float(rng.choice([0.0, 1.0, rng.uniform()]))
        confidence = float(rng.choice([0.9, 0.95, 0.99]))
        alpha, x = 1 - confidence, p * n
        lo = 0.0 if x <= 0 else float(beta.ppf(alpha / 2, x, n - x + 1))
        hi = 1.0 if x >= n else float(beta.ppf(1 - alpha / 2, x + 1, n - x))
        assert si.clopper_pearson_bounds(p, n, confidence) == (lo, hi)


def test_critical_value_is_scipy_stats_t_quantile() -> None:
    from scipy.stats import t

    for clusters in (2, 3, 5, 20, 200):
        for confidence in (0.9, 0.95, 0.99):
            expected = float(t.ppf(0.5 + confidence / 2, clusters - 1))
            assert si.critical_value(confidence, clusters) == expected


def test_homogeneity_p_value_is_scipy_stats_chi2_tail() -> None:
    from scipy.stats import chi2

    rng = np.random.default_rng(1)
    success = rng.uniform(size=600) < np.repeat([0.3, 0.4, 0.5], 200)
    groups = np.repeat(["a", "b", "c"], 200)
    result = homogeneity_test(success, groups)
    assert not isinstance(result, str)
    assert result.p_value == float(chi2.sf(result.statistic, 2))


def test_mean_interval_uses_the_t_quantile_of_scipy_stats() -> None:
    from scipy.stats import t

    values = np.array([0.7, 0.8, 0.9, 0.75, 0.85])
    interval, reason = mean_interval(values, np.array(list("abcde")))
    assert reason is None and interval is not None
    mean = float(values.mean())
    sd_of_mean = float(np.sqrt(np.sum((values - mean) ** 2) / 4 / 5))
    half = float(t.ppf(0.975, 4)) * sd_of_mean
    assert interval == [round(mean - half, 6), round(mean + half, 6)]


def test_a_toy_run_does_not_import_scipy_stats(toy_root, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys\n"
        "import fmbench\n"
        f"fmbench.evaluate('dummy_classifier', 'SUITE-TOY-CLASS', data_root={str(toy_root)!r})\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert run.stdout.strip().splitlines()[-1] == "False"

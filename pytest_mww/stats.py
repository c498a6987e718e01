"""Exact one-sided confidence bounds for counts (no normal approximation).

Poisson bounds for false activations over hours of ambient audio; Clopper-Pearson bounds
for recall and precision from whole counts. Solved by bisection on the exact CDFs.
"""

from __future__ import annotations

import math


def _poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean), summed in log space."""
    if mean <= 0:
        return 1.0
    log_term = -mean  # i = 0
    total = math.exp(log_term)
    for i in range(1, k + 1):
        log_term += math.log(mean) - math.log(i)
        total += math.exp(log_term)
    return min(total, 1.0)


def _bisect(f, lo: float, hi: float, iterations: int = 200) -> float:
    """The root of an increasing ``f`` in [lo, hi]."""
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def poisson_upper(events: int, confidence: float) -> float:
    """Mean m with P(X <= events | m) = 1 - confidence (events = 0 → -ln(1 - confidence))."""
    alpha = 1 - confidence
    hi = max(10.0, 10.0 * (events + 1))
    return _bisect(lambda m: alpha - _poisson_cdf(events, m), 0.0, hi)


def poisson_lower(events: int, confidence: float) -> float:
    """Mean m with P(X >= events | m) = 1 - confidence; 0 for 0 events."""
    if events == 0:
        return 0.0
    alpha = 1 - confidence
    return _bisect(lambda m: (1 - _poisson_cdf(events - 1, m)) - alpha, 0.0, 10.0 * (events + 1))


def binomial_cdf(k: int, n: int, p: float) -> float:
    if p <= 0:
        return 1.0
    if p >= 1:
        return 1.0 if k >= n else 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        log_comb = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        total += math.exp(log_comb + i * log_p + (n - i) * log_q)
    return min(total, 1.0)


def clopper_pearson_lower(successes: int, trials: int, confidence: float) -> float:
    if successes == 0:
        return 0.0
    alpha = 1 - confidence
    return _bisect(lambda p: (1 - binomial_cdf(successes - 1, trials, p)) - alpha, 0.0, 1.0)


def clopper_pearson_upper(successes: int, trials: int, confidence: float) -> float:
    if successes >= trials:
        return 1.0
    alpha = 1 - confidence
    return _bisect(lambda p: alpha - binomial_cdf(successes, trials, p), 0.0, 1.0)

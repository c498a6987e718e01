import math

import pytest

from pytest_mww.stats import (
    clopper_pearson_lower,
    clopper_pearson_upper,
    poisson_lower,
    poisson_upper,
)


@pytest.mark.parametrize("events, upper", [
    (0, -math.log(0.05)),  # 2.9957
    (1, 4.743865),  # scipy: chi2.ppf(0.95, 4) / 2
    (14, 21.886486),  # chi2.ppf(0.95, 30) / 2
    (15, 23.097130),  # chi2.ppf(0.95, 32) / 2
])
def test_poisson_upper_matches_chi_square_values(events, upper):
    assert poisson_upper(events, 0.95) == pytest.approx(upper, abs=1e-5)


def test_poisson_lower():
    assert poisson_lower(0, 0.95) == 0.0
    assert poisson_lower(14, 0.95) == pytest.approx(8.463938, abs=1e-5)  # chi2.ppf(.05, 28)/2


def test_clopper_pearson():
    # reference values from scipy: beta.ppf(0.05, 45, 13) and beta.ppf(0.95, 46, 12)
    assert clopper_pearson_lower(45, 57, 0.95) == pytest.approx(0.681333, abs=1e-5)
    assert clopper_pearson_upper(45, 57, 0.95) == pytest.approx(0.873789, abs=1e-5)
    assert clopper_pearson_lower(0, 10, 0.95) == 0.0
    assert clopper_pearson_upper(10, 10, 0.95) == 1.0
    assert clopper_pearson_lower(10, 10, 0.95) == pytest.approx(0.05 ** 0.1, abs=1e-6)

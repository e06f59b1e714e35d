"""Percentiles by linear interpolation and the summaries built on them."""

from decimal import Decimal

import pytest

from sesamlike.followup.stats import grouped, percentile, summarise

D = Decimal


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        ("0", "10.00"),
        ("0.1", "13.00"),
        ("0.5", "25.00"),
        ("0.9", "37.00"),
        ("1", "40.00"),
    ],
)
def test_percentiles_interpolate_linearly_between_ranks(p, expected):
    assert percentile([D(10), D(20), D(30), D(40)], p) == D(expected)


def test_one_value_is_every_percentile():
    summary = summarise([D("30000.50")])
    assert summary.median == summary.p10 == summary.p90 == D("30000.50")
    assert summary.mean == D("30000.50")


def test_summary_of_no_values_is_none():
    assert summarise([]) is None


def test_mean_rounds_half_up_to_ore():
    assert summarise([D("0.01"), D("0.02")]).mean == D("0.02")  # 0.015


def test_grouped_puts_the_largest_group_first():
    groups = grouped([("a", D(1)), ("b", D(2)), ("b", D(4))])
    assert list(groups) == ["b", "a"]
    assert groups["b"].median == D("3.00")

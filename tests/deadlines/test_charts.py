from deadlines.charts import bar_chart


def test_the_tallest_bar_reaches_a_round_ceiling_and_empty_weeks_have_no_height():
    chart = bar_chart([("v1", 0), ("v2", 7), ("v3", 3)], height=220)
    empty, tallest, _third = chart.bars
    plot_height = chart.bottom - chart.top
    assert empty.height == 0
    # 7 rounds up to a ceiling of 10, so the bar is 70 % of the plot.
    assert tallest.height == round(plot_height * 0.7, 1)
    assert tallest.y + tallest.height == chart.bottom
    assert [tick.value for tick in chart.ticks] == [0, 5, 10]


def test_only_every_fourth_week_counting_back_from_the_newest_is_labelled():
    chart = bar_chart([(f"v{n}", n) for n in range(10)], label_every=4)
    assert [bar.label for bar in chart.bars if bar.show_label] == ["v1", "v5", "v9"]


def test_a_chart_without_breaches_still_has_an_axis():
    chart = bar_chart([("v1", 0), ("v2", 0)])
    assert chart.total == 0
    assert [tick.value for tick in chart.ticks] == [0, 1]
    assert all(bar.height == 0 for bar in chart.bars)

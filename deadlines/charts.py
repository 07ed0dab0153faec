"""Geometry for the small server-rendered SVG charts: pure functions, no drawing library."""

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int
    # Every bar is labelled in the data table; the x axis has room for only some labels.
    show_label: bool

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: list[Bar]
    ticks: list[Tick]

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above value: round axis numbers."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def bar_chart(
    counts: Sequence[tuple[str, int]],
    *,
    width: int = 720,
    height: int = 220,
    label_every: int = 4,
) -> BarChart:
    # The right margin leaves room for half of the newest week's centred label.
    left, right, top, bottom = 36, width - 28, 10, height - 28
    plot_height = bottom - top
    ceiling = _nice_ceiling(max((count for _label, count in counts), default=0))
    slot = (right - left) / max(len(counts), 1)
    bars = []
    for index, (label, count) in enumerate(counts):
        bar_height = plot_height * count / ceiling
        bars.append(
            Bar(
                x=round(left + index * slot + slot * 0.15, 1),
                y=round(bottom - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
                label=label,
                count=count,
                # Label from the newest week backwards so the current week is always named.
                show_label=(len(counts) - 1 - index) % label_every == 0,
            )
        )
    values = sorted({0, ceiling // 2, ceiling}) if ceiling % 2 == 0 else [0, ceiling]
    ticks = [
        Tick(y=round(bottom - plot_height * value / ceiling, 1), value=value) for value in values
    ]
    return BarChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bars=bars,
        ticks=ticks,
    )

"""Horizontal bar charts laid out on the server, drawn as inline SVG in
`admin/templates/admin/dashboard.html`.

Each bar has its label above it and its value written after it, so nothing depends on colour
and the chart still reads when the SVG scales down to a 320 px screen. The data table next to
the chart is the accessible equivalent; the SVG is one image with a title.
"""

from __future__ import annotations

from dataclasses import dataclass

#: viewBox units. The SVG is 100% wide (at most 24rem): on a 320 px screen, with the page's
#: padding, one unit is one pixel, so the 16-unit text is never under 16 px.
WIDTH = 288
FONT = 16
ROW = 50  # label line, then bar
BAR_HEIGHT = 16
VALUE_ROOM = 90  # room after the longest bar for its value
TOP = 4


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as written beside the bar
    width: float  # 0 when there is no figure
    y: float  # top of the row

    @property
    def label_y(self) -> float:
        return self.y + 17

    @property
    def bar_y(self) -> float:
        return self.y + 25

    @property
    def value_x(self) -> float:
        return self.width + 6

    @property
    def value_y(self) -> float:
        return self.bar_y + BAR_HEIGHT - 2


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int = WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return TOP + ROW * max(len(self.bars), 1)


def bar_chart(rows: list[tuple[str, float | None, str]], scale_max: float | None = None) -> Chart:
    """(label, value or None, value as text) per bar; bars scale to `scale_max` or the largest."""
    values = [value for _, value, _ in rows if value is not None]
    top = scale_max if scale_max is not None else max(values, default=0)
    room = WIDTH - VALUE_ROOM
    bars = [
        Bar(
            label=fit(label, WIDTH),
            text=text,
            width=round(room * value / top, 1) if value is not None and top > 0 else 0,
            y=TOP + i * ROW,
        )
        for i, (label, value, text) in enumerate(rows)
    ]
    return Chart(bars)


def fit(text: str, room: float) -> str:
    """`text`, cut with an ellipsis to fit `room` units (the table has it in full)."""
    used = 0.0
    for i, char in enumerate(text):
        used += FONT if ord(char) > 0x2E80 else FONT * 0.6
        if used > room:
            return text[: max(i - 1, 1)] + "…"
    return text

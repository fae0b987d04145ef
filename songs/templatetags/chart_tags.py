"""The tonal balance and stereo width charts (the bounce page, the comparison, the
dossier's master), written in Python from their geometry in `songs.charts`: each is a
few hundred values, and the template language's lookups per value were a tenth of the
bounce page. `{% tonal_balance_chart chart mix_label %}`,
`{% stereo_width_chart chart mix_label %}`; each says so when there is nothing to draw.

Each figure carries a visually hidden table of the same values for screen readers (a
div, not the table, is hidden: a table ignores the 1px width and widens the page)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from songs import charts

register = template.Library()

_MIX = "The mix"


def level_grid(ticks: list[tuple[float, str]], left: int, right: int) -> str:
    """Level gridlines across the plot, each labelled at its left (every chart's y axis)."""
    return "".join(
        f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}"></line>'
        f'<text class="axis" x="{left - 6}" y="{y}" text-anchor="end" '
        f'dominant-baseline="middle">{escape(label)}</text>'
        for y, label in ticks
    )


def _hidden_table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    """The figure's values as a table only a screen reader reads; every cell escaped."""
    columns = "".join(f'<th scope="col">{escape(name)}</th>' for name in head)
    body = "".join(
        f'<tr><th scope="row">{escape(first)}</th>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in rest)
        + "</tr>"
        for first, *rest in rows
    )
    return (
        f'<div class="visually-hidden"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{columns}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _legend_item(swatch: str, label: str) -> str:
    return f'<span class="legend-item"><span class="swatch {swatch}"></span>{escape(label)}</span>'


@register.simple_tag
def tonal_balance_chart(chart: charts.TonalBalanceChart | None, mix_label: str) -> SafeString:
    """The mix's level in each one-third-octave band against its mean, with the genre's
    profile (typical ± one spread) and an overlay (a reference, an earlier version)."""
    if not chart:
        return mark_safe(
            '<p class="muted">No tonal balance to show: no band of this bounce was measured.</p>'
        )
    mix = mix_label or _MIX
    left, right, top, bottom = chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom
    svg = [
        f'<svg class="band-chart-svg" viewBox="0 0 {chart.width} {chart.height}" role="img">'
        f"<title>{escape(chart.title)}</title><desc>{escape(chart.description)}</desc>"
    ]
    if chart.profile_area:
        svg.append(f'<polygon class="profile-area" points="{chart.profile_area}"></polygon>')
    svg.append(level_grid(chart.ticks, left, right))
    svg.append(
        f'<line class="grid zero" x1="{left}" x2="{right}" y1="{chart.zero_y}" '
        f'y2="{chart.zero_y}"></line>'
        f'<text class="axis unit" x="{left - 6}" y="{top - 14}" text-anchor="end">dB</text>'
    )
    svg.extend(
        f'<line class="grid frequency" x1="{tick.x}" x2="{tick.x}" y1="{top}" y2="{bottom}">'
        f'</line><text class="axis" x="{tick.x}" y="{chart.height - 8}" '
        f'text-anchor="middle">{escape(tick.label)}</text>'
        for tick in chart.frequency_ticks
    )
    svg.append(
        f'<text class="axis unit" x="{chart.width - 2}" y="{chart.height - 8}" '
        'text-anchor="end">Hz</text>'
    )
    if chart.profile_line:
        svg.append(f'<polyline class="profile-line" points="{chart.profile_line}"></polyline>')
    # The overlay's dashes on top: where the two shapes are the same (a version only made
    # louder, say) they show over the mix's line instead of vanishing under it.
    for kind, lines, dots in (
        ("curve", chart.mix_lines, chart.mix_dots),
        ("overlay", chart.overlay_lines, chart.overlay_dots),
    ):
        svg.extend(f'<polyline class="{kind}" points="{points}"></polyline>' for points in lines)
        svg.extend(f'<circle class="{kind}-dot" cx="{x}" cy="{y}" r="3"></circle>' for x, y in dots)
    svg.append("</svg>")
    legend = [_legend_item("swatch-mix", mix)]
    head = ["Band", mix]
    if chart.profile_name:
        legend.append(
            _legend_item("swatch-profile", f"{chart.profile_name} profile (typical ± one spread)")
        )
        head.append(f"{chart.profile_name} profile")
    if chart.overlay_label:
        legend.append(_legend_item("swatch-overlay", chart.overlay_label))
        head.append(chart.overlay_label)
    rows = []
    for band in chart.bands:
        row = [band.name, band.mix_text]
        if chart.profile_name:
            row.append(band.profile_text)
        if chart.overlay_label:
            row.append(band.overlay_text)
        rows.append(row)
    table = _hidden_table(f"{chart.title}, in dB relative to the mean level", head, rows)
    return mark_safe(  # noqa: S308 - every text in it is escaped
        '<figure class="band-chart tonal-chart"><div class="chart-scroll">'
        + "".join(svg)
        + f'</div><figcaption class="chart-legend">{"".join(legend)}</figcaption>{table}</figure>'
    )


def _width_bar(bar: charts.WidthBar, kind: str) -> str:
    drawn = ""
    if bar.value is not None:
        clamped = " clamped" if bar.clamped else ""
        drawn = (
            f'<rect class="bar bar-{kind}{clamped}" x="{bar.x}" y="{bar.y}" '
            f'width="{bar.width}" height="{bar.height}"></rect>'
        )
    if bar.marker:
        drawn += f'<polygon class="clamp-mark" points="{bar.marker}"></polygon>'
    return (
        f'{drawn}<text class="value" x="{bar.label_x}" y="{bar.label_y}" '
        f'text-anchor="middle">{escape(bar.label)}</text>'
    )


@register.simple_tag
def stereo_width_chart(chart: charts.StereoWidthChart | None, mix_label: str) -> SafeString:
    """The side-to-mid ratio in each band as bars (an overlay's beside the mix's), and
    the low end's correlation."""
    if not chart:
        return mark_safe('<p class="muted">Mono: no stereo width to show.</p>')
    mix = mix_label or _MIX
    left, right, bottom = chart.plot_left, chart.plot_right, chart.plot_bottom
    svg = [
        f'<svg class="band-chart-svg" viewBox="0 0 {chart.width} {chart.height}" role="img">'
        f"<title>{escape(chart.title)}</title><desc>{escape(chart.description)}</desc>",
        level_grid(chart.ticks, left, right),
        f'<line class="grid unrelated" x1="{left}" x2="{right}" y1="{chart.unrelated_y}" '
        f'y2="{chart.unrelated_y}"></line>',
    ]
    for band in chart.bands:
        svg.append(_width_bar(band.mix, "mix"))
        if band.overlay:
            svg.append(_width_bar(band.overlay, "overlay"))
        svg.append(
            f'<text class="band-name" x="{band.x}" y="{bottom + 17}" text-anchor="middle">'
            f'{escape(band.name)}</text><text class="axis" x="{band.x}" y="{bottom + 33}" '
            f'text-anchor="middle">{escape(band.range_label)}</text>'
        )
    svg.append(
        f'<line class="baseline" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"></line></svg>'
    )
    legend = _legend_item("swatch-mix", mix)
    head = ["Band", mix]
    if chart.overlay_label:
        legend += _legend_item("swatch-overlay-bar", chart.overlay_label)
        head.append(chart.overlay_label)
    clamped = " An arrow marks a bar beyond the scale." if chart.any_clamped else ""
    legend += (
        '<span class="legend-note">Side-to-mid ratio: 0 is mono, 1 as wide as two unrelated '
        f"channels.{clamped}</span>"
    )
    correlation = ""
    if chart.correlation_text:
        correlation = (
            '<p class="width-correlation"><span class="width-correlation-label">Low-end '
            f"correlation</span> <strong>{escape(chart.correlation_text)}</strong> "
            '<span class="muted small">below 150 Hz: 1 holds up in mono, below 0 cancels.'
            "</span></p>"
        )
    rows = []
    for band in chart.bands:
        row = [f"{band.name} ({band.range_label})", band.mix_text]
        if chart.overlay_label:
            row.append(band.overlay_text)
        rows.append(row)
    return mark_safe(  # noqa: S308 - every text in it is escaped
        '<figure class="band-chart width-chart">'
        + "".join(svg)
        + f'<figcaption class="chart-legend">{legend}</figcaption>{correlation}'
        + _hidden_table(chart.title, head, rows)
        + "</figure>"
    )

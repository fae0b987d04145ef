"""The charts' geometry: values land where they should, and labels stay inside."""

from __future__ import annotations

import itertools
import unittest

from django.template import Context, Template
from django.test import SimpleTestCase

from songs import charts
from songs.analysis.music import StereoWidth
from songs.analysis.spectrum import BAND_CENTRES_HZ
from songs.analysis.tonal import BandProfile


class LoudnessChartTests(unittest.TestCase):
    def test_a_bounce_louder_than_0_lufs_is_drawn_above_the_0_line(self) -> None:
        chart = charts.loudness_over_time([-1.0, 2.1, 1.5], step_s=0.1, target_lufs=-14.0)
        assert chart is not None
        zero_y = next(y for y, label in chart.ticks if label == "0")
        loudest_y = min(float(point.split(",")[1]) for point in chart.points.split())
        self.assertLess(loudest_y, zero_y)
        self.assertIn("10", [label for _, label in chart.ticks])

    def test_a_quiet_bounce_keeps_the_0_lufs_ceiling(self) -> None:
        chart = charts.loudness_over_time([-20.0, -18.0], step_s=0.1, target_lufs=-14.0)
        assert chart is not None
        self.assertEqual(max(float(label) for _, label in chart.ticks), 0.0)

    def test_the_time_labels_stay_inside_the_chart(self) -> None:
        values = [-14.0] * 2370  # about four minutes at 10 points a second
        chart = charts.loudness_over_time(values, step_s=0.1, target_lufs=-14.0)
        assert chart is not None
        last, first = chart.time_ticks[-1], chart.time_ticks[0]
        if last.x + charts.LABEL_HALF_WIDTH > chart.plot_right:
            self.assertEqual(last.anchor, "end")
        self.assertEqual(first.anchor, "start")
        self.assertTrue(all(tick.x <= chart.plot_right for tick in chart.time_ticks))

    def test_a_two_hour_bounce_still_gets_time_labels(self) -> None:
        chart = charts.loudness_over_time([-14.0] * 600, step_s=12.0, target_lufs=None)
        assert chart is not None
        self.assertLessEqual(len(chart.time_ticks), 9)
        self.assertEqual(chart.time_ticks[-1].label.count(":"), 2)  # h:mm:ss


class LoudnessOverlayTests(unittest.TestCase):
    def test_an_overlay_shares_the_axes_and_the_time_runs_to_the_longer(self) -> None:
        short = [-20.0] * 11  # 3 s + 1 s at 0.1 s steps: 4 s
        long = charts.LoudnessCurve([-10.0, None, -10.0] + [-10.0] * 57, step_s=0.1)  # 8.9 s
        chart = charts.loudness_over_time(
            short, step_s=0.1, target_lufs=None, overlay=long, overlay_label="v2"
        )
        assert chart is not None
        mine, theirs = points(chart.points), points(chart.overlay_points)
        self.assertEqual((len(mine), len(theirs)), (11, 59))  # the gap is left out
        # The longer curve ends at the plot's right edge, the shorter well before it.
        self.assertAlmostEqual(theirs[-1][0], chart.plot_right)
        self.assertLess(mine[-1][0], chart.plot_left + 0.5 * (chart.plot_right - chart.plot_left))
        # Both start at the same moment (three seconds in) and the louder is drawn higher.
        self.assertAlmostEqual(mine[0][0], theirs[0][0])
        self.assertLess(theirs[0][1], mine[0][1])
        self.assertEqual(chart.overlay_label, "v2")
        self.assertIsNone(chart.target_y)

    def test_an_overlay_with_nothing_measured_is_left_out(self) -> None:
        chart = charts.loudness_over_time(
            [-14.0, -14.0],
            step_s=0.1,
            target_lufs=-14.0,
            overlay=charts.LoudnessCurve([None, None], step_s=0.1),
            overlay_label="v2",
        )
        assert chart is not None
        self.assertEqual((chart.overlay_points, chart.overlay_label), ("", ""))


def ramp(mean: float = -50.0) -> list[float | None]:
    """Band levels whose relative levels are -10..+10 dB, low band to high."""
    return [mean + index - 10 for index in range(len(BAND_CENTRES_HZ))]


def profile(levels: float = 0.0, spread: float = 3.0) -> BandProfile:
    count = len(BAND_CENTRES_HZ)
    return BandProfile("Pop", (levels,) * count, (spread,) * count, 12, "test")


def points(line: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in line.split())]


def y_scale(chart: charts.TonalBalanceChart) -> charts.Scale:
    return charts.Scale(chart.top_db, chart.bottom_db, chart.plot_top, chart.plot_bottom)


class TonalBalanceChartTests(unittest.TestCase):
    def test_the_bands_sit_left_to_right_evenly_spaced_on_a_log_axis(self) -> None:
        chart = charts.tonal_balance(ramp())
        assert chart is not None
        xs = [band.x for band in chart.bands]
        gaps = [b - a for a, b in itertools.pairwise(xs)]
        self.assertTrue(all(gap > 0 for gap in gaps))
        self.assertLess(max(gaps) - min(gaps), 0.25)  # a tenth of a decade each

    def test_1_khz_is_the_middle_and_the_end_bands_sit_half_a_band_inside(self) -> None:
        chart = charts.tonal_balance(ramp())
        assert chart is not None
        left, right = chart.plot_left, chart.plot_right
        self.assertAlmostEqual(chart.bands[10].x, (left + right) / 2, delta=0.1)
        half_band = (right - left) * 0.05 / 2.1
        self.assertAlmostEqual(chart.bands[0].x, left + half_band, delta=0.1)
        self.assertAlmostEqual(chart.bands[-1].x, right - half_band, delta=0.1)

    def test_the_frequency_labels_land_on_their_frequencies(self) -> None:
        chart = charts.tonal_balance(ramp())
        assert chart is not None
        ticks = {tick.label: tick.x for tick in chart.frequency_ticks}
        self.assertEqual(list(ticks), ["100", "200", "500", "1k", "2k", "5k", "10k"])
        self.assertEqual(ticks["100"], chart.bands[0].x)
        self.assertEqual(ticks["1k"], chart.bands[10].x)
        self.assertEqual(ticks["10k"], chart.bands[20].x)
        # 200 Hz is a hair above the 199.5 Hz band's centre.
        self.assertAlmostEqual(ticks["200"], chart.bands[3].x, delta=0.5)

    def test_a_relative_level_lands_at_its_height(self) -> None:
        chart = charts.tonal_balance(ramp())
        assert chart is not None
        (line,) = chart.mix_lines
        drawn = points(line)
        height = chart.plot_bottom - chart.plot_top
        # The ramp runs -10..+10 dB on a -12..+12 axis: 0 dB mid-height, +10 near the top.
        self.assertEqual(drawn[10], (chart.bands[10].x, chart.zero_y))
        self.assertAlmostEqual(chart.zero_y, chart.plot_top + height / 2, delta=0.1)
        self.assertAlmostEqual(drawn[20][1], chart.plot_top + height * 2 / 24, delta=0.1)
        self.assertAlmostEqual(drawn[0][1], chart.plot_top + height * 22 / 24, delta=0.1)

    def test_the_shape_is_drawn_not_the_loudness(self) -> None:
        quiet = charts.tonal_balance(ramp(-70.0))
        loud = charts.tonal_balance(ramp(-30.0))
        assert quiet is not None and loud is not None
        self.assertEqual(quiet.mix_lines, loud.mix_lines)
        self.assertEqual(quiet.bands[0].mix_text, "-10.0 dB")
        self.assertEqual(quiet.bands[20].mix_text, "+10.0 dB")

    def test_an_unmeasured_band_breaks_the_line(self) -> None:
        levels = ramp()
        levels[5] = None
        chart = charts.tonal_balance(levels)
        assert chart is not None
        self.assertEqual([len(points(line)) for line in chart.mix_lines], [5, 15])
        self.assertEqual(chart.bands[5].mix_text, "–")
        self.assertIn("1 band has no level", chart.description)

    def test_a_band_measured_between_two_gaps_is_drawn_as_a_dot(self) -> None:
        levels = ramp()
        levels[4] = levels[6] = None
        chart = charts.tonal_balance(levels)
        assert chart is not None
        self.assertEqual([len(points(line)) for line in chart.mix_lines], [4, 14])
        self.assertEqual([x for x, _ in chart.mix_dots], [chart.bands[5].x])

    def test_a_flat_mix_keeps_12_db_either_side(self) -> None:
        chart = charts.tonal_balance([-40.0] * len(BAND_CENTRES_HZ))
        assert chart is not None
        self.assertEqual((chart.top_db, chart.bottom_db), (12.0, -12.0))
        self.assertEqual([label for _, label in chart.ticks], ["-12", "-6", "0", "+6", "+12"])

    def test_the_range_grows_to_the_next_6_db_step_beyond_the_data(self) -> None:
        levels = ramp()
        levels[0], levels[20] = -50.0 - 19.0, -50.0 + 14.5
        chart = charts.tonal_balance(levels)
        assert chart is not None
        measured = [band.mix_db for band in chart.bands if band.mix_db is not None]
        self.assertEqual((chart.top_db, chart.bottom_db), (18.0, -24.0))
        self.assertLessEqual(max(measured), chart.top_db)
        self.assertGreaterEqual(min(measured), chart.bottom_db)
        self.assertEqual(chart.ticks[0], (chart.plot_bottom, "-24"))
        self.assertEqual(chart.ticks[-1], (chart.plot_top, "+18"))

    def test_a_very_wide_range_has_gridlines_every_12_db(self) -> None:
        levels = ramp()
        levels[0], levels[20] = -50.0 - 40.0, -50.0 + 30.0
        chart = charts.tonal_balance(levels)
        assert chart is not None
        values = [float(label) for _, label in chart.ticks]
        self.assertEqual({b - a for a, b in itertools.pairwise(values)}, {12.0})
        self.assertLessEqual(len(chart.ticks), 9)

    def test_the_profile_band_encloses_its_levels_plus_and_minus_the_spread(self) -> None:
        shape = BandProfile(
            "Pop",
            tuple(float(index - 10) for index in range(21)),
            tuple(1.0 + index / 10 for index in range(21)),
            12,
            "test",
        )
        chart = charts.tonal_balance(ramp(), profile=shape)
        assert chart is not None
        y = y_scale(chart)
        corners = points(chart.profile_area)
        upper, lower = corners[:21], corners[21:][::-1]
        for band, (ux, uy), (lx, ly), level, spread in zip(
            chart.bands, upper, lower, shape.levels_db, shape.spread_db, strict=True
        ):
            self.assertEqual(ux, band.x)
            self.assertEqual(lx, band.x)
            self.assertEqual(uy, y(level + spread))
            self.assertEqual(ly, y(level - spread))
            self.assertLess(uy, y(level))
            self.assertGreater(ly, y(level))
        self.assertEqual(points(chart.profile_line)[3], (chart.bands[3].x, y(-7.0)))
        self.assertEqual(chart.bands[3].profile_text, "-7.0 dB ± 1.3")

    def test_the_range_fits_the_profile_band_too(self) -> None:
        chart = charts.tonal_balance(ramp(), profile=profile(levels=10.0, spread=5.0))
        assert chart is not None
        self.assertEqual(chart.top_db, 18.0)
        self.assertEqual(chart.profile_name, "Pop")

    def test_the_description_counts_the_bands_outside_the_profile(self) -> None:
        chart = charts.tonal_balance(ramp(), profile=profile(spread=3.0))
        assert chart is not None
        # Relative levels -10..+10 against 0 +- 3: fourteen bands lie beyond 3 dB.
        self.assertIn("14 of the mix's 21 measured bands lie outside it", chart.description)
        self.assertIn("strongest at 10 kHz (+10.0 dB)", chart.description)
        self.assertIn("weakest at 100 Hz (-10.0 dB)", chart.description)
        self.assertIn("against the Pop profile", chart.title)

    def test_the_overlay_is_drawn_relative_to_its_own_mean(self) -> None:
        reference = [None if level is None else level + 12.0 for level in ramp()]
        chart = charts.tonal_balance(ramp(), overlay=reference, overlay_label="Reference: Ode")
        assert chart is not None
        self.assertEqual(chart.overlay_lines, chart.mix_lines)
        self.assertEqual(chart.overlay_label, "Reference: Ode")
        self.assertEqual(chart.bands[0].overlay_text, "-10.0 dB")
        self.assertIn("with Reference: Ode", chart.title)

    def test_an_overlay_with_no_measured_band_is_left_out(self) -> None:
        chart = charts.tonal_balance(ramp(), overlay=[None] * 21, overlay_label="Reference")
        assert chart is not None
        self.assertEqual((chart.overlay_lines, chart.overlay_label), ([], ""))

    def test_a_mix_without_band_levels_has_no_chart(self) -> None:
        self.assertIsNone(charts.tonal_balance(()))
        self.assertIsNone(charts.tonal_balance([None] * 21))

    def test_levels_that_are_not_one_per_band_are_refused(self) -> None:
        with self.assertRaises(ValueError):
            charts.tonal_balance([-40.0] * 20)
        with self.assertRaises(ValueError):
            charts.tonal_balance(ramp(), overlay=[-40.0] * 3)

    def test_the_bands_carry_their_nominal_names(self) -> None:
        chart = charts.tonal_balance(ramp())
        assert chart is not None
        names = [band.name for band in chart.bands]
        self.assertEqual(names[:4], ["100 Hz", "125 Hz", "160 Hz", "200 Hz"])
        self.assertEqual(names[8:12], ["630 Hz", "800 Hz", "1 kHz", "1.25 kHz"])
        self.assertEqual(names[15:], ["3.15 kHz", "4 kHz", "5 kHz", "6.3 kHz", "8 kHz", "10 kHz"])


class StereoWidthChartTests(unittest.TestCase):
    def test_a_mono_file_has_no_width_chart(self) -> None:
        self.assertIsNone(charts.stereo_width(None, low_end_correlation=None))

    def test_the_bands_are_low_mid_and_high_left_to_right(self) -> None:
        chart = charts.stereo_width(StereoWidth(0.1, 0.4, 0.6))
        assert chart is not None
        self.assertEqual([band.name for band in chart.bands], ["Low", "Mid", "High"])
        self.assertEqual(chart.bands[0].range_label, "below 150 Hz")
        xs = [band.x for band in chart.bands]
        self.assertEqual(xs, sorted(xs))

    def test_a_ratio_lands_at_its_height(self) -> None:
        chart = charts.stereo_width(StereoWidth(0.75, 0.0, 1.5))
        assert chart is not None
        low, mid, high = (band.mix for band in chart.bands)
        full = chart.plot_bottom - chart.plot_top
        self.assertAlmostEqual(low.height, full / 2, delta=0.1)
        self.assertEqual(low.y + low.height, chart.plot_bottom)
        self.assertEqual((mid.height, mid.y), (0.0, chart.plot_bottom))
        self.assertEqual(high.y, chart.plot_top)
        self.assertFalse(high.clamped)
        self.assertEqual(high.marker, "")

    def test_a_ratio_beyond_the_scale_is_clamped_and_marked(self) -> None:
        chart = charts.stereo_width(StereoWidth(0.1, 0.5, 2.4))
        assert chart is not None
        high = chart.bands[2].mix
        self.assertTrue(high.clamped)
        self.assertEqual(high.y, chart.plot_top)
        self.assertEqual(high.height, chart.plot_bottom - chart.plot_top)
        self.assertEqual(high.label, "2.40")
        tip = min(float(pair.split(",")[1]) for pair in high.marker.split())
        self.assertLess(tip, chart.plot_top)
        self.assertLess(high.label_y, tip)
        self.assertTrue(chart.any_clamped)
        self.assertIn("beyond the scale's 1.5", chart.description)

    def test_a_band_without_a_ratio_has_no_bar(self) -> None:
        chart = charts.stereo_width(StereoWidth(0.1, None, 0.6))
        assert chart is not None
        mid = chart.bands[1]
        self.assertEqual((mid.mix.value, mid.mix.height, mid.mix.label), (None, 0.0, "–"))

    def test_the_gridlines_run_from_0_to_1_5_with_1_marked(self) -> None:
        chart = charts.stereo_width(StereoWidth(0.1, 0.4, 0.6))
        assert chart is not None
        self.assertEqual([label for _, label in chart.ticks], ["0", "0.5", "1", "1.5"])
        self.assertEqual(chart.unrelated_y, {lab: y for y, lab in chart.ticks}["1"])

    def test_the_overlay_is_a_second_bar_beside_each_band(self) -> None:
        chart = charts.stereo_width(
            StereoWidth(0.1, 0.4, 0.6), overlay=StereoWidth(0.2, 0.3, 2.0), overlay_label="Ode"
        )
        assert chart is not None
        for band in chart.bands:
            assert band.overlay is not None
            self.assertLess(band.mix.x + band.mix.width, band.overlay.x)
            self.assertLess(band.mix.x, band.x)
            self.assertGreater(band.overlay.x, band.x)
        self.assertEqual([band.overlay_text for band in chart.bands], ["0.20", "0.30", "2.00"])
        self.assertTrue(chart.any_clamped)
        self.assertEqual(chart.overlay_label, "Ode")
        self.assertIn("Ode: low 0.20, mid 0.30, high 2.00.", chart.description)

    def test_without_an_overlay_each_band_has_one_bar(self) -> None:
        chart = charts.stereo_width(StereoWidth(0.1, 0.4, 0.6))
        assert chart is not None
        self.assertEqual([band.overlay for band in chart.bands], [None, None, None])
        self.assertAlmostEqual(chart.bands[0].mix.label_x, chart.bands[0].x, delta=0.1)

    def test_the_low_end_correlation_is_a_signed_figure(self) -> None:
        width = StereoWidth(0.1, 0.4, 0.6)
        positive = charts.stereo_width(width, low_end_correlation=0.934)
        negative = charts.stereo_width(width, low_end_correlation=-0.2)
        unknown = charts.stereo_width(width, low_end_correlation=None)
        assert positive is not None and negative is not None and unknown is not None
        self.assertEqual(positive.correlation_text, "+0.93")
        self.assertEqual(negative.correlation_text, "-0.20")
        self.assertEqual(unknown.correlation_text, "")
        self.assertIn("Low-end correlation below 150 Hz: +0.93.", positive.description)


class ChartTemplateTests(SimpleTestCase):
    """The charts as a page's template writes them, through their tags."""

    def render(self, tag: str, chart: object, mix_label: str) -> str:
        page = Template(f"{{% load chart_tags %}}{{% {tag} chart mix_label %}}")
        return page.render(Context({"chart": chart, "mix_label": mix_label}))

    def tonal(self, *, chart: object, mix_label: str = "") -> str:
        return self.render("tonal_balance_chart", chart, mix_label)

    def width(self, *, chart: object, mix_label: str = "") -> str:
        return self.render("stereo_width_chart", chart, mix_label)

    def test_user_text_in_a_chart_is_escaped(self) -> None:
        chart = charts.tonal_balance(ramp(), overlay=ramp(-3.0), overlay_label="<b>Ode</b>")
        html = self.tonal(chart=chart, mix_label="<i>v3</i>")
        self.assertNotIn("<b>", html)
        self.assertNotIn("<i>", html)
        self.assertIn("&lt;b&gt;Ode&lt;/b&gt;", html)
        self.assertIn("&lt;i&gt;v3&lt;/i&gt;", html)
        width = charts.stereo_width(StereoWidth(0.1, 0.4, 2.0), overlay_label="<b>Ode</b>")
        self.assertNotIn("<b>", self.width(chart=width, mix_label="<i>v3</i>"))

    def test_the_tonal_chart_is_an_svg_image_that_says_what_it_shows(self) -> None:
        chart = charts.tonal_balance(ramp(), profile=profile())
        html = self.tonal(chart=chart)
        self.assertIn('role="img"', html)
        self.assertIn("<title>Tonal balance of the mix", html)
        self.assertIn("against the Pop profile</title>", html)
        self.assertIn("<desc>Each band", html)
        self.assertIn('class="profile-area"', html)

    def test_the_tonal_chart_has_a_hidden_table_of_every_band(self) -> None:
        reference = ramp(-20.0)
        chart = charts.tonal_balance(
            ramp(), profile=profile(), overlay=reference, overlay_label="Reference: Ode"
        )
        html = self.tonal(chart=chart, mix_label="v3")
        table = html[html.index('<div class="visually-hidden">') :]
        self.assertEqual(table.count('<th scope="row">'), 21)
        self.assertIn('<th scope="col">v3</th>', table)
        self.assertIn('<th scope="col">Pop profile</th>', table)
        self.assertIn('<th scope="col">Reference: Ode</th>', table)
        self.assertIn('<th scope="row">1.25 kHz</th>', table)
        self.assertIn("<td>+1.0 dB</td>", table)

    def test_a_broken_line_is_drawn_as_one_polyline_per_run(self) -> None:
        levels = ramp()
        levels[7] = None
        html = self.tonal(chart=charts.tonal_balance(levels))
        self.assertEqual(html.count('<polyline class="curve"'), 2)
        self.assertNotIn("profile", html.split("</svg>")[0].split("</desc>")[1])

    def test_a_mix_without_band_levels_says_so(self) -> None:
        self.assertIn("No tonal balance to show", self.tonal(chart=charts.tonal_balance(())))

    def test_the_width_chart_is_an_svg_image_with_a_hidden_table(self) -> None:
        chart = charts.stereo_width(
            StereoWidth(0.1, 0.4, 2.0),
            low_end_correlation=0.9,
            overlay=StereoWidth(0.2, 0.3, 0.5),
            overlay_label="Ode",
        )
        html = self.width(chart=chart)
        self.assertIn('role="img"', html)
        self.assertIn("<title>Stereo width by band", html)
        self.assertIn("<desc>Side-to-mid ratio", html)
        self.assertEqual(html.count('class="bar bar-mix'), 3)
        self.assertEqual(html.count('class="bar bar-overlay'), 3)
        self.assertEqual(html.count('class="clamp-mark"'), 1)
        self.assertIn("<strong>+0.90</strong>", html)
        table = html[html.index('<div class="visually-hidden">') :]
        self.assertEqual(table.count('<th scope="row">'), 3)
        self.assertIn('<th scope="row">High (above 5 kHz)</th>', table)
        self.assertIn("<td>2.00</td>", table)

    def test_a_mono_file_says_it_has_no_stereo_width(self) -> None:
        html = self.width(chart=charts.stereo_width(None))
        self.assertIn("Mono: no stereo width to show.", html)
        self.assertNotIn("<svg", html)

    def test_the_charts_style_nothing_inline(self) -> None:
        tonal = self.tonal(chart=charts.tonal_balance(ramp(), profile=profile()))
        width = self.width(chart=charts.stereo_width(StereoWidth(0.1, 0.4, 2.0)))
        for html in (tonal, width):
            self.assertNotIn(" style=", html)
            self.assertNotIn("<script", html)

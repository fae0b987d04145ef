"""The charts' geometry: values land where they should, and labels stay inside."""

from __future__ import annotations

import unittest

from songs import charts


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

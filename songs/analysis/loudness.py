"""Loudness to ITU-R BS.1770-4 and EBU Tech 3341/3342, measured block by block.

The K-weighted, channel-weighted signal power is summed into 10 ms sub-blocks. Every
measurement is built from those sums: momentary (400 ms) and short-term (3 s) windows
slide by one sub-block, so their maxima are found at a 100 Hz rate (EBU Tech 3341's
bursts need more than 10 Hz); the gating blocks for integrated loudness and the
short-term values for loudness range are the windows that start on 100 ms steps, as
BS.1770-4 (75 % overlap) and Tech 3342 (10 Hz) specify. Only a few seconds of sub-blocks
and one number per 100 ms are kept, so memory barely grows with the file's length.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import overload

import numpy as np

# ITU-R BS.1770-4, tables 1 and 2: the K-weighting filter's two stages at 48 kHz.
_SHELF_48K = ((1.53512485958697, -2.69169618940638, 1.19839281085285),
              (1.0, -1.69065929318241, 0.73248077421585))  # fmt: skip
_HIGHPASS_48K = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))
_REFERENCE_RATE = 48000

LOUDNESS_OFFSET = -0.691
"""BS.1770's constant that makes a 997 Hz sine at -23 dBFS in one front channel -23 LUFS."""
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
LRA_LOW_PERCENTILE = 10.0
LRA_HIGH_PERCENTILE = 95.0

SUBBLOCKS_PER_SECOND = 100
MOMENTARY_SUBBLOCKS = 40  # 400 ms
SHORT_TERM_SUBBLOCKS = 300  # 3 s
GATING_STEP_SUBBLOCKS = 10  # 100 ms: 75 % overlap of 400 ms blocks, and Tech 3342's 10 Hz

SURROUND_WEIGHT = 1.41


def lufs(mean_square: float) -> float:
    """Loudness of a channel-weighted mean square; -inf for silence."""
    if mean_square <= 0.0:
        return -math.inf
    return LOUDNESS_OFFSET + 10.0 * math.log10(mean_square)


def _mean_square_at(loudness: float) -> float:
    return float(10.0 ** ((loudness - LOUDNESS_OFFSET) / 10.0))


def _analogue_prototype(
    b: tuple[float, float, float], a: tuple[float, float, float], sample_rate: int
) -> tuple[float, float, float, float, float]:
    """Undo a bilinear transform prewarped at the filter's own frequency.

    A biquad made from H(s) = (Vh s^2 + Vb s/Q + V0) / (s^2 + s/Q + 1) with
    s = (1 - 1/z) / (K (1 + 1/z)), K = tan(pi f0 / fs), is fully described by
    (K, Q, Vh, Vb, V0). Solving for them from the published 48 kHz coefficients gives
    the analogue filter the standard sampled, which can then be sampled at any rate.
    Returns (f0 in Hz, Q, Vh, Vb, V0).
    """
    _, a1, a2 = a
    k_squared = (1.0 + a1 + a2) / (1.0 - a1 + a2)
    k = math.sqrt(k_squared)
    norm = 4.0 / (1.0 - a1 + a2)  # the a0 that normalising divided out
    k_over_q = norm - 1.0 - k_squared
    b0, b1, b2 = (coefficient * norm for coefficient in b)
    vh = (b0 + b2 - b1) / 4.0
    v0 = (b0 + b1 + b2) / (4.0 * k_squared)
    vb = (b0 - b2) / (2.0 * k_over_q)
    f0 = sample_rate / math.pi * math.atan(k)
    return f0, k / k_over_q, vh, vb, v0


def _bilinear(prototype: tuple[float, float, float, float, float], sample_rate: int) -> list[float]:
    f0, q, vh, vb, v0 = prototype
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    return [
        (vh + vb * k / q + v0 * k * k) / a0,
        2.0 * (v0 * k * k - vh) / a0,
        (vh - vb * k / q + v0 * k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """The K-weighting filter for `sample_rate` as second-order sections.

    At 48 kHz this returns the published coefficients; elsewhere the same analogue
    filters sampled at the file's own rate.
    """
    sections = [
        _bilinear(_analogue_prototype(*stage, _REFERENCE_RATE), sample_rate)
        for stage in (_SHELF_48K, _HIGHPASS_48K)
    ]
    return np.array(sections, dtype=np.float64)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770-4 channel weights, assuming the WAV/SMPTE order (L R C LFE Ls Rs ...).

    Surround channels count 1.41 times; the LFE channel of 5.1 and 7.1 is left out.
    """
    layouts = {
        4: (1.0, 1.0, SURROUND_WEIGHT, SURROUND_WEIGHT),  # quad: L R Ls Rs
        5: (1.0, 1.0, 1.0, SURROUND_WEIGHT, SURROUND_WEIGHT),  # 5.0: L R C Ls Rs
        6: (1.0, 1.0, 1.0, 0.0, SURROUND_WEIGHT, SURROUND_WEIGHT),  # 5.1
        8: (1.0, 1.0, 1.0, 0.0) + (SURROUND_WEIGHT,) * 4,  # 7.1
    }
    return np.array(layouts.get(channels, (1.0,) * channels), dtype=np.float64)


class BlockFilter:
    """An IIR filter (second-order sections) run exactly on blocks with matrix products.

    The cascade is written as a state-space system s' = A s + B x, y = C s + D x. Cut a
    block into segments of L samples: each segment's output is its own input through
    the first L taps of the impulse response (a Toeplitz product) plus the response to
    the state it starts in; the state after a segment is P = A^L times the state before
    plus the segment's own drive. The segment-to-segment recurrence is solved by groups
    (see `_scan`). Everything large is a matrix product, which is faster than scipy's
    sample loop and leaves out the second or so that importing scipy.signal costs.
    """

    SEGMENT = 32
    """Samples per segment: the Toeplitz product costs L multiply-adds a sample, the
    states a fixed few; 32 balances them (a fifth faster than 64)."""
    GROUP = 8
    """Segments whose states one matrix product finds from their group's start state."""

    def __init__(self, sos: np.ndarray, channels: int) -> None:
        a, b, c, d = _state_space(np.asarray(sos, dtype=np.float64))
        length = self.SEGMENT
        order = len(a)
        self._powers = [np.eye(order)]  # A^0 .. A^L
        for _ in range(length):
            self._powers.append(a @ self._powers[-1])
        self._drive = np.array([self._powers[j] @ b for j in range(length)])  # A^j B
        self._reach = np.array([c @ self._powers[j] for j in range(length)])  # C A^j
        impulse = np.concatenate(([d], self._reach[:-1] @ b))  # h[0] = D, h[j] = C A^(j-1) B
        lags = np.arange(length)[:, None] - np.arange(length)[None, :]
        self._toeplitz = np.where(lags >= 0, impulse[np.clip(lags, 0, None)], 0.0)
        self._toeplitz_t32 = np.ascontiguousarray(self._toeplitz.T, dtype=np.float32)
        self._drive_t32 = np.ascontiguousarray(self._drive[::-1], dtype=np.float32)
        self._reach_t32 = np.ascontiguousarray(self._reach.T, dtype=np.float32)
        self._segment_step = self._powers[length]  # P = A^L
        self._levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.state = np.zeros((channels, order))

    def __call__(self, block: np.ndarray) -> np.ndarray:
        """Filter a channels x frames float32 block, continuing from the previous one."""
        channels, frames = block.shape
        length = self.SEGMENT
        whole = frames - frames % length
        if whole == frames:  # every block but a file's last
            return self._segments(block.reshape(channels, -1, length))
        out = np.empty((channels, frames), dtype=np.float32)
        if whole:
            out[:, :whole] = self._segments(block[:, :whole].reshape(channels, -1, length))
        out[:, whole:] = self._tail(block[:, whole:].astype(np.float64))
        return out

    def _segments(self, segments: np.ndarray) -> np.ndarray:
        channels, count, length = segments.shape
        zero_state = segments @ self._toeplitz_t32
        # The states in double: the filter's poles near z = 1 make them large sums that
        # cancel in the output, so single precision there would cost two digits.
        drive = (segments @ self._drive_t32).astype(np.float64)
        starts, self.state = self._scan(drive, self.state, 0)
        zero_state += starts.astype(np.float32) @ self._reach_t32
        return zero_state.reshape(channels, count * length)

    def _scan(
        self, drive: np.ndarray, start: np.ndarray, level: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The states before every segment and after the last, for s' = M s + drive,
        from `start`: M is P = A^L at level 0, the step of GROUP^level segments above.

        Each group of GROUP steps is one matrix product: the states inside it from its
        own drives, and its end state; the groups' ends are the same recurrence one level
        up, with M^GROUP, solved the same way until one group is left.
        """
        channels, count, order = drive.shape
        step, inside, from_start = self._level(level)
        if count == 1:
            return start[:, None], start @ step.T + drive[:, 0]
        group = self.GROUP
        groups = -(-count // group)
        if groups * group != count:
            padding = np.zeros((channels, groups * group - count, order))
            drive = np.concatenate((drive, padding), axis=1)
        # Per group, as if it started from zero: the states before its segments 1..G-1
        # and after its last.
        within = drive.reshape(channels, groups, group * order) @ inside
        group_starts, _ = self._scan(within[:, :, -order:], start, level + 1)
        starts = group_starts @ from_start
        starts[:, :, order:] += within[:, :, :-order]
        starts = starts.reshape(channels, groups * group, order)[:, :count]
        return starts, starts[:, -1] @ step.T + drive[:, count - 1]

    def _level(self, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(M, inside, from_start) for a level of the scan, made on first use.

        As row vectors, the state before step m of a group is its group's start state
        times (M^m)^T plus each earlier step i's drive times (M^(m-1-i))^T: `from_start`
        holds the (M^m)^T side by side, `inside` the (M^(m-1-i))^T blocks, with m = G
        (the group's end) last.
        """
        while len(self._levels) <= level:
            step = self._levels[-1][0] if self._levels else self._segment_step
            if self._levels:
                for _ in range(self.GROUP - 1):
                    step = step @ self._levels[-1][0]
            order, group = len(step), self.GROUP
            powers = [np.eye(order)]  # M^0 .. M^G
            for _ in range(group):
                powers.append(step @ powers[-1])
            inside = np.zeros((group * order, group * order))
            for m in range(1, group + 1):
                for i in range(m):
                    inside[i * order : (i + 1) * order, (m - 1) * order : m * order] = powers[
                        m - 1 - i
                    ].T
            from_start = np.hstack([power.T for power in powers[:group]])
            self._levels.append((step, inside, from_start))
        return self._levels[level]

    def _tail(self, samples: np.ndarray) -> np.ndarray:
        frames = samples.shape[1]
        out: np.ndarray = (
            samples @ self._toeplitz[:frames, :frames].T + self.state @ self._reach[:frames].T
        )
        self.state = self.state @ self._powers[frames].T + samples @ self._drive[:frames][::-1]
        return out


def _state_space(sos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(A, B, C, D) of a cascade of biquads, each in transposed direct form II."""
    a = np.zeros((0, 0))
    b = np.zeros(0)
    c = np.zeros(0)
    d = 1.0
    for b0, b1, b2, _, a1, a2 in sos:
        section_a = np.array([[-a1, 1.0], [-a2, 0.0]])
        section_b = np.array([b1 - a1 * b0, b2 - a2 * b0])
        section_c = np.array([1.0, 0.0])
        size = len(a)
        cascade = np.zeros((size + 2, size + 2))
        cascade[:size, :size] = a
        cascade[size:, :size] = np.outer(section_b, c)  # this section is fed the last's output
        cascade[size:, size:] = section_a
        a, b, c, d = (
            cascade,
            np.concatenate((b, section_b * d)),
            np.concatenate((b0 * c, section_c)),
            b0 * d,
        )
    return a, b, c, d


@dataclass(frozen=True)
class LoudnessResult:
    integrated_lufs: float | None
    loudness_range_lu: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    momentary_blocks: np.ndarray
    """Mean square of each 400 ms gating block, one every 100 ms from t = 0."""
    short_term_blocks: np.ndarray
    """Mean square of each 3 s window, one every 100 ms, the first ending at 3 s."""


class LoudnessMeter:
    """Feed float32 blocks (channels x frames) in order, then call `result()`."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self._filter = BlockFilter(k_weighting_sos(sample_rate), channels)
        self._weights = channel_weights(channels).astype(np.float32)
        self._position = 0
        self._next_subblock = 0
        self._partial = 0.0
        # Completed sub-block sums still needed by a window that has not ended yet.
        self._history = np.zeros(0, dtype=np.float64)
        self._history_first = 0
        self._momentary_max = -1.0
        self._short_term_max = -1.0
        self._momentary_blocks = array("d")
        self._ones = {size: np.ones(size) for size in (MOMENTARY_SUBBLOCKS, SHORT_TERM_SUBBLOCKS)}
        self._short_term_blocks = array("d")

    @overload
    def _boundary(self, index: np.ndarray) -> np.ndarray: ...
    @overload
    def _boundary(self, index: int) -> int: ...
    def _boundary(self, index: np.ndarray | int) -> np.ndarray | int:
        """First sample of sub-block `index`: rounded, so any sample rate works."""
        return (index * self.sample_rate + SUBBLOCKS_PER_SECOND // 2) // SUBBLOCKS_PER_SECOND

    def add(self, block: np.ndarray) -> None:
        filtered = self._filter(block)
        np.square(filtered, out=filtered)
        power = self._weights @ filtered
        start = self._position
        end = start + len(power)
        self._position = end

        # Sub-block ends that fall inside this block.
        most = len(power) * SUBBLOCKS_PER_SECOND // self.sample_rate + 2
        indices = np.arange(self._next_subblock + 1, self._next_subblock + 1 + most)
        ends = self._boundary(indices)
        ends = ends[ends <= end] - start
        if len(ends) == 0:
            self._partial += float(power.sum(dtype=np.float64))
            return
        cuts = np.concatenate(([0], ends[ends < len(power)]))
        sums = np.add.reduceat(power, cuts, dtype=np.float64)
        completed = sums[: len(ends)].copy()
        completed[0] += self._partial
        self._partial = float(sums[len(ends)]) if len(sums) > len(ends) else 0.0
        self._add_subblocks(completed)

    def _add_subblocks(self, sums: np.ndarray) -> None:
        first_new = self._next_subblock
        self._next_subblock += len(sums)
        history = np.concatenate((self._history, sums))
        first = self._history_first
        momentary = self._windows(
            history, first, first_new, MOMENTARY_SUBBLOCKS, self._momentary_blocks
        )
        short_term = self._windows(
            history, first, first_new, SHORT_TERM_SUBBLOCKS, self._short_term_blocks
        )
        self._momentary_max = max(self._momentary_max, momentary)
        self._short_term_max = max(self._short_term_max, short_term)
        keep = SHORT_TERM_SUBBLOCKS - 1
        self._history = history[-keep:]
        self._history_first = self._next_subblock - len(self._history)

    def _windows(
        self, history: np.ndarray, first: int, first_new: int, length: int, on_steps: array[float]
    ) -> float:
        """Max mean square of the windows of `length` sub-blocks ending on new sub-blocks.

        Those starting on a 100 ms step are also appended to `on_steps`.
        """
        # Window ends (exclusive, absolute sub-block index) for windows that end on a new
        # sub-block and lie wholly after t = 0.
        end_from = max(first_new + 1, length)
        end_to = self._next_subblock
        if end_to < end_from:
            return -1.0
        offset = end_from - length - first
        count = end_to - end_from + 1
        # Sums of non-negative powers: a window of digital silence stays exactly zero.
        window = history[offset : offset + count + length - 1]
        energies = np.convolve(window, self._ones[length], mode="valid")
        ends = np.arange(end_from, end_to + 1)
        samples = self._boundary(ends) - self._boundary(ends - length)
        mean_squares = energies / samples
        starts = ends - length
        on_steps.extend(mean_squares[starts % GATING_STEP_SUBBLOCKS == 0].tolist())
        return float(mean_squares.max())

    def result(self) -> LoudnessResult:
        momentary = np.frombuffer(self._momentary_blocks, dtype=np.float64)
        short_term = np.frombuffer(self._short_term_blocks, dtype=np.float64)
        return LoudnessResult(
            integrated_lufs=integrated_loudness(momentary),
            loudness_range_lu=loudness_range(short_term),
            momentary_max_lufs=_finite_lufs(self._momentary_max),
            short_term_max_lufs=_finite_lufs(self._short_term_max),
            momentary_blocks=momentary,
            short_term_blocks=short_term,
        )


def _finite_lufs(mean_square: float) -> float | None:
    """None when no window was complete (-1) or everything was digital silence."""
    if mean_square <= 0.0:
        return None
    return lufs(mean_square)


def integrated_loudness(gating_blocks: np.ndarray) -> float | None:
    """BS.1770-4 gated loudness of 400 ms block mean squares; None if all gated out."""
    absolute = gating_blocks[gating_blocks > _mean_square_at(ABSOLUTE_GATE_LUFS)]
    if len(absolute) == 0:
        return None
    relative_gate = lufs(float(absolute.mean())) + RELATIVE_GATE_LU
    gated = absolute[absolute > _mean_square_at(relative_gate)]
    if len(gated) == 0:
        return None
    return lufs(float(gated.mean()))


def loudness_range(short_term: np.ndarray) -> float | None:
    """EBU Tech 3342 loudness range of 3 s window mean squares taken at 10 Hz."""
    absolute = short_term[short_term > _mean_square_at(ABSOLUTE_GATE_LUFS)]
    if len(absolute) == 0:
        return None
    relative_gate = lufs(float(absolute.mean())) + LRA_RELATIVE_GATE_LU
    gated = absolute[absolute > _mean_square_at(relative_gate)]
    if len(gated) == 0:
        return None
    levels = LOUDNESS_OFFSET + 10.0 * np.log10(gated)
    low, high = np.percentile(levels, [LRA_LOW_PERCENTILE, LRA_HIGH_PERCENTILE])
    return float(high - low)

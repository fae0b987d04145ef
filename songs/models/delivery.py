"""Delivery profiles: what a finished master must be to deliver (shipped as data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from coaching.statements import Statement
from songs import analysis
from songs.analysis.formats import AudioFormat


class DeliveryProfileQuerySet(models.QuerySet["DeliveryProfile"]):
    def default(self) -> DeliveryProfile:
        """The profile songs are judged against unless they choose another.

        Falls back to the same CD-quality profile, unsaved, if the data is missing (a
        flushed test database, say), so readiness never fails for want of a row.
        """
        profile = _DEFAULT_PROFILE.first()
        return profile or DeliveryProfile(**CD_QUALITY)


class DeliveryProfile(models.Model):
    """What a finished master must be to deliver: formats, sample rate, bit depth.

    Shipped as data (migration 0005_delivery_profiles); course admins may add their own.
    """

    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=200)
    formats = models.JSONField(default=list, help_text='Accepted containers, e.g. ["wav", "flac"].')
    min_sample_rate_hz = models.PositiveIntegerField(default=44_100)
    min_bit_depth = models.PositiveSmallIntegerField(default=16)
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = DeliveryProfileQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_delivery_profile",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        known = {member.value for member in AudioFormat}
        if not isinstance(self.formats, list) or not self.formats:
            raise ValidationError({"formats": "List at least one format."})
        unknown = sorted(set(map(str, self.formats)) - known)
        if unknown:
            raise ValidationError(
                {"formats": f"Unknown format(s): {', '.join(unknown)}; use {', '.join(known)}."}
            )

    @property
    def format_labels(self) -> list[str]:
        known = {member.value for member in AudioFormat}
        return [AudioFormat(value).label for value in self.formats if value in known]

    def delivery(
        self, *, title: str | None = None, artist: str | None = None, isrc: str | None = None
    ) -> analysis.Delivery:
        """This profile as the engine's rulebook, with what the song says the master is."""
        return analysis.Delivery(
            profile=self.name,
            formats=tuple(str(value) for value in self.formats),
            min_sample_rate_hz=self.min_sample_rate_hz,
            min_bit_depth=self.min_bit_depth,
            title=title,
            artist=artist,
            isrc=isrc,
        )


# What .first() asked (in the model's ordering), built once: readiness reads it on every
# song page and dossier.
_DEFAULT_PROFILE: Statement[DeliveryProfile] = Statement(
    lambda: DeliveryProfile.objects.filter(is_default=True).order_by("position", "name")[:1]
)
_ENGINE_DEFAULT = analysis.Delivery()
CD_QUALITY: dict[str, Any] = {
    "name": _ENGINE_DEFAULT.profile,
    "description": "WAV or FLAC, 44.1 kHz / 16-bit and up",
    "formats": list(_ENGINE_DEFAULT.formats),
    "min_sample_rate_hz": _ENGINE_DEFAULT.min_sample_rate_hz,
    "min_bit_depth": _ENGINE_DEFAULT.min_bit_depth,
    "is_default": True,
    "position": 1,
}
"""The default profile when its row is missing: the engine's own default delivery, which
migration 0005_delivery_profiles ships as data."""

"""The delivery profiles a master can be judged against, shipped as data.

Course admins may edit them or add others afterwards; "CD quality" is the default.
"""

from django.db import migrations

PROFILES = [
    {
        "name": "CD quality",
        "description": "WAV or FLAC, 44.1 kHz / 16-bit and up",
        "formats": ["wav", "flac"],
        "min_sample_rate_hz": 44_100,
        "min_bit_depth": 16,
        "is_default": True,
        "position": 1,
    },
    {
        "name": "Hi-res",
        "description": "WAV or FLAC, 96 kHz / 24-bit and up",
        "formats": ["wav", "flac"],
        "min_sample_rate_hz": 96_000,
        "min_bit_depth": 24,
        "is_default": False,
        "position": 2,
    },
    {
        "name": "Any lossless",
        "description": "WAV, AIFF or FLAC, 44.1 kHz / 16-bit and up",
        "formats": ["wav", "aiff", "flac"],
        "min_sample_rate_hz": 44_100,
        "min_bit_depth": 16,
        "is_default": False,
        "position": 3,
    },
]


def load_profiles(apps, schema_editor):
    DeliveryProfile = apps.get_model("songs", "DeliveryProfile")
    for profile in PROFILES:
        DeliveryProfile.objects.update_or_create(name=profile["name"], defaults=profile)


def unload_profiles(apps, schema_editor):
    DeliveryProfile = apps.get_model("songs", "DeliveryProfile")
    DeliveryProfile.objects.filter(name__in=[p["name"] for p in PROFILES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("songs", "0004_release"),
    ]

    operations = [migrations.RunPython(load_profiles, unload_profiles)]

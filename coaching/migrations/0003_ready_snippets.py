"""Ready feedback snippets, one per analysis check a coach most often has to explain.

They belong to no coach (everyone may insert them) and are offered when the check of the
same id did not pass on the bounce under discussion. Coaches edit the text after
inserting it; course admins can change these in the Django admin.
"""

from django.db import migrations

READY = [
    ("true_peak", "True peak over the ceiling",
     "Your true peak goes above the ceiling. When this is converted to MP3 or AAC the "
     "peaks will clip. Set the limiter's ceiling to -1 dBTP in true-peak mode and bounce "
     "again."),
    ("clipping", "Clipping in the bounce",
     "I can see (and hear) clipping: the waveform flattens at full scale. Find the stage "
     "that overloads (often the master bus or the limiter input), pull it down a few dB "
     "and bounce again."),
    ("isrc", "ISRC missing",
     "The master has no ISRC embedded. Get one from your distributor or national ISRC "
     "agency and write it into the file's tags before delivery."),
    ("tags", "Title and artist tags missing",
     "Fill in the title and artist tags at export, so the song is credited wherever the "
     "file travels."),
    ("artwork", "Cover art missing",
     "There is no cover art in the file. Embed a square JPEG or PNG of at least "
     "3000 x 3000 px, or make sure your distributor has it."),
    ("integrated_loudness", "Loudness off target",
     "The overall loudness is away from our target. Adjust the limiter's input gain in "
     "small steps and compare with a reference track at matched loudness."),
    ("loudness_range", "Dynamics squashed",
     "The loudness range is very small: verses and choruses hit equally hard. Back off "
     "the compression or limiting so the song can breathe."),
    ("mix_headroom", "Leave headroom for mastering",
     "The mix peaks too close to full scale. Pull the master fader down so peaks sit "
     "around -6 to -3 dBFS and leave the loudness to mastering."),
    ("recording_headroom", "Recording too hot",
     "The take peaks too close to full scale. Lower the input gain so peaks stay below "
     "about -6 dBFS; you lose nothing by recording a little lower."),
    ("correlation", "Mono compatibility",
     "Parts of the mix cancel in mono. Check for a flipped polarity or very wide stereo "
     "effects, and listen in mono while you fix it."),
    ("dc_offset", "DC offset",
     "The waveform sits off centre (DC offset). Apply a DC-offset removal or a gentle "
     "high-pass filter on the affected track."),
    ("abrupt_edges", "Abrupt start or end",
     "The bounce starts or ends with a click. Add short fades at the edges."),
]


def add_snippets(apps, schema_editor):
    Snippet = apps.get_model("coaching", "Snippet")
    for check_id, title, body in READY:
        Snippet.objects.update_or_create(
            coach=None, check_id=check_id, defaults={"title": title, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("coaching", "0002_reviews_comments_notifications")]

    operations = [migrations.RunPython(add_snippets, migrations.RunPython.noop)]

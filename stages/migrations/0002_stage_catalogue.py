"""The seven stages of STAGES.md, shipped as data; course admins edit them afterwards.

Names, core actions and poles are kept exactly as coaches and students say them; the
other copy is Stagecoach's own wording of the same facts.
"""

from django.db import migrations

CATALOGUE = [
    {
        "order": 1,
        "slug": "production",
        "name": "Music Production",
        "theme": "The Vision",
        "question": "What is this song for, and how will it get finished?",
        "summary": (
            "Decide where the song is going before you start the journey: what it is for, "
            "what you will make it with, and the route from first idea to finished track."
        ),
        "actions": [
            ("Define the purpose", "The story or feeling the song exists to carry."),
            ("Choose the tools", "DAW, instruments, sounds and collaborators."),
            ("Sketch the workflow", "The steps from idea to finished track."),
        ],
        "poles": ("control", "chaos"),
        "balance_note": (
            "Hold on too tightly and nothing unexpected can happen; let go completely and "
            "the time runs out before the song is done."
        ),
        "takeaway": "Production sets the destination before the journey begins.",
    },
    {
        "order": 2,
        "slug": "songwriting",
        "name": "Songwriting",
        "theme": "The Message",
        "question": "What is the one feeling, and what carries it?",
        "summary": (
            "Find the one feeling at the centre of the song and the hook that carries it, "
            "then give the sections contrast so the feeling has somewhere to go."
        ),
        "actions": [
            ("Find the single core emotion", "One feeling, named in a word or two."),
            ("Write the hook", "The phrase or melody that holds the feeling."),
            ("Build contrast", "Verse, chorus and bridge as tension and release."),
        ],
        "poles": ("heart", "craft"),
        "balance_note": (
            "Pure feeling without technique loses the message; pure technique without "
            "feeling loses the soul."
        ),
        "takeaway": "Songwriting captures the heart of the message before anything is recorded.",
    },
    {
        "order": 3,
        "slug": "pre-production",
        "name": "Pre-Production",
        "theme": "The Blueprint",
        "question": "Is everything planned and prepared before recording?",
        "summary": (
            "Settle tempo, key and arrangement in the demo and get the session ready, so "
            "nothing technical gets in the way once the performance starts."
        ),
        "actions": [
            ("Refine the demo", "Tempo, key and arrangement settled."),
            ("Prepare the session", "Tracks named, gear tested, signal flow organised."),
            ("Remove friction", "Clear anything that could interrupt the creative work later."),
        ],
        "poles": ("structure", "spontaneity"),
        "balance_note": (
            "Preparation is what makes room for the spontaneous moment; without it the "
            "session stalls."
        ),
        "takeaway": "Pre-production saves time, money and creative energy during recording.",
    },
    {
        "order": 4,
        "slug": "recording",
        "name": "Recording",
        "theme": "The Performance",
        "question": "Did the take capture the energy, with clean gain?",
        "summary": (
            "Capture the performance while it is alive, with gain set so nothing clips and "
            "notes good enough to find every take again."
        ),
        "actions": [
            ("Capture emotion", "Vibe before perfection."),
            ("Set proper gain and leave headroom", "Peaks well below full scale, no clipping."),
            ("Document everything", "Notes, takes, mic positions and file names."),
        ],
        "poles": ("technical focus", "emotional freedom"),
        "balance_note": "The takes that last feel alive rather than perfect.",
        "takeaway": "Recording is about capturing lightning, not chasing perfection.",
    },
    {
        "order": 5,
        "slug": "editing",
        "name": "Editing",
        "theme": "The Refinement",
        "question": "Are distractions removed without killing the groove?",
        "summary": (
            "Tidy timing, tuning and noise, build the best comp, and smooth every transition "
            "while keeping the feel of the performance."
        ),
        "actions": [
            ("Clean and align", "Timing, tuning and noise."),
            ("Select the best takes and comp them", "Build one performance from the best parts."),
            ("Tighten transitions", "Crossfades, fades and flow."),
        ],
        "poles": ("precision", "preservation"),
        "balance_note": (
            "Edit too much and the performance goes sterile; too little and the distractions "
            "stay."
        ),
        "takeaway": "Editing brings order without killing the groove.",
    },
    {
        "order": 6,
        "slug": "mixing",
        "name": "Mixing",
        "theme": "The Balance",
        "question": "Does every element have its place in frequency, space and time?",
        "summary": (
            "Give every part its own room in frequency, stereo space and depth, and make the "
            "mix move with the song."
        ),
        "actions": [
            ("Shape EQ and dynamics", "Every element in its own frequency range and level."),
            ("Create space", "Panning, depth and reverb."),
            ("Build movement", "Automation, contrast, tension and release."),
        ],
        "poles": ("loud", "clear"),
        "balance_note": (
            "Also bright against dark and space against density: together they are the "
            "track's sonic identity."
        ),
        "takeaway": "Mixing translates emotion into balance.",
    },
    {
        "order": 7,
        "slug": "mastering",
        "name": "Mastering",
        "theme": "The Translation",
        "question": "Will it sound right on every speaker and platform?",
        "summary": (
            "Bring the mix to a loudness that competes without crushing it, keep its dynamics, "
            "and deliver the file with the right format and metadata."
        ),
        "actions": [
            ("Match loudness", "Competitive but natural."),
            ("Keep the dynamics", "Let the music breathe."),
            ("Export with intent", "File format, sample rate, metadata and ISRC."),
        ],
        "poles": ("impact", "integrity"),
        "balance_note": "Too loud and the feeling goes; too soft and the presence goes.",
        "takeaway": "Mastering makes the music sound powerful everywhere without losing its soul.",
    },
]


def load_catalogue(apps, schema_editor):
    Stage = apps.get_model("stages", "Stage")
    CoreAction = apps.get_model("stages", "CoreAction")
    for entry in CATALOGUE:
        left, right = entry["poles"]
        stage, _ = Stage.objects.update_or_create(
            slug=entry["slug"],
            defaults={
                "order": entry["order"],
                "name": entry["name"],
                "theme": entry["theme"],
                "question": entry["question"],
                "summary": entry["summary"],
                "left_pole": left,
                "right_pole": right,
                "balance_note": entry["balance_note"],
                "takeaway": entry["takeaway"],
            },
        )
        for position, (title, detail) in enumerate(entry["actions"], start=1):
            CoreAction.objects.update_or_create(
                stage=stage, position=position, defaults={"title": title, "detail": detail}
            )


class Migration(migrations.Migration):
    dependencies = [("stages", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]

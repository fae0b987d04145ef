"""Releasing a song: the top layer of the app, reading everything below it.

artwork.py    the cover: opened safely, re-encoded, judged
readiness.py  the rules: is this song ready to release, item by item
dossier.py    the song's journey as one printable page and as JSON
services.py   the workflows: release details, release, archive, retrospective
forms.py, views.py   the pages
"""

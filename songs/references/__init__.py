"""Reference tracks: released records a student sets beside a song, the sound they aim for.

services.py   attaching one (recognised by content, the bounce's size limit), analysing it
              with the bounce's engine (loudness report and peaks, then the music), retrying,
              removing
forms.py, views.py   the song page's card, the inline player's files, and the compare page
              of a bounce against a reference

A reference is someone else's record: it plays, inline, for the people who see the song,
and is never offered for download.
"""

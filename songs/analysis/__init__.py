"""The bounce analysis engine: plain Python (numpy, scipy, soundfile, mutagen, Pillow).

Nothing in this package imports Django; callers pass files and targets in.
"""

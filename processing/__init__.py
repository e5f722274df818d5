"""The Audio2DTX pipeline: a Django-free library the web, the worker and the command line share.

decode (audio) -> tempo map (rhythm) -> hits (transcription) -> grid (arrangement)
-> .dtx and package (dtx, kit, package); `pipeline.convert` composes them.
"""

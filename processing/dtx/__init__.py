"""The DTX chart format: writing charts and reading them back."""

from processing.dtx.reader import DtxFile, DtxFormatError, read_dtx
from processing.dtx.writer import ChipSounds, DtxHeader, write_dtx

__all__ = ["ChipSounds", "DtxFile", "DtxFormatError", "DtxHeader", "read_dtx", "write_dtx"]

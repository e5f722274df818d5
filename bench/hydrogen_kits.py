"""Drum hits rendered through recorded acoustic drum kits: Hydrogen's kits, Debian's
`hydrogen-drumkits` package (`apt-get install hydrogen-drumkits`).

A General MIDI soundfont plays one sample per drum, the same at every velocity; a recorded
kit has several velocity layers per drum, real open and closed hi-hats that choke each other,
rides and crashes that ring as they do in a room, and a stereo image. Renders through these
kits are nearer to the songs users upload, for the lane decisions (open hi-hat, crash or ride,
which tom) that soundfont renders teach poorly.

Used by bench/groove_renders.py --kits; the samples are read from KITS_DIR at render time and
nothing of them enters the repository.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile

KITS_DIR = Path("/usr/share/hydrogen/data/drumkits")
# Groove MIDI's drum notes (Gillick et al. 2019, table 2) by the drum that plays them.
ROLE_OF_NOTE = {
    36: "kick", 35: "kick", 38: "snare", 40: "rimshot", 37: "stick",
    42: "hihat_closed", 22: "hihat_closed", 44: "hihat_pedal", 46: "hihat_open", 26: "hihat_open",
    48: "tom_high", 50: "tom_high", 45: "tom_mid", 47: "tom_mid", 43: "tom_floor", 58: "tom_floor",
    49: "crash", 55: "crash", 57: "crash_2", 52: "crash_2", 51: "ride", 59: "ride", 53: "ride_bell",
}
HIHAT_ROLES = ("hihat_closed", "hihat_pedal", "hihat_open")
# The instrument (its name in drumkit.xml) of each kit that plays each role. Only acoustic
# kits with three toms, open and closed hi-hats, crashes and a ride are used.
KITS = {
    "ForzeeStereo": {
        "kick": 'Kick (Tama Superstar 22")', "snare": "Snare (Pearl Free Floating Maple 14x3.5)",
        "rimshot": "Snare Rimshot (Pearl Free Floating Maple 14x3.5)", "stick": "Rim Click (Pearl Free Floating Maple 14x3.5)",
        "hihat_closed": 'Hi-Hat Closed (Paiste Alpha Metal edge 14")', "hihat_pedal": 'Hi-Hat Pedal (Paiste Alpha Metal edge 14")',
        "hihat_open": 'Hi-Hat Open (Paiste Alpha Metal edge 14")', "tom_high": 'Tom High (Tama Superstar 12")',
        "tom_mid": 'Tom Mid (Tama Superstar 13")', "tom_floor": 'Tom Low (Tama Superstar 16")',
        "crash": 'Crash (Paiste Rude Thin 18")', "crash_2": 'Crash/Ride (Paiste Rude Crash/Ride 18")',
        "ride": 'Ride Bow (Custom, Zagrebin 22")', "ride_bell": 'Ride Bell (Custom, Zagrebin 22")',
    },
    "The Black Pearl 1.0": {
        "kick": "Pearl Kick", "snare": "Pearl Snare", "rimshot": "Pearl Snare Rimshot", "stick": "Pearl Side Stick",
        "hihat_closed": "Sabian Hat Closed", "hihat_pedal": "Sabian Hat Pedal", "hihat_open": "Sabian Hat Open",
        "tom_high": "Pearl Tom 1", "tom_mid": "Pearl Tom 2", "tom_floor": "Pearl Tom Floor",
        "crash": "Sabian Crash", "crash_2": "Sabian Crash Flink", "ride": "Paiste Ride", "ride_bell": "Paiste Bell",
    },
    "ColomboAcousticDrumkit": {
        "kick": "BassDrum", "snare": "Snare1", "rimshot": "Snare Rock", "stick": "Stick",
        "hihat_closed": "Closed HH", "hihat_pedal": "Pedal HH", "hihat_open": "Open HH",
        "tom_high": "Tom Hi", "tom_mid": "Tom Mid", "tom_floor": "Tom Low",
        "crash": "crash16inch", "crash_2": "crash20inch--2", "ride": "ride-crash20inch", "ride_bell": "ride-cup",
    },
    "Millo_MultiLayered2": {
        "kick": "Kick", "snare": "Snare Rock", "rimshot": "Snare Rock", "stick": "Stick",
        "hihat_closed": "Closed HH", "hihat_pedal": "Pedal HH", "hihat_open": "Open HH",
        "tom_high": "Tom Hi", "tom_mid": "Tom Mid", "tom_floor": "Tom Low",
        "crash": "Crash", "crash_2": "Crash Jazz", "ride": "Ride Rock", "ride_bell": "Ride Jazz",
    },
}
# Recorded hand percussion, which a drum chart leaves out, by General MIDI note: (kit folder,
# instrument) that can play it.
PERCUSSION = {
    54: (("ForzeeStereo", "Tambourine (Pearl PTM-10GH)"), ("Gimme A Hand 1.0", "Tambourine")),  # tambourine
    70: (("Gimme A Hand 1.0", "Maraca"),),  # maracas
}
# A hi-hat stroke stops the one before it (the pedal closes the cymbals) with this fade.
CHOKE_FADE_S = 0.015


@dataclass(frozen=True)
class Layer:
    """One recorded sample of a drum and the velocities, in [0, 1], it plays for."""

    low: float
    high: float
    gain: float
    samples: np.ndarray  # (n, 2) float32 at the render's rate


@dataclass(frozen=True)
class Instrument:
    """A drum of a kit: its velocity layers in drumkit.xml's order."""

    layers: tuple[Layer, ...]

    def stroke(self, velocity: float) -> np.ndarray:
        """The sound of one stroke at `velocity` in [0, 1]: (n, 2). As in Hydrogen, the first
        layer in the file's order whose range holds the velocity plays (some kits end with a
        catch-all layer), else the last."""
        layer = next((layer for layer in self.layers if layer.low <= velocity <= layer.high), self.layers[-1])
        return layer.samples * (layer.gain * velocity)


def load_kit(name: str, *, sample_rate: int) -> dict[str, Instrument]:
    """Role -> Instrument of kit `name` (a key of KITS), samples resampled to `sample_rate`."""
    return {role: load_instrument(kit_name=name, instrument_name=instrument_name, sample_rate=sample_rate)
            for role, instrument_name in KITS[name].items()}


@lru_cache(maxsize=None)
def load_instrument(*, kit_name: str, instrument_name: str, sample_rate: int) -> Instrument:
    """The instrument `instrument_name` (its name in drumkit.xml) of the Hydrogen kit folder
    `kit_name`, samples resampled to `sample_rate`."""
    folder = KITS_DIR / kit_name
    root = ElementTree.parse(folder / "drumkit.xml").getroot()
    namespace = root.tag.split("}")[0] + "}" if "}" in root.tag else ""
    element = next((element for element in root.iter(f"{namespace}instrument")
                    if element.findtext(f"{namespace}name") == instrument_name), None)
    if element is None:
        raise KeyError(f"{folder / 'drumkit.xml'} has no instrument named {instrument_name!r}")
    volume = float(element.findtext(f"{namespace}volume", "1")) * float(element.findtext(f"{namespace}gain", "1"))
    pans = (float(element.findtext(f"{namespace}pan_L", "1")), float(element.findtext(f"{namespace}pan_R", "1")))
    layers = []
    for layer in element.iter(f"{namespace}layer"):
        samples, rate = soundfile.read(folder / layer.findtext(f"{namespace}filename"), dtype="float32",
                                       always_2d=True)
        samples = np.repeat(samples, 2, axis=1) if samples.shape[1] == 1 else samples[:, :2]
        if rate != sample_rate:
            common = gcd(rate, sample_rate)
            samples = scipy.signal.resample_poly(samples, sample_rate // common, rate // common,
                                                 axis=0).astype(np.float32)
        layers.append(Layer(low=float(layer.findtext(f"{namespace}min", "0")),
                            high=float(layer.findtext(f"{namespace}max", "1")),
                            gain=float(layer.findtext(f"{namespace}gain", "1")) * volume,
                            samples=samples * np.array(pans, dtype=np.float32)))
    return Instrument(layers=tuple(layers))


def render_percussion(*, source: tuple[str, str], times: np.ndarray, velocities: np.ndarray, duration_s: float,
                      sample_rate: int) -> np.ndarray:
    """Stereo audio (n, 2) float32 of hand-percussion strokes on `source`, a (kit folder,
    instrument) of PERCUSSION. times: (k,) seconds; velocities: (k,) MIDI velocities 1-127."""
    kit_name, instrument_name = source
    instrument = load_instrument(kit_name=kit_name, instrument_name=instrument_name, sample_rate=sample_rate)
    audio = np.zeros((int(duration_s * sample_rate) + 1, 2), dtype=np.float32)
    for time, velocity in zip(times, velocities):
        _mix_in(audio=audio, start=int(time * sample_rate), stroke=instrument.stroke(float(velocity) / 127.0))
    return audio


def _mix_in(*, audio: np.ndarray, start: int, stroke: np.ndarray) -> None:
    # adds `stroke` ((k, 2)) to `audio` ((n, 2)) from sample `start`, cut at the audio's end
    end = min(start + len(stroke), len(audio))
    if start < end:
        audio[start:end] += stroke[:end - start]


def render_drums(*, kit_name: str, times: np.ndarray, notes: np.ndarray, velocities: np.ndarray,
                 duration_s: float, sample_rate: int) -> np.ndarray:
    """Stereo audio (n, 2) float32 of drum hits through a recorded kit.

    times: (k,) seconds; notes: (k,) Groove MIDI notes (others are left out); velocities: (k,)
    MIDI velocities 1-127. Each hi-hat stroke chokes the one before it.
    """
    kit = load_kit(kit_name, sample_rate=sample_rate)
    audio = np.zeros((int(duration_s * sample_rate) + 1, 2), dtype=np.float32)
    fade = int(CHOKE_FADE_S * sample_rate)
    hihat_starts = np.sort([int(t * sample_rate) for t, n in zip(times, notes)
                            if ROLE_OF_NOTE.get(int(n)) in HIHAT_ROLES])
    for time, note, velocity in zip(times, notes, velocities):
        role = ROLE_OF_NOTE.get(int(note))
        if role is None:
            continue
        start = int(time * sample_rate)
        if start >= len(audio):
            continue
        stroke = kit[role].stroke(float(velocity) / 127.0)
        if role in HIHAT_ROLES:
            later = hihat_starts[hihat_starts > start]
            if len(later):
                stroke = stroke[:later[0] - start + fade]
                tail = min(fade, len(stroke))
                stroke[len(stroke) - tail:] *= np.linspace(1.0, 0.0, tail, dtype=np.float32)[:, None]
        _mix_in(audio=audio, start=start, stroke=stroke)
    return audio

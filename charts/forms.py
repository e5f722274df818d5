from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator

from charts.services import probe_upload
from processing.audio import AudioProbe
from processing.pipeline import BGM_DRUMLESS, BGM_ORIGINAL, INPUT_DRUMS, INPUT_MIX, default_options
from processing.transcription import TRACKS, default_track

ACCEPTED_TYPES = ".mp3,.wav,.flac,.ogg,.oga,.m4a,.mp4,.aac,.opus,.webm,audio/*"


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username",)


def track_choices() -> list[tuple[str, str]]:
    return [(track.name, track.title) for track in TRACKS.values()]


class PackageOptionsForm(forms.Form):
    """The choices every conversion offers beside the track."""

    track = forms.ChoiceField(label="Transcription track")
    bgm = forms.ChoiceField(
        label="Backing track",
        choices=[(BGM_DRUMLESS, "The song without its drums (you play them)"), (BGM_ORIGINAL, "The original mix")],
        required=False,
    )
    input = forms.ChoiceField(
        label="Transcribe from", choices=[(INPUT_MIX, "The mix"), (INPUT_DRUMS, "The separated drum stem")],
        initial=INPUT_MIX, required=False,
    )
    song_chips = forms.BooleanField(label="Chip sounds from this song's drums", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = default_options(model_dir=settings.A2D_MODEL_DIR)
        self.fields["track"].choices = track_choices()
        self.fields["track"].initial = default_track(model_dir=settings.A2D_MODEL_DIR)
        self.fields["bgm"].initial = defaults.bgm
        self.fields["song_chips"].initial = defaults.song_chips

    def package_parameters(self) -> dict:
        """The options, each left empty taking its default (a form posted by a script)."""
        return {name: self.cleaned_data.get(name) or self.fields[name].initial for name in ("bgm", "input")} | {
            "song_chips": self.cleaned_data.get("song_chips", False)
        }


class SongUploadForm(PackageOptionsForm):
    upload = forms.FileField(
        label="Song file",
        help_text="mp3, wav, flac, ogg, m4a or opus",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    title = forms.CharField(max_length=200, required=False, help_text="Left empty: taken from the file's tags.")
    artist = forms.CharField(max_length=200, required=False, help_text="Left empty: taken from the file's tags.")
    field_order = ["upload", "title", "artist", "track", "bgm", "input", "song_chips"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.probe: AudioProbe | None = None

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        self.probe = probe_upload(uploaded_file=upload)
        return upload


class RerunForm(PackageOptionsForm):
    """A new chart version of a song: another track, other options, or corrections to the tempo."""

    bpm = forms.FloatField(label="Tempo (BPM)", required=False, min_value=30, max_value=300,
                           help_text="Left empty: detected.")
    first_downbeat_s = forms.FloatField(label="First downbeat (s)", required=False, min_value=0,
                                        help_text="Where bar 1 starts in the song. Left empty: detected.")

    def __init__(self, *args, song_duration_s: float, **kwargs):
        super().__init__(*args, **kwargs)
        # Set after the field is built: only a validator and the widget's attribute take effect now.
        self.fields["first_downbeat_s"].validators.append(MaxValueValidator(song_duration_s))
        self.fields["first_downbeat_s"].widget.attrs["max"] = song_duration_s

    def parameters(self) -> dict:
        tempo = {name: self.cleaned_data[name] for name in ("bpm", "first_downbeat_s")
                 if self.cleaned_data.get(name) is not None}
        return {**self.package_parameters(), **tempo}

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator

from charts.services import probe_upload
from processing.audio import AudioProbe
from processing.transcription import TRACKS, default_track

ACCEPTED_TYPES = ".mp3,.wav,.flac,.ogg,.oga,.m4a,.mp4,.aac,.opus,.webm,audio/*"


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username",)


def track_choices() -> list[tuple[str, str]]:
    return [(track.name, track.title) for track in TRACKS.values()]


class SongUploadForm(forms.Form):
    upload = forms.FileField(
        label="Song file",
        help_text="mp3, wav, flac, ogg, m4a or opus",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    title = forms.CharField(max_length=200, required=False, help_text="Left empty: taken from the file's tags.")
    artist = forms.CharField(max_length=200, required=False, help_text="Left empty: taken from the file's tags.")
    track = forms.ChoiceField(label="Transcription track")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = track_choices()
        self.fields["track"].initial = default_track(model_dir=settings.A2D_MODEL_DIR)
        self.probe: AudioProbe | None = None

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        self.probe = probe_upload(uploaded_file=upload)
        return upload


class RerunForm(forms.Form):
    """A new chart version of a song: another track, or corrections to the tempo."""

    track = forms.ChoiceField(label="Transcription track")
    bpm = forms.FloatField(label="Tempo (BPM)", required=False, min_value=30, max_value=300,
                           help_text="Left empty: detected.")
    first_downbeat_s = forms.FloatField(label="First downbeat (s)", required=False, min_value=0,
                                        help_text="Where bar 1 starts in the song. Left empty: detected.")

    def __init__(self, *args, song_duration_s: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = track_choices()
        self.fields["track"].initial = default_track(model_dir=settings.A2D_MODEL_DIR)
        self.fields["first_downbeat_s"].max_value = song_duration_s
        self.fields["first_downbeat_s"].validators.append(MaxValueValidator(song_duration_s))

    def parameters(self) -> dict[str, float]:
        return {name: self.cleaned_data[name] for name in ("bpm", "first_downbeat_s")
                if self.cleaned_data.get(name) is not None}

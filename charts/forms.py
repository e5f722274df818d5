from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from charts.services import probe_upload
from processing.audio import AudioProbe
from processing.transcription import DEFAULT_TRACK, TRACKS

ACCEPTED_TYPES = ".mp3,.wav,.flac,.ogg,.oga,.m4a,.mp4,.aac,.opus,.webm,audio/*"


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username",)


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
        self.fields["track"].choices = [(track.name, track.title) for track in TRACKS.values()]
        self.fields["track"].initial = DEFAULT_TRACK
        self.probe: AudioProbe | None = None

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        self.probe = probe_upload(uploaded_file=upload)
        return upload

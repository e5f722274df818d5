from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator

from charts.models import CHARTER_MAX_LENGTH, COMMENT_MAX_LENGTH, GENRE_MAX_LENGTH, ChartVersion, Report
from charts.selectors import BrowseFilters
from charts.services import MODERATION_RULES, probe_upload
from processing.audio import AudioProbe
from processing.pipeline import (BGM_DRUMLESS, BGM_ORIGINAL, INPUT_DRUMS, INPUT_MIX, LEVEL_PARAMETER, LEVEL_SCALE,
                                 MAX_LEVEL, MIN_LEVEL, TEMPO_PARAMETERS, default_options)
from processing.rhythm import MAX_USER_BPM, METER_BEATS, MIN_USER_BPM
from processing.transcription import TRACKS, default_track

ACCEPTED_TYPES = ".mp3,.wav,.flac,.ogg,.oga,.m4a,.mp4,.aac,.opus,.webm,audio/*"
# A bar of 6/8 counted in eighths has six beats: moving its bar lines up to five covers every reading.
MAX_BAR_SHIFT_BEATS = 5


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


class OneLineField(forms.CharField):
    """Plain text for one line of a chart's header: line breaks and runs of spaces become one
    space (the writer also turns ';', which starts a DTX comment, into ',')."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


class SongUploadForm(PackageOptionsForm):
    upload = forms.FileField(
        label="Song file",
        help_text="mp3, wav, flac, ogg, m4a or opus",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    title = forms.CharField(max_length=200, required=False, help_text="Left empty: taken from the file's tags.")
    artist = forms.CharField(max_length=200, required=False, help_text="Left empty: taken from the file's tags.")
    genre = OneLineField(max_length=GENRE_MAX_LENGTH, required=False)
    charter = OneLineField(label="Charted by", max_length=CHARTER_MAX_LENGTH, required=False,
                           help_text="Your name in the chart's comment. Left empty: no name.")
    comment = OneLineField(max_length=COMMENT_MAX_LENGTH, required=False,
                           help_text="One line, shown in DTXMania's song list.")
    field_order = ["upload", "title", "artist", "genre", "charter", "comment", "track", "bgm", "input", "song_chips"]

    def __init__(self, *args, upload_refused: str = "", **kwargs):
        """upload_refused: why the upload was stopped while it was read (charts.uploads)."""
        super().__init__(*args, **kwargs)
        self.probe: AudioProbe | None = None
        self.upload_refused = upload_refused
        if upload_refused:  # the file never arrived: its message, not "this field is required"
            self.fields["upload"].required = False

    def clean_upload(self):
        if self.upload_refused:
            raise forms.ValidationError(self.upload_refused)
        upload = self.cleaned_data["upload"]
        self.probe = probe_upload(uploaded_file=upload)
        return upload


class RerunForm(PackageOptionsForm):
    """A new chart version of a song: another track, other options, or corrections to the tempo,
    the meter or MASTER's level."""

    bpm = forms.FloatField(label="Tempo (BPM)", required=False, min_value=MIN_USER_BPM, max_value=MAX_USER_BPM,
                           help_text="Left empty: detected.")
    first_downbeat_s = forms.FloatField(
        label="First downbeat (s)", required=False, min_value=0,
        help_text="Where bar 1 starts in the song: on the nearest detected beat, or on the “and” between two, "
                  "every beat then moving half a beat. The tempo changes stay unless you set a tempo. "
                  "Left empty: detected.")
    meter = forms.ChoiceField(label="Meter", required=False, choices=[("", "Detected")] + [(m, m) for m in METER_BEATS],
                              help_text="A 6/8 bar is six eighths: three quarter-note beats, the tempo counted "
                                        "in quarter notes, or six beats where the chart already counts eighths.")
    bar_shift_beats = forms.TypedChoiceField(
        label="Move the bar lines", required=False, coerce=int, empty_value=None,
        choices=[("", "Detected")] + [(beats, f"{beats} beat{'s' if beats > 1 else ''} later")
                                      for beats in range(1, MAX_BAR_SHIFT_BEATS + 1)],
        help_text="Keeps the detected beats and tempo changes, and moves every bar line: for bar lines "
                  "that miss the “one”.")
    level = forms.DecimalField(label="MASTER level", required=False, min_value=Decimal(MIN_LEVEL) / LEVEL_SCALE,
                               max_value=Decimal(MAX_LEVEL) / LEVEL_SCALE, decimal_places=2,
                               help_text="1.00 to 9.99; the easier levels keep their distance below it. "
                                         "Left empty: detected.")

    def __init__(self, *args, song_duration_s: float, **kwargs):
        super().__init__(*args, **kwargs)
        # Set after the field is built: only a validator and the widget's attribute take effect now.
        self.fields["first_downbeat_s"].validators.append(MaxValueValidator(song_duration_s))
        self.fields["first_downbeat_s"].widget.attrs["max"] = song_duration_s

    def parameters(self) -> dict:
        """The version's parameters; a correction left empty is left out (detected)."""
        tempo = {name: self.cleaned_data[name] for name in TEMPO_PARAMETERS
                 if self.cleaned_data.get(name) not in (None, "")}
        level = self.cleaned_data.get("level")
        return {**self.package_parameters(), **tempo,
                **({LEVEL_PARAMETER: int(level * LEVEL_SCALE)} if level is not None else {})}


SORT_CHOICES = [("newest", "Newest"), ("downloads", "Most downloaded"), ("rating", "Best rated")]


class BrowseForm(forms.Form):
    """Browse's search: every field optional, all of them in the URL so a search can be shared."""

    q = forms.CharField(label="Search", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title, artist or uploader"}))
    track = forms.ChoiceField(label="Track", required=False)
    level_min = forms.DecimalField(label="Level from", required=False, min_value=0, max_value=10, decimal_places=2)
    level_max = forms.DecimalField(label="Level to", required=False, min_value=0, max_value=10, decimal_places=2)
    bpm_min = forms.FloatField(label="BPM from", required=False, min_value=0, max_value=1000)
    bpm_max = forms.FloatField(label="BPM to", required=False, min_value=0, max_value=1000)
    minutes_min = forms.FloatField(label="Length from (min)", required=False, min_value=0, max_value=60)
    minutes_max = forms.FloatField(label="Length to (min)", required=False, min_value=0, max_value=60)
    nps_min = forms.FloatField(label="Notes/s from", required=False, min_value=0, max_value=100)
    nps_max = forms.FloatField(label="Notes/s to", required=False, min_value=0, max_value=100)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = [("", "Any track")] + track_choices()

    def filters(self) -> BrowseFilters:
        """The search asked for; a field that did not validate is left out, never an error page."""
        self.is_valid()  # cleaned_data keeps only the fields that validated
        data = self.cleaned_data

        def scaled(name: str) -> int | None:
            return None if data.get(name) is None else int(round(data[name] * LEVEL_SCALE))

        def seconds(name: str) -> float | None:
            return None if data.get(name) is None else data[name] * 60

        return BrowseFilters(
            text=data.get("q") or "", track=data.get("track") or "",
            level_min=scaled("level_min"), level_max=scaled("level_max"),
            bpm_min=data.get("bpm_min"), bpm_max=data.get("bpm_max"),
            duration_min_s=seconds("minutes_min"), duration_max_s=seconds("minutes_max"),
            notes_per_second_min=data.get("nps_min"), notes_per_second_max=data.get("nps_max"),
            sort=data.get("sort") or "newest",
        )


def _one_message(message: str) -> dict[str, str]:
    return {"required": message, "invalid_choice": message}


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(label="Who can see this chart", choices=ChartVersion.Visibility.choices,
                                   widget=forms.RadioSelect,
                                   error_messages=_one_message("Choose private, unlisted or public."))


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(choices=[("1", "Thumbs up"), ("-1", "Thumbs down"), ("0", "No vote")], coerce=int,
                                   error_messages=_one_message("A vote is up, down or none."))


class ReportForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ("reason", "text")
        labels = {"reason": "What is wrong", "text": "Details (optional)"}
        widgets = {"reason": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 4, "maxlength": 2000})}


class ModerationForm(forms.Form):
    action = forms.ChoiceField(choices=[(action, action) for action in MODERATION_RULES])
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BanForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

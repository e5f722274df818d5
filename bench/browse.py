"""How fast the public Browse page and its JSON API answer over a catalogue of 100,000 charts.

Run: .venv/bin/python bench/browse.py [--charts 100000] [--repeats 30] [--explain]
         [--database-url postgres://postgres@127.0.0.1:5432/audio2dtx_bench]

Works on a PostgreSQL database of its own (created and migrated when missing), never on the
app's data; Redis is pointed at database 15. The first run seeds the catalogue: users, songs
with titles and artists drawn from word lists (a common word is in a few percent of titles,
an invented word in a handful), and public, finished chart versions with levels, tempo,
length, notes per second, downloads and votes, plus 10 % more that Browse must not list
(private, unlisted, hidden, removed). Later runs reuse it.

Each query (no filter in every sort order, text searches, each filter alone, a combination,
deep pages) is asked of `GET /` and `GET /api/charts/` through Django's test client, so a
timing covers the whole request: middleware, form, count, page query and rendering. Prints
p50 and p95 in milliseconds per query against the target; `--explain` adds PostgreSQL's
EXPLAIN ANALYZE of the SQL each Browse request ran.
"""

import argparse
import math
import os
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
import numpy as np
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/audio2dtx_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
DEFAULT_CHARTS = 100_000
DEFAULT_REPEATS = 30
WARM_UP_RUNS = 3
TARGET_P95_MS = 50.0
RANDOM_SEED = 20261130

USERS = 2_000
NOT_LISTED_SHARE = 0.10  # extra rows Browse must leave out, per listed row
SECOND_VERSION_SHARE = 0.3  # songs run through both tracks
SONG_BATCH = 4_000
CATALOGUE_DAYS = 730
TRACK_NAMES = ("adtof", "spectral")
LANE_SHARES = {"HH": 0.30, "SD": 0.22, "BD": 0.24, "CY": 0.05, "RD": 0.05, "HT": 0.04, "LT": 0.04, "FT": 0.04,
               "LP": 0.02}
# (visibility, moderation) of the rows Browse must not list, drawn evenly.
NOT_LISTED_STATES = (("private", "visible"), ("unlisted", "visible"), ("public", "hidden"), ("public", "removed"))

# Zipf exponents of how often each word, artist and uploader is drawn: lower is flatter.
TITLE_WORD_SKEW = 0.5
ARTIST_SKEW = 0.6
UPLOADER_SKEW = 0.7
INVENTED_WORDS = 30_000
INVENTED_WORD_SHARE = 0.5  # titles that carry one invented word
TITLE_WORDS = (
    "night love heart fire dream light time world rain star sky blue dance run home road city summer wild "
    "storm ghost gold shadow river moon sun black red burning falling rising broken electric midnight "
    "paradise thunder ocean winter silver glass iron neon velvet crystal echo machine kingdom empire "
    "highway angel devil soul spirit memory promise secret story song rhythm groove beat drum bass fever "
    "crazy lonely golden hollow distant endless frozen hidden holy lost last first young forever tonight "
    "tomorrow yesterday morning evening sunrise sunset horizon island desert mountain valley forest garden "
    "street station signal radio satellite rocket planet galaxy comet orbit gravity motion engine circuit "
    "mirror window door wall bridge tower castle throne crown sword arrow wolf tiger dragon phoenix raven "
    "eagle serpent rose lily ash smoke dust stone steel chrome wire pulse wave tide flood wind"
).split()
COMMON_WORD = "fire"
TWO_WORDS = "night dream"
SHORT_TEXT = "dj"  # Browse searches as the visitor types: too short for a trigram
ARTIST_FIRST = (
    "Velvet Neon Iron Crimson Silver Electric Midnight Hollow Golden Static Paper Glass Northern Southern "
    "Wild Quiet Broken Burning Frozen Lunar Solar Cosmic Atomic Savage Gentle Royal Rusty Scarlet Violet "
    "Black White Amber Cobalt Copper Crystal Desert Ember Feral Ghost Heavy"
).split()
ARTIST_SECOND = (
    "Harbor Wolves Engines Saints Ravens Tigers Rebels Machines Pilots Sirens Prophets Riders Giants "
    "Lanterns Drifters Comets Rockets Vandals Monks Poets Thieves Kings Queens Orchids Serpents Foxes "
    "Owls Hornets Sparrows Titans Nomads Dreamers Strangers Brothers Sisters Parade Circus Garden Choir "
    "Factory Collective Society Union Orchestra Syndicate Assembly Brigade Caravan Empire Republic"
).split()
HANDLES = (
    "kaito groovecat snarehead beatsmith rimshot kickdrum tomtom ghostnote blastbeat hatwork doubletime "
    "flamtap paradiddle stickler crashcourse ridecymbal backbeat shuffle offbeat downbeat syncope "
    "drumbot padhitter gigadrum tempo nightowl pianist djk mikado yuki hana sora riku ren mio aoi"
).split()
SYLLABLES = "ka ri zo mu te vo la shi pe nu gra bel tor vin qua xe dri fen mal yor zu bi ko ve"
ARTIST_RANK = 50  # the artist searched for: the 50th most covered
UPLOADER_RANK = 100  # the uploader searched for: the 100th most active


def zipf_weights(*, count: int, skew: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** skew
    return weights / weights.sum()


def invented_words(*, rng: np.random.Generator) -> list[str]:
    """Made-up words of two to four syllables: each names only a few songs."""
    syllables = SYLLABLES.split()
    words: set[str] = set()
    while len(words) < INVENTED_WORDS:
        words.add("".join(rng.choice(syllables, size=rng.integers(2, 5))))
    return sorted(words)


def artist_names() -> list[str]:
    return [f"{first} {second}" for second in ARTIST_SECOND for first in ARTIST_FIRST]


def usernames() -> list[str]:
    return [f"{HANDLES[index % len(HANDLES)]}{index}" for index in range(USERS)]


def ensure_database(*, url: str) -> None:
    """Create the benchmark's database when the server does not have it yet."""
    config = dj_database_url.parse(url)
    with psycopg.connect(dbname="postgres", host=config["HOST"], port=config["PORT"] or 5432,
                         user=config["USER"], password=config["PASSWORD"] or None, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created database {config['NAME']}")


def configure_django(*, database_url: str, redis_url: str) -> None:
    """Point the app's settings at the benchmark's database and Redis, as in production
    (DEBUG off), then set Django up and migrate."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["A2D_REDIS_URL"] = redis_url
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_SETTINGS_MODULE"] = "audio2dtx_web.settings"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "browse-benchmark-key")
    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / "var" / "numba-cache"))
    os.environ.setdefault("A2D_LOG_LEVEL", "WARNING")
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected static files
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def ensure_users(*, names: list[str]) -> list[int]:
    """The ids of the uploaders, in the order of `names`, creating those missing."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([User(username=name, password=make_password(None)) for name in names
                              if name not in existing], batch_size=1_000)
    ids = dict(User.objects.filter(username__in=names).values_list("username", "id"))
    return [ids[name] for name in names]


def song_titles(*, count: int, rng: np.random.Generator, invented: list[str]) -> list[str]:
    """One to three common words, half of them followed by an invented one."""
    common = zipf_weights(count=len(TITLE_WORDS), skew=TITLE_WORD_SKEW)
    lengths = rng.integers(1, 4, size=count)
    words = rng.choice(len(TITLE_WORDS), p=common, size=(count, 3))
    invented_picks = rng.integers(0, len(invented), size=count)
    with_invented = rng.random(count) < INVENTED_WORD_SHARE
    titles = []
    for index in range(count):
        parts = [TITLE_WORDS[word].capitalize() for word in words[index, :lengths[index]]]
        if with_invented[index]:
            parts.append(invented[invented_picks[index]].capitalize())
        titles.append(" ".join(parts))
    return titles


def chart_levels(*, notes_per_second: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """#DLEVEL of BASIC..MASTER per chart (columns), strictly increasing, within 50..999;
    MASTER follows the note density as the pipeline's rating does."""
    count = notes_per_second.size
    master = np.clip(60 + 62 * notes_per_second + rng.normal(0, 40, count), 100, 960)
    fractions = np.sort(rng.uniform(0.35, 0.92, size=(count, 3)), axis=1)
    levels = np.column_stack([master[:, None] * fractions, master]).round().astype(int)
    levels[:, 0] = np.maximum(levels[:, 0], 50)
    for column in range(1, 4):
        levels[:, column] = np.maximum(levels[:, column], levels[:, column - 1] + 10)
    return np.minimum(levels, 999)


def seed_catalogue(*, listed: int, rng: np.random.Generator) -> None:
    """Add `listed` public, finished, visible chart versions and NOT_LISTED_SHARE as many
    others, over songs of USERS uploaders; then VACUUM ANALYZE, as autovacuum would."""
    from django.db import connection, transaction
    from django.utils import timezone

    from charts.models import DIFFICULTY_LABELS, ChartVersion, Song, new_share_token, notes_per_second_for, search_text_for

    names = usernames()
    owner_ids = ensure_users(names=names)
    artists = artist_names()
    invented = invented_words(rng=rng)
    not_listed = rng.integers(0, len(NOT_LISTED_STATES), round(listed * NOT_LISTED_SHARE))
    states = rng.permutation(np.concatenate([np.full(listed, -1), not_listed]))  # -1: listed
    now = timezone.now()
    uploader_weights = zipf_weights(count=USERS, skew=UPLOADER_SKEW)
    artist_weights = zipf_weights(count=len(artists), skew=ARTIST_SKEW)
    lanes = list(LANE_SHARES)
    lane_shares = np.array(list(LANE_SHARES.values()))
    written = 0
    while written < states.size:
        remaining = states.size - written
        versions_per_song = np.where(rng.random(min(SONG_BATCH, remaining)) < SECOND_VERSION_SHARE, 2, 1)
        enough = np.cumsum(versions_per_song) >= remaining
        if enough.any():  # the last batch: stop at the song that completes the catalogue
            last = int(np.argmax(enough))
            versions_per_song = versions_per_song[:last + 1]
            versions_per_song[last] -= int(versions_per_song.sum() - remaining)
        song_count = versions_per_song.size
        owners = rng.choice(USERS, p=uploader_weights, size=song_count)
        song_artists = rng.choice(len(artists), p=artist_weights, size=song_count)
        titles = song_titles(count=song_count, rng=rng, invented=invented)
        durations = np.clip(rng.lognormal(np.log(230), 0.35, song_count), 60, 600).round(2)
        tempos = np.clip(rng.normal(128, 28, song_count), 60, 220).round(2)
        songs = [
            Song(owner_id=owner_ids[owners[index]], title=titles[index], artist=artists[song_artists[index]],
                 upload=f"songs/bench{written + index}/original.flac", original_filename=f"{titles[index]}.flac",
                 sha256=rng.bytes(32).hex(), duration_s=float(durations[index]), sample_rate=44_100, channels=2)
            for index in range(song_count)
        ]
        version_count = int(versions_per_song.sum())
        song_of_version = np.repeat(np.arange(song_count), versions_per_song)
        first_track = rng.integers(0, 2, song_count)
        second = np.concatenate([[0], np.cumsum(versions_per_song)[:-1]]) + 1  # index of each song's 2nd version
        tracks = first_track[song_of_version]
        tracks[second[versions_per_song == 2]] ^= 1
        notes_per_second = np.clip(rng.lognormal(np.log(4.5), 0.4, version_count), 0.5, 16)
        levels = chart_levels(notes_per_second=notes_per_second, rng=rng)
        lane_counts = (rng.dirichlet(lane_shares * 60, version_count)
                       * (notes_per_second * durations[song_of_version])[:, None]).astype(int)
        downloads = np.minimum(rng.pareto(1.2, version_count) * 8, 200_000).astype(int)
        votes_up = rng.poisson(downloads * rng.uniform(0.01, 0.08, version_count))
        votes_down = rng.poisson(downloads * rng.uniform(0.0, 0.02, version_count))
        # psycopg adapts Python numbers, not NumPy's
        downloads, votes_up, votes_down = downloads.tolist(), votes_up.tolist(), votes_down.tolist()
        published = [now - timedelta(days=days) for days in rng.uniform(0, CATALOGUE_DAYS, version_count).tolist()]
        batch_states = states[written:written + version_count]
        with transaction.atomic():
            Song.objects.bulk_create(songs)
            versions = []
            for index in range(version_count):
                song = songs[song_of_version[index]]
                state = batch_states[index]
                visibility, moderation = ("public", "visible") if state < 0 else NOT_LISTED_STATES[state]
                level_dict = dict(zip(DIFFICULTY_LABELS, map(int, levels[index])))
                note_counts = {lane: int(notes) for lane, notes in zip(lanes, lane_counts[index]) if notes}
                versions.append(ChartVersion(
                    song=song, track=TRACK_NAMES[tracks[index]], status="done", stage="finished", progress=1.0,
                    parameters={"bgm": "drumless", "input": "mix", "song_chips": False},
                    package=f"packages/bench{written + index}/chart.zip",
                    bpm=float(tempos[song_of_version[index]]), duration_s=song.duration_s,
                    note_counts=note_counts, levels=level_dict,
                    finished_at=published[index], visibility=visibility, share_token=new_share_token(),
                    published_at=published[index] if visibility == "public" else None, moderation=moderation,
                    removed_at=now if moderation == "removed" else None,
                    search_text=search_text_for(title=song.title, artist=song.artist,
                                                uploader=names[owners[song_of_version[index]]]),
                    notes_per_second=notes_per_second_for(note_counts=note_counts, duration_s=song.duration_s),
                    download_count=downloads[index], votes_up=votes_up[index], votes_down=votes_down[index],
                ))
            ChartVersion.objects.bulk_create(versions)
        written += version_count
        print(f"\rseeded {written:,} of {states.size:,} chart versions", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with connection.cursor() as cursor:
        for table in ("auth_user", "charts_song", "charts_chartversion"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def listed_count() -> int:
    from charts.models import LISTED, ChartVersion

    return ChartVersion.objects.filter(LISTED).count()


def rare_title_word() -> str:
    """An invented word from the title of the first listed chart that has one: a handful of songs share it."""
    from charts.models import LISTED, ChartVersion

    common = set(TITLE_WORDS)
    titles = ChartVersion.objects.filter(LISTED).order_by("id").values_list("song__title", flat=True)[:100]
    return next(word for title in titles for word in title.lower().split() if word not in common)


def browse_queries(*, listed: int) -> list[tuple[str, dict[str, str]]]:
    """(name, GET parameters) of each query measured."""
    from django.conf import settings

    last_page = str(math.ceil(listed / settings.A2D_BROWSE_PAGE_SIZE))
    return [
        ("all, newest", {}),
        ("all, most downloaded", {"sort": "downloads"}),
        ("all, best rated", {"sort": "rating"}),
        (f"text: common word '{COMMON_WORD}'", {"q": COMMON_WORD}),
        ("text: rare word", {"q": rare_title_word()}),
        (f"text: two words '{TWO_WORDS}'", {"q": TWO_WORDS}),
        (f"text: two letters '{SHORT_TEXT}', as typed", {"q": SHORT_TEXT}),
        ("text: artist", {"q": artist_names()[ARTIST_RANK - 1]}),
        ("text: uploader", {"q": usernames()[UPLOADER_RANK - 1]}),
        ("track spectral", {"track": "spectral"}),
        ("level 3.00-4.00", {"level_min": "3", "level_max": "4"}),
        ("BPM 170-180", {"bpm_min": "170", "bpm_max": "180"}),
        ("length 2-3 min", {"minutes_min": "2", "minutes_max": "3"}),
        ("notes/s >= 8", {"nps_min": "8"}),
        ("combined, most downloaded", {"q": "night", "track": "adtof", "level_min": "2", "level_max": "5",
                                       "bpm_min": "100", "bpm_max": "160", "sort": "downloads"}),
        ("newest, page 100", {"page": "100"}),
        ("newest, page 1000", {"page": "1000"}),
        (f"newest, last page ({last_page})", {"page": last_page}),
    ]


def matching_count(*, params: dict[str, str]) -> int:
    """How many listed charts the query matches; every parameter must be one the form accepts."""
    from charts.forms import BrowseForm
    from charts.selectors import listed_chart_versions

    form = BrowseForm(params)
    if not form.is_valid():
        raise ValueError(f"The form refuses {params}: {form.errors.as_text()}")
    return listed_chart_versions(filters=form.filters()).count()


def timed_get(*, client, path: str, params: dict[str, str]) -> float:
    """Milliseconds to answer one GET; anything but 200 ends the benchmark."""
    started = time.perf_counter()
    response = client.get(path, params)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise AssertionError(f"GET {path} {params} answered {response.status_code}")
    return elapsed_ms


def measure(*, client, path: str, params: dict[str, str], repeats: int) -> np.ndarray:
    for _ in range(WARM_UP_RUNS):
        timed_get(client=client, path=path, params=params)
    return np.array([timed_get(client=client, path=path, params=params) for _ in range(repeats)])


def explain(*, client, name: str, params: dict[str, str]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SQL statement one Browse request runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get("/", params)
    print(f"\n### {name} {params}\n")
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
            print(f"    {query['sql']}\n\n{plan}\n")


def table_row(*, name: str, matches: int | str, page_ms: np.ndarray, api_ms: np.ndarray) -> str:
    """One Markdown row: p50 and p95 of the page and of the API, and whether both p95 meet the target."""
    page_p50, page_p95 = np.percentile(page_ms, [50, 95])
    api_p50, api_p95 = np.percentile(api_ms, [50, 95])
    verdict = "ok" if max(page_p95, api_p95) <= TARGET_P95_MS else "MISSED"
    return (f"| {name} | {matches} | {page_p50:.1f} | {page_p95:.1f} | {api_p50:.1f} | {api_p95:.1f} "
            f"| {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--charts", type=int, default=DEFAULT_CHARTS, help="listed chart versions to seed up to")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="timed runs per query")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each Browse query")
    args = parser.parse_args()

    ensure_database(url=args.database_url)
    configure_django(database_url=args.database_url, redis_url=args.redis_url)
    from django.test import Client

    from charts.models import ChartVersion

    missing = args.charts - listed_count()
    if missing > 0:
        started = time.perf_counter()
        seed_catalogue(listed=missing, rng=np.random.default_rng(RANDOM_SEED + missing))
        print(f"seeding: {time.perf_counter() - started:.1f} s")
    listed = listed_count()
    print(f"listed charts: {listed:,} of {ChartVersion.objects.count():,} chart versions")

    client = Client()
    queries = browse_queries(listed=listed)
    matches = [matching_count(params=params) for _, params in queries]
    rows, all_page_ms, all_api_ms = [], [], []
    for (name, params), count in zip(queries, matches):
        page_ms = measure(client=client, path="/", params=params, repeats=args.repeats)
        api_ms = measure(client=client, path="/api/charts/", params=params, repeats=args.repeats)
        rows.append(table_row(name=name, matches=f"{count:,}", page_ms=page_ms, api_ms=api_ms))
        all_page_ms.append(page_ms)
        all_api_ms.append(api_ms)
    rows.append(table_row(name="**all queries**", matches="", page_ms=np.concatenate(all_page_ms),
                          api_ms=np.concatenate(all_api_ms)))

    print(f"\n{args.repeats} runs per query after {WARM_UP_RUNS} warm-up runs; milliseconds; "
          f"target p95 <= {TARGET_P95_MS:.0f} ms\n")
    print("| query | matches | page p50 | page p95 | API p50 | API p95 | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))

    if args.explain:
        for name, params in queries:
            explain(client=client, name=name, params=params)


if __name__ == "__main__":
    main()

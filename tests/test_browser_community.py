"""The whole community story in real Chromium against a live server, with a real worker:
user A uploads and publishes; an anonymous visitor finds the chart in Browse and previews it;
user B votes, downloads and reports it; staff hide it from the moderation queue; B no longer
finds it; A reads the moderator's reason. Browse, the chart page and the moderation queue are
photographed and checked with axe-core (WCAG 2.1 A/AA) at desktop and phone widths, and so
are the upload page and the owner's song and chart pages."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from tests.community import make_chart
from tests.test_browser_preview import CHROMIUM, CHROMIUM_ARGS, OUTPUT_DIR

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = OUTPUT_DIR / "community"
PASSWORD = "correct horse battery staple"
TITLE = "Story Groove"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => `${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}"""


def _inspect(page, name: str) -> None:
    """At each width: no sideways scrolling, a screenshot, and no axe-core violation."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup` (npm ci installs axe-core).")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width_name, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)  # the preview redraws on resize
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width_name} width"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        assert page.evaluate(AXE_RUN, WCAG_TAGS) == [], f"{name} at {width_name} width"
    page.set_viewport_size(WIDTHS["desktop"])


def _log_in(context, base: str, username: str):
    page = context.new_page()
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("header")).to_contain_text(f"Log out {username}")
    return page


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield lambda: browser.new_context(viewport=WIDTHS["desktop"], accept_downloads=True)
    browser.close()
    playwright.stop()


@pytest.mark.django_db(transaction=True)
def test_share_find_vote_report_moderate(live_server, groove_file, run_worker, package_bytes, request):
    # Accounts and another public chart first: Playwright's event loop makes ORM calls in
    # this thread illegal afterwards.
    for username, staff in (("alice", False), ("bob", False), ("moderator", True)):
        User.objects.create_user(username=username, password=PASSWORD, is_staff=staff)
    make_chart(owner=User.objects.get(username="bob"), package=package_bytes, title="Other Tune")
    chromium = request.getfixturevalue("chromium")
    base = live_server.url

    # A uploads the song and, once the worker has converted it, publishes it.
    alice = _log_in(chromium(), base, "alice")
    alice.goto(base + reverse("song-upload"))
    _inspect(alice, "upload")
    alice.set_input_files("input[name=upload]", str(groove_file[0]))
    alice.fill("input[name=title]", TITLE)
    alice.select_option("select[name=track]", "spectral")
    alice.select_option("select[name=bgm]", "original")
    alice.click("main button[type=submit]")
    expect(alice.locator("h1")).to_contain_text(TITLE)
    assert run_worker().returncode == 0
    alice.reload()
    _inspect(alice, "song")
    alice.click("text=Preview and share")
    chart_url = alice.url
    alice.check("input[name=visibility][value=public]")
    alice.click("#sharing button[type=submit]")
    expect(alice.locator("#sharing")).to_contain_text("Saved: Public")
    assert alice.url == chart_url, "changed in place, without leaving the page"
    _inspect(alice, "chart-owner")

    # An anonymous visitor finds it in Browse by its title and previews it.
    visitor = chromium().new_page()
    visitor.goto(base + reverse("browse"))
    expect(visitor.locator("#results")).to_contain_text("Other Tune")
    visitor.fill("input[name=q]", "story groo")
    visitor.wait_for_url(f"{base}/?q=story+groo&sort=newest")  # the search lives in the URL, to share
    expect(visitor.locator("#results")).not_to_contain_text("Other Tune")
    result = visitor.locator(".chart-row a", has_text=TITLE)
    expect(result).to_be_visible()
    _inspect(visitor, "browse")
    result.click()
    preview = visitor.wait_for_selector("[data-chart-preview][data-note-count]")
    assert int(preview.get_attribute("data-note-count")) > 0
    expect(visitor.locator(".about")).to_contain_text("made by a machine")
    expect(visitor.locator(".about")).to_contain_text("Spectral (spectral)")
    _inspect(visitor, "chart")

    # B votes, downloads and reports it.
    bob = _log_in(chromium(), base, "bob")
    bob.goto(chart_url)
    bob.click("[data-vote=up]")
    expect(bob.locator("#votes")).to_contain_text("Score 1")
    with bob.expect_download() as download:
        bob.click("text=Download DTX package")
    assert Path(download.value.path()).stat().st_size > 10_000
    bob.reload()
    expect(bob.locator("[data-role=downloads]")).to_have_text("1")
    bob.click("text=Report")
    bob.check("input[name=reason][value=broken]")
    bob.fill("textarea[name=text]", "The snare is on the hi-hat lane")
    bob.click("text=Send the report")
    expect(bob.locator(".messages")).to_contain_text("moderators will look at your report")

    # Staff hide it from the moderation queue.
    moderator = _log_in(chromium(), base, "moderator")
    moderator.goto(base + reverse("moderation-queue"))
    group = moderator.locator(".report-group", has_text=TITLE)
    expect(group).to_contain_text("The snare is on the hi-hat lane")
    _inspect(moderator, "moderation")
    group.get_by_label("Reason (the owner sees it when the chart is hidden)").fill("Notes do not match the song")
    group.locator("button[value=hide]").click()
    expect(moderator.locator(".messages")).to_contain_text("Hide")

    # B no longer finds it, not even by its address; A reads why it was hidden.
    bob.goto(base + reverse("browse") + "?q=story+groove")
    expect(bob.locator("#results")).to_contain_text("No public chart matches")
    assert bob.goto(chart_url).status == 404
    alice.goto(chart_url)
    expect(alice.locator("[data-moderation=hidden]")).to_contain_text("Notes do not match the song")

"""The story page in headless Chromium: it loads with no console errors, shows the sample's
timeline, fits a phone's width, draws its chart with text at least 11 px at 390 and 1280 px,
and leaves screenshots (page and chart, at both widths) as artifacts in the pytest tmp dir
(`browser-artifacts*/` under pytest's base temp; the path is printed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from monitor.cli import cli

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                        "google-chrome")) if p), None)
if CHROMIUM is None:
    pytest.skip("headless Chromium is not installed (.ci/run installs it: apt-get install "
                "chromium)", allow_module_level=True)

# What the chart's visible SVG says once laid out: its smallest text in CSS pixels, whether
# its legend and dated ticks are there, written into the title for --dump-dom to carry out.
CHART_PROBE = """<script>
const svg = [...document.querySelectorAll('#noise-chart svg')]
  .find(s => s.getBoundingClientRect().width > 0);
const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
const texts = [...svg.querySelectorAll('text')];
const sizes = texts.map(t => parseFloat(t.getAttribute('font-size')) * scale);
const words = texts.map(t => t.textContent);
document.title = JSON.stringify({min: Math.min(...sizes), cls: svg.getAttribute('class'),
  words: words});
</script></body>"""
MEASURE = ("<script>document.title = 'inner=' + window.innerWidth + ' scroll=' + "
           "document.documentElement.scrollWidth;</script></body>")


def chromium(tmp_path: Path, url: str, *args: str) -> tuple[str, str]:
    """Run headless Chromium; return (stdout, stderr) with console messages in stderr."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         *args, url], capture_output=True, text=True, timeout=120)
    return done.stdout, done.stderr


def console_messages(stderr: str) -> list[str]:
    return re.findall(r":CONSOLE[^\]]*\] (.*)", stderr)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    """Return the folder the screenshots are kept in (under pytest's tmp dir)."""
    folder = tmp_path_factory.mktemp("browser-artifacts", numbered=True)
    print(f"screenshots in {folder}")
    return folder


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out / "demo")])
    assert result.exit_code == 0, result.output
    return out / "demo" / "outputs" / "index.html"


def test_console_errors_are_seen(tmp_path):
    """The harness itself: a page that logs an error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('broken page')</script></body></html>")
    _, stderr = chromium(tmp_path, bad.as_uri(), "--dump-dom")
    assert any("broken page" in m for m in console_messages(stderr))


def test_page_loads_cleanly_and_shows_the_timeline(page, tmp_path):
    dom, stderr = chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert console_messages(stderr) == []
    assert "ERR_" not in stderr  # no resource failed to load: there are none to load
    soup = BeautifulSoup(dom, "html.parser")
    items = soup.select("section#timeline ol.timeline > li")
    titles = [li.find("h3").get_text() for li in items]
    assert len(titles) >= 15
    for expected in ("Safe, Secure, and Trustworthy Development and Use of Artificial "
                     "Intelligence", "Dual Use Foundation Artificial Intelligence Models With "
                     "Widely Available Model Weights", "Framework for Artificial Intelligence "
                     "Diffusion"):
        assert expected in titles
    assert soup.select_one("section#noise svg circle")


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("phone", 390)])
def test_page_fits_and_is_photographed(page, tmp_path, artifacts, name, width):
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", MEASURE, 1))
    dom, _ = chromium(tmp_path, probe.as_uri(), f"--window-size={width},900", "--dump-dom")
    title = BeautifulSoup(dom, "html.parser").head.title.get_text()
    inner, scroll = (int(v) for v in re.findall(r"\d+", title))
    assert scroll <= inner, f"{name}: the page is wider ({scroll}px) than the window ({inner})"
    shot = artifacts / f"page-{name}.png"
    chromium(tmp_path, page.as_uri(), f"--window-size={width},2400", f"--screenshot={shot}",
             "--hide-scrollbars")
    assert shot.is_file() and shot.stat().st_size > 10_000


@pytest.mark.parametrize(("name", "width", "variant"), [("desktop", 1280, "chart-wide"),
                                                        ("phone", 390, "chart-narrow")])
def test_chart_is_legible_and_photographed(page, tmp_path, artifacts, name, width, variant):
    """The chart has a legend, dated ticks and named peaks, and no text under 11 px."""
    probe = tmp_path / "chart.html"
    probe.write_text(page.read_text().replace("</body>", CHART_PROBE, 1))
    dom, stderr = chromium(tmp_path, probe.as_uri(), f"--window-size={width},900",
                           "--dump-dom")
    assert console_messages(stderr) == []
    seen = json.loads(BeautifulSoup(dom, "html.parser").head.title.get_text())
    assert variant in seen["cls"]
    assert seen["min"] >= 11, f"{name}: chart text renders at {seen['min']:.1f} px"
    words = seen["words"]
    assert {"quiet", "normal", "elevated", "loud", "surge", "event noise"} <= set(words)
    assert {"items/day", "noise"} <= set(words)
    assert sum(bool(re.fullmatch(r"20\d\d(-\d\d)?", w)) for w in words) >= 3  # dated ticks
    assert "EO 14365" in words or any("Framework for" in w for w in words)  # named peaks
    # the noise section alone, photographed
    section = page.read_text()
    start = section.index('<section id="noise">')
    end = section.index("</section>", start)
    alone = tmp_path / "noise.html"
    alone.write_text(section[:section.index("<body>") + 6] + "<main>"
                     + section[start:end] + "</section></main></body></html>")
    shot = artifacts / f"chart-{name}.png"
    chromium(tmp_path, alone.as_uri(), f"--window-size={width},800", f"--screenshot={shot}",
             "--hide-scrollbars")
    assert shot.is_file() and shot.stat().st_size > 5_000

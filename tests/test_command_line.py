"""Issue #15, as a user meets it: each numbered case run as a subprocess, the way a person
types it (the terminal cases and the daemon's stop are in test_stopping.py)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_debate
from monitor.demo import SampleServer, sample_dir

ROOT = Path(__file__).resolve().parent.parent
MONITOR = [sys.executable, "-m", "monitor.cli"]
AS_ROOT = os.geteuid() == 0


def monitor(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MONITOR, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env={**os.environ, **(env or {})})


def one_line_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """The command failed with ``code`` and said why in one line naming ``words``."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    done = monitor("demo", "--out", str(out))
    assert done.returncode == 0, done.stderr
    (out / "stdout.txt").write_text(done.stdout)
    return out


def on(demo: Path, *args: str, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    return monitor("--db", str(db or demo / "monitor.db"), "--sources",
                   str(demo / "sources.yaml"), *args)


# --- 1. demo --out never deletes what the user did not ask for ---------------------------

def test_demo_refuses_a_folder_holding_other_files_and_changes_nothing(tmp_path):
    folder = tmp_path / "work"
    (folder / ".git").mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    done = monitor("demo", "--out", str(folder))
    one_line_error(done, 2, "--out", "did not write", "nothing was changed")
    assert sorted(p.name for p in folder.iterdir()) == [".git", "notes.txt"]
    assert (folder / "notes.txt").read_text() == "mine"


def test_demo_reruns_in_its_own_folder_and_keeps_nothing_stale(demo):
    (demo / "stdout.txt").rename(demo.parent / "stdout.txt")  # the folder is the demo's own
    again = monitor("demo", "--out", str(demo))
    (demo.parent / "stdout.txt").rename(demo / "stdout.txt")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(demo / "monitor.db") as conn:  # replaced, not appended to
        assert conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 17


# --- 3. --quiet run is quiet when nothing needs a person ----------------------------------

def test_quiet_run_prints_nothing_when_every_source_is_skipped(demo, tmp_path):
    db = tmp_path / "m.db"
    shutil.copy(demo / "monitor.db", db)
    done = on(demo, "--quiet", "run", db=db)  # every source ran a moment ago: none is due
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_quiet_run_prints_only_the_failures(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("settings: {retries: 1}\nsources:\n"
                       "  - {id: gone, kind: feed, url: 'http://127.0.0.1:9/feed.xml'}\n")
    done = monitor("--db", str(tmp_path / "m.db"), "--sources", str(sources), "--quiet", "run")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("gone ") and "error" in lines[0]
    assert lines[-1] == "1 of 1 sources failed"
    assert all(line.startswith(" ") for line in lines[1:-1])  # the error, wrapped


def test_the_crontab_example_sends_no_mail_when_all_is_well():
    lines = [line for line in (ROOT / "scripts" / "crontab.example").read_text().splitlines()
             if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    runs = [line for line in lines if " run" in line]
    assert runs and all("--quiet" in line or "-q " in line for line in runs)


# --- 4. one line and exit 2 where a traceback was -----------------------------------------

def test_bad_output_paths_are_one_line(demo, tmp_path):
    missing = tmp_path / "no" / "such"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for args, words in [
        (("digest", "--since", "all", "--out", str(tmp_path)), ("--out", "folder")),
        (("digest", "--out", str(missing / "d.md")), ("--out", "does not exist")),
        (("feed", "--out", str(missing / "f.atom")), ("--out", "does not exist")),
        (("deadlines", "--ics", str(missing / "d.ics")), ("--ics", "does not exist")),
        (("deadlines", "--ics", str(tmp_path)), ("--ics", "folder")),
        (("page", "--out", str(a_file)), ("--out", "is a file")),
    ]:
        one_line_error(on(demo, *args), 2, *words)
    assert not missing.parent.exists()


def test_an_unusable_log_file_is_one_line(demo, tmp_path):
    one_line_error(on(demo, "--log-file", str(tmp_path / "no" / "x.log"), "sources"), 2,
                   "--log-file", "No such file")
    one_line_error(on(demo, "--log-file", str(tmp_path), "sources"), 2, "--log-file")


@pytest.mark.skipif(AS_ROOT, reason="root writes into a read-only folder")
def test_run_in_a_read_only_folder_is_one_line(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    folder.chmod(0o555)
    try:
        done = monitor("--db", str(folder / "m.db"), "--sources", str(sources), "run")
        one_line_error(done, 2, "Permission denied")
    finally:
        folder.chmod(0o755)


def test_a_damaged_database_is_one_line(demo, tmp_path):
    db = tmp_path / "damaged.db"
    with sqlite3.connect(demo / "monitor.db") as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    size = db.stat().st_size
    with db.open("r+b") as f:  # garbage over the pages after the first (the schema stays)
        f.seek(4096 * 3)
        f.write(os.urandom(size - 4096 * 4))
    for args in (("signals", "--since", "all"), ("timeline", "--since", "all"),
                 ("digest", "--since", "all"), ("page", "--out", str(tmp_path / "p")),
                 ("classify", "--all")):
        done = on(demo, *args, db=db)
        assert done.returncode in (1, 2), (args, done.stderr)
        one_line_error(done, done.returncode, "database")


def test_eval_on_a_csv_that_is_not_utf8_is_one_line(demo, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_bytes("title,relevant\nR\xe9glement sur l'IA,1\n".encode("latin-1"))
    one_line_error(on(demo, "eval", str(labels)), 2, "UTF-8")


@pytest.mark.parametrize("args", [
    ("signals", "--since", "3000y"), ("signals", "--since", "99999999d"),
    ("timeline", "--since", "3000y"), ("digest", "--since", "99999999d"),
    ("deadlines", "--days", "99999999999"), ("noise", "--days", "99999999999"),
], ids=" ".join)
def test_overflowing_periods_are_usage_errors(demo, args):
    one_line_error(on(demo, *args), 2, f"'{args[1]}'")


# --- 5. --query takes the debate's own words ----------------------------------------------

def test_query_reads_words_and_identifiers_as_phrases(demo):
    hyphen = on(demo, "signals", "--since", "all", "--query", "open-weight", "--json")
    assert hyphen.returncode == 0, hyphen.stderr
    titles = [s["title"] for s in json.loads(hyphen.stdout)]
    assert titles and all(t for t in titles)
    assert any("Open-Weight" in t or "open-weight" in t.lower() for t in titles)
    docket = on(demo, "signals", "--since", "all", "--query", "NTIA-2023-0009", "--json")
    assert docket.returncode == 0, docket.stderr
    ids = {s["id"] for s in json.loads(docket.stdout)}
    assert "fr-ntia:2024-03763" in ids  # the docket is among its extracted entities
    both = on(demo, "signals", "--since", "all", "--query", "open-weight NTIA", "--json")
    assert both.returncode == 0 and len(json.loads(both.stdout)) <= len(titles)


def test_raw_fts_syntax_on_request_and_its_errors_name_the_option(demo):
    near = on(demo, "signals", "--since", "all", "--fts", "--query", "NEAR(open weight, 2)",
              "--json")
    assert near.returncode == 0 and json.loads(near.stdout), near.stderr
    one_line_error(on(demo, "signals", "--since", "all", "--fts", "--query", "open-weight"),
                   2, "--query", "--fts")


# --- 8. read commands never create a database ---------------------------------------------

@pytest.mark.parametrize("args", [("signals",), ("timeline",), ("sources",), ("noise",),
                                  ("deadlines",), ("digest",), ("event", "ev-0"),
                                  ("explain", "fr-ntia:2024-03763"), ("feed",),
                                  ("page", "--out", "/nonexistent-page-folder")],
                         ids=" ".join)
def test_read_commands_do_not_create_a_database(demo, tmp_path, args):
    db = tmp_path / "nothere.db"
    one_line_error(on(demo, *args, db=db), 2, "no database", "monitor init")
    assert list(tmp_path.iterdir()) == []


# --- 9. init refuses what would fail later -------------------------------------------------

@pytest.mark.parametrize(("yaml", "words"), [
    ("sources:\n  - {id: a, kind: feed, url: 'https://example.org/f', cron: '99 * * * *'}\n",
     ("cron", "minute")),
    ("daemon: {timezone: Mars/Olympus}\nsources:\n"
     "  - {id: a, kind: feed, url: 'https://example.org/f'}\n", ("timezone", "Mars/Olympus")),
    ("sources:\n  - {id: a, kind: html, url: 'https://example.org/', options: {item: 'div[['}}\n",
     ("options.item", "div[[")),
    ("", ("no sources",)),
    ("sources:\n  - {id: My Source, kind: feed, url: 'https://example.org/f'}\n",
     ("'My Source'", "not valid")),
], ids=["cron", "timezone", "selector", "empty", "id"])
def test_init_refuses_what_fails_later(tmp_path, yaml, words):
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml)
    done = monitor("--db", str(tmp_path / "m.db"), "--sources", str(sources), "init")
    one_line_error(done, 2, *words)
    assert not (tmp_path / "m.db").exists()


def test_doctor_network_fails_sources_that_fail_every_run(tmp_path):
    with SampleServer(sample_dir()) as server:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "sources:\n"
            f"  - {{id: html-as-feed, kind: feed, url: '{server.base}/ntia/newsroom.html'}}\n"
            f"  - {{id: missed, kind: html, url: '{server.base}/ntia/newsroom.html', "
            "options: {item: div.no-such-class}}\n"
            f"  - {{id: fine, kind: feed, url: '{server.base}/ntia/rss.xml'}}\n")
        assert monitor("--db", str(tmp_path / "m.db"), "--sources", str(sources),
                       "init").returncode == 0
        done = monitor("--db", str(tmp_path / "m.db"), "--sources", str(sources), "doctor",
                       "--network")
    assert done.returncode == 1
    lines = {line.split()[2]: line for line in done.stdout.splitlines()
             if line.split()[1:2] == ["source"]}
    assert lines["html-as-feed"].startswith("FAIL") and lines["missed"].startswith("FAIL")
    assert lines["fine"].startswith("ok") and "items" in lines["fine"]


# --- 10. filters that mean nothing are refused ---------------------------------------------

@pytest.mark.parametrize(("args", "option"), [
    (("signals", "--topic", "nosuchtopic"), "--topic"),
    (("timeline", "--topic", "nosuchtopic"), "--topic"),
    (("signals", "--source", "nosuch"), "--source"),
    (("signals", "--min-relevance", "5"), "--min-relevance"),
    (("deadlines", "--days", "-5"), "--days"),
    (("noise", "--days", "-3"), "--days"),
    (("feed", "--self-url", "javascript:alert(1)"), "--self-url"),
    (("digest", "--to", "desk@example.org"), "--to"),
    (("backfill", "--since", "2024-01-01", "--until", "2023-01-01"), "--until"),
], ids=lambda a: " ".join(a) if isinstance(a, tuple) else a)
def test_meaningless_filters_are_refused(demo, args, option):
    one_line_error(on(demo, *args), 2, option)


def test_help_lists_what_the_filters_accept():
    shipped = load_debate("open-weights")
    for command in ("signals", "timeline"):
        text = " ".join(monitor(command, "--help").stdout.split())
        for topic in shipped.topics:
            assert topic.id in text, (command, topic.id)
        assert "final|proposed|official|news|commentary" in text
    text = monitor("signals", "--help").stdout
    assert "restrict|open|neutral|unknown" in text


# --- 11. backfill without network ----------------------------------------------------------

def test_backfill_stops_when_the_source_does_not_answer(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("settings: {retries: 1}\nsources:\n  - {id: fr-gone, kind: "
                       "federal_register, url: 'http://127.0.0.1:9/api/v1/documents.json'}\n")
    done = monitor("--db", str(tmp_path / "m.db"), "--sources", str(sources), "backfill",
                   "--since", "2023-01-01", "--until", "2024-12-31")
    assert done.returncode == 1
    assert "1 source:" in done.stdout and "stopped: no answer" in done.stdout
    with sqlite3.connect(tmp_path / "m.db") as conn:
        assert conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 1


# --- 12. from the demo to the analyst ------------------------------------------------------

def test_the_demo_prints_commands_that_work_and_show_its_data(demo):
    printed = [line.strip() for line in (demo / "stdout.txt").read_text().splitlines()
               if line.startswith("  ") and line.rstrip().endswith("--since all")]
    assert printed, (demo / "stdout.txt").read_text()
    for line in printed:
        words = shlex.split(line)
        assert Path(words[0]).name == "monitor" or words[0] == sys.executable
        done = subprocess.run(words if words[0] != "monitor" else [*MONITOR, *words[1:]],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "fr-ntia:2024-03763" in done.stdout or "ev-" in done.stdout


def test_deadlines_lists_past_dates_on_request(demo):
    past = on(demo, "deadlines", "--past", "--days", "36500", "--json")
    assert past.returncode == 0, past.stderr
    assert "2024-03-27" in {d["day"] for d in json.loads(past.stdout)}  # NTIA's RFC closed


# --- 13. a database from a newer version is refused ---------------------------------------

def test_a_database_from_a_newer_version_is_refused(demo, tmp_path):
    db = tmp_path / "newer.db"
    shutil.copy(demo / "monitor.db", db)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES ('monitor', '9999_from_the_future', '2030-01-01')")
    for args in (("init",), ("run",), ("signals",)):
        one_line_error(on(demo, *args, db=db), 2, "newer version")
    doctor = on(demo, "doctor", db=db)
    assert doctor.returncode == 1 and "newer version" in doctor.stdout


# --- 14. one option name, and errors that name it ------------------------------------------

def test_one_output_option_across_commands(demo):
    same = on(demo, "signals", "--since", "all", "--json").stdout
    assert same == on(demo, "signals", "--since", "all", "--format", "json").stdout
    for command in (("timeline", "--since", "all"), ("sources",), ("noise",),
                    ("deadlines", "--past")):
        a, b = on(demo, *command, "--json"), on(demo, *command, "--format", "json")
        assert a.returncode == b.returncode == 0, a.stderr + b.stderr
        assert json.loads(a.stdout).keys() if isinstance(json.loads(a.stdout), dict) else True
        if command[0] != "sources":  # its JSON carries the time it was checked
            assert a.stdout == b.stdout


def test_send_with_a_user_and_no_password_says_so_before_connecting(demo, tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text((demo / "sources.yaml").read_text() + (
        "\nsmtp: {host: 127.0.0.1, port: 9, user: monitor, from: m@example.org, "
        "to: [desk@example.org]}\n"))
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_SMTP_PASSWORD"}
    done = subprocess.run([*MONITOR, "--db", str(demo / "monitor.db"), "--sources",
                           str(sources), "digest", "--send"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    one_line_error(done, 2, "MONITOR_SMTP_PASSWORD")
    assert "connect" not in done.stderr.lower()


def test_the_lock_file_is_ignored_by_git():
    assert "*.db.lock" in (ROOT / ".gitignore").read_text().split()


def test_eval_refuses_a_topic_the_debate_does_not_define(demo, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("title,relevant,topics\nBIS interim final rule,1,export_contrls\n")
    one_line_error(on(demo, "eval", str(labels)), 2, "export_contrls", "compute_thresholds")


def test_a_reader_opens_a_database_without_writing_beside_it(demo, tmp_path):
    # what a query in a read-only folder does (root, who runs these tests, can write anywhere,
    # so the folder's mode cannot show it): nothing is created next to the file
    from monitor import store

    db = tmp_path / "copy.db"
    with sqlite3.connect(demo / "monitor.db") as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    before = sorted(p.name for p in tmp_path.iterdir())
    reader = store.open_db(db, read_only=True)
    assert store.count_items(reader) > 100
    with pytest.raises(sqlite3.OperationalError):
        reader.execute("DELETE FROM items")
    reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_doctor_smtp_connects_through_the_senders_own_connection(tmp_path):
    import socket

    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    sources = tmp_path / "sources.yaml"
    smtp = f"{{host: 127.0.0.1, port: {port}, security: none, from: m@example.org}}"
    sources.write_text(f"sources: []\nsmtp: {smtp}\n")
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        up = monitor("--db", str(tmp_path / "m.db"), "--sources", str(sources), "doctor",
                     "--smtp")
    finally:
        controller.stop()
    line = next(x for x in up.stdout.splitlines() if x.split()[1:2] == ["smtp"])
    assert line.startswith("ok") and f"connected to 127.0.0.1:{port} (none)" in line
    down = monitor("--db", str(tmp_path / "m.db"), "--sources", str(sources), "doctor",
                   "--smtp")  # nothing listens any more
    line = next(x for x in down.stdout.splitlines() if x.split()[1:2] == ["smtp"])
    assert down.returncode == 1 and line.startswith("FAIL")
    assert f"cannot reach 127.0.0.1:{port}" in line

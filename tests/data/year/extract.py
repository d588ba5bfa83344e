"""Rebuild fr-<year>.csv.gz from a git snapshot of ai-village-agents/deepseek-news.

Usage: python tests/data/year/extract.py GIT_DIR YEAR [YEAR ...]

Reads every `_posts/*.md` of the snapshot's HEAD whose front matter says
`source: federal_register`, keeps those whose `original_published` falls in YEAR, and writes
one row per document number (the first post by path order when a document was posted twice):
document_number, publication_date, type, agencies, title, abstract, url. The posts hold no
document type and no agencies, so those two columns are empty. An abstract of
"No summary provided." (the post's text for an empty API abstract) is written empty.
"""

from __future__ import annotations

import csv
import gzip
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

FIELDS = ("document_number", "publication_date", "type", "agencies", "title", "abstract", "url")
NO_SUMMARY = "No summary provided."


def _front(text: str) -> dict[str, str]:
    out = {}
    if text.startswith("---\n"):
        head = text[4:text.find("\n---", 4)]
        for line in head.splitlines():
            key, _, value = line.partition(":")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            out[key.strip()] = value
    return out


def _section(text: str, name: str) -> str:
    m = re.search(rf"^## {name}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return " ".join(m.group(1).split()) if m else ""


def parse(text: str) -> dict[str, str] | None:
    """Return one CSV row for a Federal Register post, None for any other post."""
    front = _front(text)
    if front.get("source") != "federal_register":
        return None
    item = front.get("item_id", "")
    number = item.split(":", 1)[1] if item.startswith("federal_register:") else ""
    m = re.search(r"\*\*Document Number:\*\* (\S+)", text)
    if m:
        number = m.group(1)
    abstract = _section(text, "Summary")
    if abstract == NO_SUMMARY:
        abstract = ""
    m = re.search(r"Primary source: \[Federal Register\]\((\S+?)\)", text)
    url = m.group(1) if m else f"https://www.federalregister.gov/d/{number}"
    return {"document_number": number,
            "publication_date": front.get("original_published", "")[:10],
            "type": "", "agencies": "", "title": " ".join(front.get("title", "").split()),
            "abstract": abstract, "url": url}


def main(git_dir: str, years: list[str]) -> None:
    listing = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "HEAD",
                              "_posts/"], check=True, capture_output=True,
                             text=True).stdout.splitlines()
    # "<mode> blob <sha>\t<path>", in path order; blobs by id (a path lookup per post would
    # scan the 160,000-entry tree each time)
    blobs = [line.split("\t", 1)[0].split()[2] for line in listing
             if line.endswith(".md") and " blob " in line]
    batch = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                           input="".join(f"{b}\n" for b in blobs).encode(),
                           check=True, capture_output=True).stdout
    rows: dict[str, dict[str, dict[str, str]]] = {y: {} for y in years}
    pos = 0
    while pos < len(batch):
        eol = batch.index(b"\n", pos)
        header = batch[pos:eol].split()
        size = int(header[2])
        text = batch[eol + 1:eol + 1 + size].decode("utf-8", "replace")
        pos = eol + 1 + size + 1
        row = parse(text)
        if row and row["publication_date"][:4] in rows and row["document_number"]:
            rows[row["publication_date"][:4]].setdefault(row["document_number"], row)
    for year, docs in rows.items():
        out = Path(__file__).with_name(f"fr-{year}.csv.gz")
        ordered = sorted(docs.values(), key=lambda r: (r["publication_date"],
                                                       r["document_number"]))
        with gzip.open(out, "wt", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(ordered)
        months = Counter(r["publication_date"][:7] for r in ordered)
        print(f"{out.name}: {len(ordered)} documents, "
              f"{sum(1 for r in ordered if not r['abstract'])} with an empty abstract, "
              f"{out.stat().st_size} bytes")
        for month, n in sorted(months.items()):
            print(f"  {month} {n}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])

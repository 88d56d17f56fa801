"""Merge labelling files into devset/labels.toml, checking each item against its media.

Usage: .venv/bin/python devset/merge_labels.py MEDIA_DIR LABEL_FILE... [--out devset/labels.toml]

Each item's media must exist under MEDIA_DIR and match its sha256 (filled in
when absent). Items whose media is the same file as an earlier item's are
dropped when judged against the same stretch (the same photo found in two
repositories, or labelled twice); the same picture judged against two
stretches is two items (a good pelvic tilt is a bridge look-alike). Items
that do not validate are dropped too. What was dropped is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tomllib
from pathlib import Path

import tomlkit

from posecheck.labelled_set import LabelsError, parse_item
from posecheck.reference import load_library

HEADER = """\
posecheck development set: real photos and clips of real people, labelled by eye.
Each item was decided by looking at the picture, and every fault and look-alike
label was looked at twice. Media are not in the repository (see README.md);
landmarks/ holds what the model saw, so evaluation runs without them.
expect: good (accept) | fault (reject, naming the fault) | lookalike (do not accept)
| abstain (ask for a better view)
"""

KEYS = ("id", "stretch", "kind", "media", "expect", "fault", "pose", "shows", "view", "facing",
        "note", "segments", "second_look", "repo", "commit", "path", "sha256", "licence")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("media", type=Path)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("labels.toml"))
    args = ap.parse_args()
    known = set(load_library())
    kept: list[dict] = []
    by_sha: dict[tuple[str, str], str] = {}
    ids: set[str] = set()
    for f in args.files:
        try:
            raw = tomllib.loads(f.read_text())
        except tomllib.TOMLDecodeError as exc:
            print(f"skip file {f}: {exc}")
            continue
        for n, t in enumerate(raw.get("item", [])):
            where = f"{f.name} item {n + 1} ({t.get('id')})"
            media = args.media / str(t.get("media", ""))
            if not media.is_file():
                print(f"drop {where}: media {media} missing")
                continue
            digest = sha256(media)
            if t.get("sha256") and t["sha256"] != digest:
                print(f"note {where}: sha256 in labels differs from the media; using the media's")
            t["sha256"] = digest
            key = (digest, str(t.get("stretch")))
            if key in by_sha:
                print(f"drop {where}: same file and stretch as {by_sha[key]}")
                continue
            if t.get("id") in ids:
                print(f"drop {where}: duplicate id")
                continue
            try:
                parse_item(t, where, known)
            except LabelsError as exc:
                print(f"drop {exc}")
                continue
            by_sha[key] = t["id"]
            ids.add(t["id"])
            kept.append(t)
    kept.sort(key=lambda t: (t["stretch"], t.get("kind", "photo"), t["id"]))
    doc = tomlkit.document()
    for line in HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    items = tomlkit.aot()
    for t in kept:
        table = tomlkit.table()
        for k in KEYS:
            if k in t and t[k] not in ("", None):
                table[k] = t[k]
        items.append(table)
    doc["item"] = items
    args.out.write_text(tomlkit.dumps(doc))
    print(f"{len(kept)} items written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Builds the screening evaluation set (eval/screening/set.jsonl) from the real lists, deterministically.

Positives are list names changed the way real queries differ from the list:
  case_punct   case changed, punctuation dropped or spaced          ("HUAWEI TECHNOLOGIES CO., LTD." -> "huawei technologies co ltd")
  legal_form   a legal form spelt another way, or dropped            ("Co., Ltd." -> "Company Limited", "OOO" -> "LLC")
  typo         one edit (substitution, deletion, insertion or swap of neighbours) in one word of 5+ letters
  word_order   a person's name as "First LAST" instead of the list's "LAST, First"
  alias        one of the entry's other names
  diacritics   a name with diacritics written without them (the lists hold few), and ASCII names written with
               one or two accented letters ("Rosneft" -> "Rösneft")
Each positive names the entry it must find (`expect`: list code and entry id).

Negatives are real organisation names (AI developers, cloud and data-centre owners, their users and investors, from
Epoch AI's datasets) that are not listed. To keep the set honest about "not listed", a name is left out when a
list name or alias has all its words, or when all the words of a list name of two or more words are in it (plain
lower-case words, independent of Tiergate's matcher): "Huawei" and "Beihang University" are listed, not negatives.

    python3 eval/screening/make_set.py [SHARED_DATA_DIR]   (default ../shared/data)
"""
import csv
import json
import random
import re
import sys
import unicodedata
from pathlib import Path


SEED = 20250113
PER_TRANSFORMATION = 250
ROOT = Path(__file__).resolve().parents[2]
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
LISTS = ROOT / "tests" / "data" / "us-screening-lists"
OUT = ROOT / "eval" / "screening" / "set.jsonl"


def short_code(source):
    m = re.search(r"\(([^)]+)\)", source)
    return m.group(1) if m else source


def load_entries():
    entries = []
    with open(LISTS / "consolidated_2022-05.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            alts = [a.strip() for a in r["alt_names"].split("; ") if a.strip()]
            entries.append({"list": short_code(r["source"]), "id": r["_id"], "name": r["name"].strip(),
                            "alts": alts, "type": r["type"]})
    with open(LISTS / "sdn_2024-05-03.csv", newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) != 12:
                continue
            kind = "Individual" if row[2].strip().lower() == "individual" else "Entity"
            alts = re.findall(r"[afn]\.k\.a\. '([^']+)'", row[11])
            entries.append({"list": "SDN", "id": row[0].strip(), "name": row[1].strip(), "alts": alts, "type": kind})
    return entries


LEGAL_SWAPS = [
    (r"\bCo\.,? ?Ltd\b\.?", "Company Limited"),
    (r"\bCompany Limited\b", "Co., Ltd."),
    (r"\bLimited Liability Company\b", "LLC"),
    (r"\bLLC\b", "Limited Liability Company"),
    (r"\bJoint Stock Company\b", "JSC"),
    (r"\bJSC\b", "Joint Stock Company"),
    (r"\bOOO\b", "LLC"),
    (r"\bLimited\b", "Ltd"),
    (r"\bLtd\b\.?", "Limited"),
    (r"\bCorporation\b", "Corp."),
    (r"\bCorp\b\.?", "Corporation"),
    (r"\bInc\b\.?", "Incorporated"),
    (r"\bCompany\b", "Co."),
    (r"\bGmbH\b", ""),
    (r",? (S\.A\.|SA)$", ""),
]


def legal_form(name, rng):
    options = [(p, r) for p, r in LEGAL_SWAPS if re.search(p, name, re.I)]
    if not options:
        return None
    p, r = rng.choice(options)
    out = re.sub(p, r, name, count=1, flags=re.I)
    out = re.sub(r"\s+", " ", out).strip(" ,")
    return out if out and out != name else None


def case_punct(name, rng):
    out = rng.choice([str.lower, str.upper, str.title])(name)
    out = re.sub(r"[.,'()\-&/\"]", lambda m: rng.choice(["", " "]), out)
    out = re.sub(r"\s+", " ", out).strip()
    return out if out else None


def typo(name, rng):
    words = [m for m in re.finditer(r"[A-Za-z]{5,}", name)]
    if not words:
        return None
    m = rng.choice(words)
    w = m.group(0)
    i = rng.randrange(len(w))
    op = rng.choice(["sub", "del", "ins", "swap"])
    letters = "abcdefghijklmnopqrstuvwxyz"
    if w.isupper():
        letters = letters.upper()
    if op == "sub":
        new = w[:i] + rng.choice([c for c in letters if c.lower() != w[i].lower()]) + w[i + 1:]
    elif op == "del":
        new = w[:i] + w[i + 1:]
    elif op == "ins":
        new = w[:i] + rng.choice(letters) + w[i:]
    else:
        i = min(i, len(w) - 2)
        if w[i].lower() == w[i + 1].lower():
            return None
        new = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    return name[:m.start()] + new + name[m.end():]


def word_order(name, _rng):
    if name.count(",") != 1:
        return None
    last, first = [p.strip() for p in name.split(",")]
    return f"{first} {last}" if first and last else None


def words(name):
    return re.findall(r"[a-z0-9]+", strip_diacritics(name).lower())


ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "c": "ç", "n": "ñ", "s": "ș", "z": "ž"}


def add_diacritics(name, rng):
    """The other direction: an ASCII list name typed with one or two accented letters."""
    spots = [i for i, c in enumerate(name) if c.lower() in ACCENTS]
    if not spots:
        return None
    out = list(name)
    for i in rng.sample(spots, min(2, len(spots))):
        accented = ACCENTS[out[i].lower()]
        out[i] = accented.upper() if out[i].isupper() else accented
    return "".join(out)


def strip_diacritics(name):
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def main():
    rng = random.Random(SEED)
    entries = load_entries()
    entries.sort(key=lambda e: (e["list"], e["id"]))
    el = [e for e in entries if e["list"] == "EL"]
    rest = [e for e in entries if e["list"] != "EL"]

    def sample(pool, make, n):
        """Half from the Entity List, half from the other lists; each entry at most once per transformation."""
        out, seen = [], set()
        for part, want in ((el, n // 2), (rest, n - n // 2)):
            candidates = part[:]
            rng.shuffle(candidates)
            got = 0
            for e in candidates:
                if got == want:
                    break
                if (e["list"], e["id"]) in seen or not pool(e):
                    continue
                q = make(e)
                if q and q.strip():
                    seen.add((e["list"], e["id"]))
                    out.append((e, q))
                    got += 1
        return out

    rows = []
    plans = [
        ("case_punct", lambda e: True, lambda e: case_punct(e["name"], rng)),
        ("legal_form", lambda e: e["type"] != "Individual", lambda e: legal_form(e["name"], rng)),
        ("typo", lambda e: True, lambda e: typo(e["name"], rng)),
        ("word_order", lambda e: e["type"] == "Individual", lambda e: word_order(e["name"], rng)),
        ("alias", lambda e: bool(e["alts"]), lambda e: rng.choice(e["alts"])),
    ]
    for name, pool, make in plans:
        for e, q in sample(pool, make, PER_TRANSFORMATION):
            rows.append({"transformation": name, "name": q, "expect": {"list": e["list"], "entry_id": e["id"]}})
    for e, q in sample(lambda e: e["name"].isascii(), lambda e: add_diacritics(e["name"], rng), 150):
        rows.append({"transformation": "diacritics", "name": q, "expect": {"list": e["list"], "entry_id": e["id"]}})
    # Diacritics removed: every name or alias that has some (they are few).
    for e in entries:
        for n in [e["name"]] + e["alts"]:
            plain = strip_diacritics(n)
            if plain != n and plain.isascii():
                rows.append({"transformation": "diacritics", "name": plain,
                             "expect": {"list": e["list"], "entry_id": e["id"]}})
                break

    # Negatives.
    orgs = set()
    models = DATA / "epoch-ai-models"
    for f in ("notable_ai_models.csv", "large_scale_ai_models.csv", "frontier_ai_models.csv"):
        with open(models / f, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                orgs.update(o.strip() for o in (r.get("Organization") or "").split(",") if o.strip())
    infra = DATA / "epoch-ai-infrastructure"
    for f, cols in (("gpu_clusters.csv", ["Owner", "Users"]),
                    ("data_centers.csv", ["Owner", "Users", "Investors", "Construction companies", "Energy companies"])):
        with open(infra / f, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                for c in cols:
                    orgs.update(o.strip() for o in (r.get(c) or "").split(",") if o.strip())
    list_names = [n for e in entries for n in [e["name"]] + e["alts"]]
    name_sets = [frozenset(words(n)) for n in list_names]
    by_word = {}
    for i, ws in enumerate(name_sets):
        for w in ws:
            by_word.setdefault(w, []).append(i)
    negatives, left_out = [], []
    for org in sorted(orgs):
        ws = frozenset(words(org))
        if len(org) < 3 or not ws:
            continue
        near = {i for w in ws for i in by_word.get(w, [])}
        hit = next((i for i in sorted(near)
                    if ws <= name_sets[i] or (len(name_sets[i]) >= 2 and name_sets[i] <= ws)), None)
        if hit is None:
            negatives.append(org)
        else:
            left_out.append((org, list_names[hit]))
    for org in negatives:
        rows.append({"transformation": "negative", "name": org, "expect": None})

    for i, r in enumerate(rows, 1):
        r["id"] = f"q{i:05d}"
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"id": r["id"], "name": r["name"], "transformation": r["transformation"],
                                "expect": r["expect"]}, ensure_ascii=False) + "\n")
    counts = {}
    for r in rows:
        counts[r["transformation"]] = counts.get(r["transformation"], 0) + 1
    print(f"wrote {len(rows)} queries to {OUT.relative_to(ROOT)}: {counts}")
    print(f"left out {len(left_out)} organisation names that a list name contains (or that contain one), e.g.:")
    for org, hit in left_out[:15]:
        print(f"  {org!r} ~ {hit!r}")


if __name__ == "__main__":
    main()

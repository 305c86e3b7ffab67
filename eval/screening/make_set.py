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
The kinds users meet that differ more (issue 14):
  extended     an organisation's name with places, branch words or another legal form around it
               ("X Malaysia Sdn Bhd", "X Hamburg Branch", "X (Wuxi) Co., Ltd.")
  truncated    a distinctive part of an organisation's name (its rarest words on the lists that are not common
               English words), or a person's name without its middle names or patronymic
  abbreviated  common words abbreviated or spelt out ("Technologies" <-> "Tech", "International" <-> "Intl")
  transliterated  a name transliterated from Russian (an entry of RU, BY, UA or KZ that looks it) written in
               Cyrillic, or in German or French transcription ("Khodorkovsky" -> "Chodorkowski")
  combined     two of the above on one name
Each positive names the entry it must find (`expect`: list code and entry id).

Hard negatives (`hard_negative`) are real airlines, banks, oil companies, technology firms and common personal names
(eval/screening/hard_negatives.txt) that share words with listed names, kept only when no list name or alias has
all their words, none of theirs is a list name of two or more words, and none holds a rare one-word list name.

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
            codes = set(re.findall(r"\b([A-Z]{2})\s*(?:;|$)", r["addresses"]))
            codes |= {c.strip() for c in (r["citizenships"] + ";" + r["nationalities"]).split(";") if c.strip()}
            entries.append({"list": short_code(r["source"]), "id": r["_id"], "name": r["name"].strip(),
                            "alts": alts, "type": r["type"], "countries": codes})
    with open(LISTS / "sdn_2024-05-03.csv", newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) != 12:
                continue
            kind = "Individual" if row[2].strip().lower() == "individual" else "Entity"
            alts = re.findall(r"[afn]\.k\.a\. '([^']+)'", row[11])
            entries.append({"list": "SDN", "id": row[0].strip(), "name": row[1].strip(), "alts": alts, "type": kind})
    with open(LISTS / "dpl_2022-09.txt", newline="", encoding="utf-8") as f:
        for i, r in enumerate(csv.DictReader(f, delimiter="\t")):
            entries.append({"list": "DPL-file", "id": f"dpl{i}", "name": r["Name"].strip(), "alts": [],
                            "type": "Entity", "positive": False})
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


# The places and branch words of `extended`: written here, apart from the matcher's own tables (data/places.toml
# holds countries and capitals; these are mostly commercial cities it does not know).
EXT_PLACES = ["Malaysia", "Deutschland", "Singapore", "Hong Kong", "Dubai", "Hamburg", "Shenzhen", "Istanbul",
              "Almaty", "Tashkent", "Minsk", "Frankfurt", "Milano", "Guangzhou", "Mumbai", "Karachi", "Jakarta",
              "Bangkok", "Taipei", "Sharjah", "Yerevan", "Baku", "Tbilisi", "Lagos", "Sao Paulo", "Rotterdam",
              "Antwerp", "Vladivostok", "Novosibirsk", "Suzhou", "Wuxi", "Qingdao", "Chengdu", "Tianjin",
              "Europe", "Asia Pacific", "Middle East", "Canada", "India", "Turkey", "Kazakhstan", "Armenia"]
EXT_PATTERNS = ["{n} {p}", "{n} {p} {l}", "{n} {p} Branch", "{n} ({p}) Co., Ltd.", "{n} Representative Office {p}",
                "{n} {p} Office", "{n} {l}", "{n} {p} Trading {l}"]
EXT_LEGAL = ["GmbH", "Sdn Bhd", "FZE", "LLC", "Ltd", "B.V.", "S.A.", "Pte Ltd", "Limited", "Inc."]

ABBREVIATIONS = [
    (r"\bTechnologies\b", "Tech"), (r"\bTechnology\b", "Tech"), (r"\bTech\b", "Technologies"),
    (r"\bInternational\b", "Intl"), (r"\bIntl\b\.?", "International"),
    (r"\bCorporation\b", "Corp"), (r"\bCompany\b", "Co"), (r"\bLimited\b", "Ltd"),
    (r"\bIndustries\b", "Ind."), (r"\bIndustrial\b", "Ind."), (r"\bManufacturing\b", "Mfg"),
    (r"\bEngineering\b", "Eng."), (r"\bElectronics\b", "Elec."), (r"\bUniversity\b", "Univ."),
    (r"\bInstitute\b", "Inst."), (r"\bLaboratory\b", "Lab"), (r"\bLaboratories\b", "Labs"),
    (r"\bHoldings?\b", "Hldgs"), (r"\bGroup\b", "Grp"), (r"\bServices\b", "Svcs"),
    (r"\bJoint Stock Company\b", "AO"), (r"\bJSC\b", "AO"), (r"\bOOO\b", "Limited Liability Company"),
    (r"\bLimited Liability Company\b", "OOO"), (r"\bLLC\b", "TOO"), (r"\bNational\b", "Natl"),
]

# Latin -> Cyrillic, longest first: how a Russian name written in Latin letters is written in Russian.
LAT_CYR = [("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"),
           ("ya", "я"), ("yo", "ё"), ("iy", "ий"), ("yy", "ый"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"),
           ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("y", "й"), ("k", "к"), ("l", "л"), ("m", "м"),
           ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"),
           ("c", "к"), ("h", "х"), ("w", "в"), ("x", "кс"), ("j", "дж"), ("q", "к")]
# German and French transcriptions of Russian names from the English one.
GERMAN = [("shch", "schtsch"), ("kh", "ch"), ("zh", "sch"), ("ch", "tsch"), ("sh", "sch"), ("v", "w"),
          ("yu", "ju"), ("ya", "ja"), ("iy", "ij"), ("y", "j")]
FRENCH = [("u", "ou"), ("ch", "tch"), ("zh", "j"), ("y", "i")]
# Common English words (the SCOWL list Tiergate ships): a part made of them is no distinctive part.
COMMON = frozenset(l.strip() for l in (ROOT / "data" / "common_words.txt").read_text().splitlines()
                   if l.strip() and not l.startswith("#"))
# Place names (the list Tiergate ships): a place alone is no distinctive part either.
PLACES = frozenset(json.loads(l.strip().rstrip(",")).lower() for l in (ROOT / "data" / "places.toml").read_text(
    encoding="utf-8").splitlines() if l.strip().startswith('"'))
# Russian legal forms, for names written in Cyrillic: as a Russian writes them, not letter by letter.
RU_LEGAL = [(r"\bLLC\b|\bOOO\b", "ООО"), (r"\bPJSC\b|\bPAO\b", "ПАО"), (r"\bOJSC\b|\bOAO\b", "ОАО"),
            (r"\bCJSC\b|\bZAO\b", "ЗАО"), (r"\bJSC\b|\bAO\b", "АО"), (r"\bFGUP\b", "ФГУП")]
RUSSIAN_LOOK = re.compile(r"(kh|zh|shch|ov\b|ev\b|sky\b|skiy\b|enko\b|vich\b|ovna\b|aya\b|iy\b)", re.I)


def extended(name, rng):
    core = re.sub(r"(,? (Co\.?,? ?Ltd\.?|Company Limited|Limited|Ltd\.?|LLC|JSC|Inc\.?|GmbH|S\.A\.|Corp\.?))+$", "",
                  name, flags=re.I).strip(" ,")
    if not core:
        return None
    pattern = rng.choice(EXT_PATTERNS)
    return pattern.format(n=core, p=rng.choice(EXT_PLACES), l=rng.choice(EXT_LEGAL))


def truncated(entry, rarity, rng):
    name = entry["name"]
    if entry["type"] == "Individual":
        if "," in name:
            last, given = [p.strip() for p in name.split(",", 1)]
            parts = given.split()
            if len(parts) < 2:
                return None
            return f"{parts[0]} {last}"
        parts = name.split()
        if len(parts) < 3:
            return None
        return f"{parts[0]} {parts[-1]}"
    ws = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9\-]{3,}", name)]
    if len(ws) < 2:
        return None
    ws = [w for w in ws if w.isalpha() and w.lower() not in COMMON and w.lower() not in PLACES]
    if not ws:
        return None
    rare = sorted(ws, key=lambda w: (rarity.get(w.lower(), 0), w))
    keep = rare[0]
    if rarity.get(keep.lower(), 0) > 3 or len(keep) < 5:
        return None
    if rng.random() < 0.4 and len(rare) > 1:
        pair = [w for w in ws if w in (rare[0], rare[1])]
        return " ".join(pair)
    return keep


def abbreviated(name, rng):
    options = [(p, r) for p, r in ABBREVIATIONS if re.search(p, name, re.I)]
    if not options:
        return None
    out = name
    for p, r in rng.sample(options, min(2, len(options))):
        out = re.sub(p, r, out, count=1, flags=re.I)
    return out if out != name else None


def replace_all(text, table):
    out, i, low = [], 0, text.lower()
    while i < len(text):
        for a, b in table:
            if low.startswith(a, i):
                piece = text[i:i + len(a)]
                out.append(b.upper() if piece.isupper() and len(b) > 0 else (b.capitalize() if piece[:1].isupper() else b))
                i += len(a)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def transliterated(name, rng):
    if not RUSSIAN_LOOK.search(name) or not name.isascii():
        return None
    choice = rng.choice(["cyrillic", "german", "french"])
    if choice == "cyrillic":
        out = name
        for p, r in RU_LEGAL:
            out = re.sub(p, r, out, flags=re.I)
        return replace_all(out, LAT_CYR)
    ending = "ow" if choice == "german" else "off"
    out = re.sub(r"(?i)ov\b", lambda m: ending if m.group(0).islower() else ending.upper(), name)
    out = replace_all(out, GERMAN if choice == "german" else FRENCH)
    return out if out != name else None


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


EVAL_LEGAL = frozenset(["inc", "ltd", "llc", "co", "corp", "corporation", "company", "limited", "gmbh", "ag", "sa",
                        "spa", "plc", "bv", "nv", "jsc", "pjsc", "ojsc", "oao", "ooo", "pte", "pvt", "srl", "kk"])


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
    rest = [e for e in entries if e["list"] != "EL" and e.get("positive", True)]

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
    rarity = {}
    for e in entries:
        for n in [e["name"]] + e["alts"]:
            for w in set(re.findall(r"[a-z0-9\-]+", n.lower())):
                rarity[w] = rarity.get(w, 0) + 1
    org = lambda e: e["type"] != "Individual"

    def russian(e):
        """A name written in Latin letters from Russian: an entry of Russia, Belarus, Ukraine or Kazakhstan whose
        words look transliterated (a person's name, or most of an organisation's long words)."""
        if not (e.get("countries", set()) & {"RU", "BY", "UA", "KZ"}) or not e["name"].isascii():
            return False
        long = [w for w in re.findall(r"[A-Za-z]{4,}", e["name"])]
        looks = [w for w in long if RUSSIAN_LOOK.search(w)]
        return bool(looks) and (e["type"] == "Individual" or len(looks) * 2 >= len(long))
    combos = [
        lambda e: (extended(abbreviated(e["name"], rng) or "", rng) if org(e) else None),
        lambda e: (truncated({**e, "name": transliterated(e["name"], rng) or ""}, rarity, rng)
                   if e["type"] == "Individual" and russian(e) else None),
        lambda e: (extended(transliterated(e["name"], rng) or "", rng) if org(e) and russian(e) else None),
        lambda e: (extended(typo(e["name"], rng) or "", rng) if org(e) else None),
    ]
    new_kinds = [
        ("extended", org, lambda e: extended(e["name"], rng)),
        ("truncated", lambda e: True, lambda e: truncated(e, rarity, rng)),
        ("abbreviated", org, lambda e: abbreviated(e["name"], rng)),
        ("transliterated", russian, lambda e: transliterated(e["name"], rng)),
        ("combined", lambda e: True, lambda e: rng.choice(combos)(e)),
    ]
    for name, pool, make in new_kinds:
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
    rare_single = {next(iter(ws)) for ws in name_sets if len(ws) == 1 and len(next(iter(ws))) >= 5
                   and rarity.get(next(iter(ws)), 0) <= 3}

    def clash(name):
        """The list name that makes `name` plausibly a listed party, if any: one that has all its words (legal
        forms aside), one of two or more words all of whose words it has, or a rare one-word list name in it."""
        ws = frozenset(words(name))
        core = ws - EVAL_LEGAL or ws
        near = {i for w in ws for i in by_word.get(w, [])}
        hit = next((list_names[i] for i in sorted(near)
                    if core <= name_sets[i] or (len(name_sets[i]) >= 2 and name_sets[i] <= ws)), None)
        if hit is None and ws & rare_single:
            hit = "a rare one-word list name: " + ", ".join(sorted(ws & rare_single))
        return hit

    negatives, left_out = [], []
    for org in sorted(orgs):
        if len(org) < 3 or not words(org):
            continue
        hit = clash(org)
        if hit is None:
            negatives.append(org)
        else:
            left_out.append((org, hit))
    for org in negatives:
        rows.append({"transformation": "negative", "name": org, "expect": None})

    # Hard negatives: real names sharing words with listed ones.
    hard = [l.strip() for l in (ROOT / "eval" / "screening" / "hard_negatives.txt").read_text(encoding="utf-8").splitlines()
            if l.strip() and not l.startswith("#")]
    hard_kept = 0
    for h in hard:
        hit = clash(h) if words(h) else "no words"
        if hit is None:
            rows.append({"transformation": "hard_negative", "name": h, "expect": None})
            hard_kept += 1
        else:
            left_out.append((h, hit))
    print(f"hard negatives: kept {hard_kept} of {len(hard)}")

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

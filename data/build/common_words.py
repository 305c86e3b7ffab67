#!/usr/bin/env python3
"""Builds data/common_words.txt from SCOWL's American English word list (Debian package wamerican).

Run from the repository root:
    python3 data/build/common_words.py /usr/share/dict/american-english > data/common_words.txt
The output is committed; Tiergate never reads the source at run time.

Keeps the words written in lower case (SCOWL capitalises proper nouns: "Aeroflot" and "Kalashnikov" are left out,
"airline" and "university" kept), of four letters or more, without apostrophes, folded to ASCII. Screening reads
them as generic words: common in the language, so never distinctive by themselves (docs/SCREENING.md).
"""
import sys
import unicodedata


def main() -> None:
    words = set()
    for line in open(sys.argv[1], encoding="utf-8"):
        w = line.strip()
        if not w or not w.islower() or "'" in w or len(w) < 4:
            continue
        w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
        if w.isascii() and w.isalpha():
            words.add(w)
    print("# Common English words: generic for screening. From SCOWL (wordlist.sourceforge.net) via Debian's")
    print("# wamerican, lower-case entries of four letters or more; see data/licenses/SCOWL.md.")
    for w in sorted(words):
        print(w)


if __name__ == "__main__":
    main()

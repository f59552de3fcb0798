"""Near-duplicate search between the evaluation files (ood, test, valid) and train, on raw
character 8-grams (no masking): the datasheet's leakage figures.

    python scripts/leakage.py [--train golden/train.jsonl] [--out golden/leakage.json] FILE...

For every evaluation record, the Jaccard similarity of its set of character 8-grams (text
lowercased, whitespace collapsed) with that of the most similar training record; the
maximum per file and every pair above the threshold (0.5), by id. Sparse 0/1 matrices make
the all-pairs search a matrix product: seconds for 1,000 x 6,000 texts.

This complements `pii golden check`, whose skeleton comparison masks values and names
(it finds two renders of one template); raw 8-grams find shared wording, whatever the values.
Left out: near-duplicates within one file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pii.golden.schema import read_records  # noqa: E402
from pii.jsonl import write_atomic  # noqa: E402

N = 8
THRESHOLD = 0.5


def grams(text: str) -> set[str]:
    t = re.sub(r"\s+", " ", text.lower()).strip()
    return {t[i : i + N] for i in range(max(1, len(t) - N + 1))}


def matrix(sets: list[set[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    rows, cols = [], []
    for i, s in enumerate(sets):
        for g in s:
            j = vocab.setdefault(g, len(vocab))
            rows.append(i)
            cols.append(j)
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(sets), len(vocab)))


def nearest(evaluation: list[dict], train: list[dict]) -> list[tuple[int, int, float]]:
    """(evaluation index, most similar train index, Jaccard) for every evaluation record."""
    vocab: dict[str, int] = {}
    tr_sets = [grams(r["text"]) for r in train]
    ev_sets = [grams(r["text"]) for r in evaluation]
    a = matrix(tr_sets, vocab)
    b = matrix(ev_sets, vocab)
    a.resize((a.shape[0], len(vocab)))
    size_a = np.array([len(s) for s in tr_sets], dtype=np.float32)
    out = []
    for start in range(0, b.shape[0], 200):
        block = b[start : start + 200]
        inter = (block @ a.T).toarray()
        size_b = np.array([len(s) for s in ev_sets[start : start + 200]], dtype=np.float32)
        union = size_b[:, None] + size_a[None, :] - inter
        jac = inter / np.maximum(union, 1)
        best = jac.argmax(axis=1)
        out += [(start + i, int(j), float(jac[i, j])) for i, j in enumerate(best)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[
        ROOT / "golden/ood.jsonl", ROOT / "golden/test.jsonl", ROOT / "golden/valid.jsonl"])  # fmt: skip
    parser.add_argument("--train", type=Path, default=ROOT / "golden/train.jsonl")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    train = read_records(args.train)
    result = {"ngram": N, "threshold": THRESHOLD, "train": args.train.name, "files": {}}
    for path in args.files:
        records = read_records(path)
        pairs = nearest(records, train)
        scores = np.array([j for _, _, j in pairs])
        above = [
            {"id": records[i]["id"], "train_id": train[j]["id"], "jaccard": round(jac, 3)}
            for i, j, jac in sorted(pairs, key=lambda p: -p[2])
            if jac > THRESHOLD
        ]
        top = max(pairs, key=lambda p: p[2])
        result["files"][path.name] = {
            "n": len(records),
            "max": round(float(scores.max()), 3),
            "max_pair": [records[top[0]]["id"], train[top[1]]["id"]],
            "p99": round(float(np.percentile(scores, 99)), 3),
            "median": round(float(np.median(scores)), 3),
            "above_threshold": above,
        }
        print(
            f"{path.name} vs {args.train.name}: n={len(records)}, max Jaccard "
            f"{scores.max():.3f} ({records[top[0]]['id']} ~ {train[top[1]]['id']}), p99 "
            f"{np.percentile(scores, 99):.3f}, median {np.median(scores):.3f}, "
            f"{len(above)} pair(s) above {THRESHOLD}"
        )
    if args.out:
        write_atomic(args.out, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build golden/{train,valid,test,ood}.jsonl from the templates and hand-written items, seeded
and byte for byte reproducible.

    python scripts/make_golden.py [--seed 13] [--out golden/]

Steps: load and check the sources (golden/src/FORMAT.md); assign every template to one split
(held-out types and the `code` format never to train); plan how often each template is rendered
so each split hits its size and coverage targets; render each record from its own seed (a
SHA-256 of seed, template id and render index, never Python's hash()), obfuscating a seeded
share of positives; drop repeated texts; check coverage and fail naming what is short; write
the splits in a seeded order with ids in output order.

Pool templates (files `golden/src/templates/pool_*.jsonl`, the wider training pool) go to train
and valid only: test keeps exactly the templates and renders it had before they were added, so
an adapter trained on the earlier pool is still scored on texts it never saw. The
out-of-distribution set (golden/src/ood/*.jsonl, written by hand independently of every
template and of the generator) becomes golden/ood.jsonl; no template or pool record is in it.

Left out: label review. Labels come from slot types (templates) or from the writer (hand
items); `pii golden check` then checks the result, including leakage between splits.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # golden_slots, when imported by tests

from golden_slots import (  # noqa: E402
    LOCALES,
    LOOKALIKE_SLOTS,
    OBFUSCATABLE,
    PII_SLOTS,
    SMALL_SLOTS,
    SlotFiller,
    obfuscate,
)

from pii.errors import DataError, PiiError  # noqa: E402
from pii.golden.schema import HAND_TEMPLATE_ID, RECORD_KEYS, TAG_KEYS, validate_record  # noqa: E402
from pii.jsonl import iter_jsonl, write_jsonl  # noqa: E402
from pii.taxonomy import (  # noqa: E402
    DIFFICULTIES,
    FORMATS,
    HELD_OUT_FORMATS,
    HELD_OUT_TYPES,
    PII_TYPES,
    is_novel,
)

ROOT = Path(__file__).resolve().parent.parent
SPLITS = ("train", "valid", "test")
SHARES = {"train": 0.62, "valid": 0.14, "test": 0.24}
HELD_OUT_SHARES = {"valid": 0.37, "test": 0.63}
DEFAULT_SIZES = {"train": 6000, "valid": 600, "test": 950}
MIN_SIZES = {"train": 5500, "valid": 500, "test": 800}  # at the default sizes; scaled with them
POOL_PREFIX = "pool_"  # template files of the wider pool: train and valid only
POOL_SHARES = {"train": 0.8, "valid": 0.2}
# Share of positives to obfuscate; only templates with a spellable slot can be, so the
# per-render probability is this share scaled up by the split's eligible fraction.
OBFUSCATED_SHARE = {"train": 0.10, "valid": 0.10, "test": 0.15}
NOVEL_MAX_SHARE = 0.2  # held-out templates are plentiful; keep them a slice, not the bulk
SLOT_RE = re.compile(r"\[\[([A-Za-z0-9_]+)\]\]")
TEMPLATE_ID_RE = re.compile(r"(?P<lang>[a-z]{2})-(?P<fmt>[a-z]+)-\d{3}")


@dataclass(frozen=True)
class Quota:
    """Coverage a split must reach; `asserted` ones fail the build, the rest are reported."""

    per_type: int
    negatives: float  # share of the split
    hard_of_negatives: float
    formats: int
    non_english: float
    languages: int  # non-English languages
    obfuscated: int
    novel: int
    hand: float
    asserted: tuple[str, ...]


QUOTAS = {
    "test": Quota(25, 0.40, 0.5, 6, 0.15, 3, 60, 100, 0.25, asserted=(
        "size", "per_type", "negatives", "hard", "formats", "non_english", "obfuscated",
        "novel", "hand")),
    "valid": Quota(8, 0.40, 0.5, 6, 0.15, 3, 15, 30, 0.0, asserted=("size", "negatives")),
    "train": Quota(60, 0.40, 0.5, 6, 0.15, 3, 0, 0, 0.0, asserted=("size",)),
}  # fmt: skip


def stable_int(*parts: object) -> int:
    """A 64-bit integer from the parts, the same on every run and machine."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class Template:
    tid: str
    fmt: str
    language: str
    difficulty: str
    text: str
    slots: tuple[str, ...]  # unique, in order of first appearance
    where: str
    pool_only: bool = False  # from a pool_*.jsonl file: never in test

    @property
    def types(self) -> list[str]:
        return sorted({PII_SLOTS[s] for s in self.slots if s in PII_SLOTS})

    @property
    def negative_kind(self) -> str | None:
        if self.types:
            return None
        return next((LOOKALIKE_SLOTS[s] for s in self.slots if LOOKALIKE_SLOTS.get(s)), None)

    @property
    def novel(self) -> bool:
        return is_novel(self.types, self.fmt)

    @property
    def obf_slots(self) -> tuple[str, ...]:
        return tuple(s for s in self.slots if s in OBFUSCATABLE)

    @property
    def capacity(self) -> int:
        """Roughly how many distinct texts the template can yield."""
        return min(math.prod(SMALL_SLOTS.get(s, 10**6) for s in self.slots), 10**9)


# --- sources ----------------------------------------------------------------------------------


def load_templates(directory: Path) -> list[Template]:
    """Every template of directory/*.jsonl, checked; DataError listing all problems."""
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise DataError(f"{directory}: no *.jsonl template files; see golden/src/FORMAT.md")
    templates, problems, seen = [], [], {}
    for path in files:
        for lineno, obj in iter_jsonl(path):
            where, tid = f"{path}:{lineno}", obj.get("template_id")
            bad = [k for k in ("template_id", "format", "language", "difficulty", "text")
                   if not isinstance(obj.get(k), str) or not obj[k].strip()]  # fmt: skip
            if bad:
                problems.append(f"{where}: missing or empty field(s) {', '.join(bad)}")
                continue
            fmt, lang, text = obj["format"], obj["language"], obj["text"]
            if fmt not in FORMATS or lang not in LOCALES or obj["difficulty"] not in DIFFICULTIES:
                problems.append(
                    f"{where}: template {tid}: format/language/difficulty must be one of "
                    f"{FORMATS} / {tuple(LOCALES)} / {DIFFICULTIES}"
                )
                continue
            slots = tuple(dict.fromkeys(SLOT_RE.findall(text)))
            unknown = [s for s in slots if s not in PII_SLOTS and s not in LOOKALIKE_SLOTS]
            if unknown:
                problems.append(
                    f"{where}: template {tid}: unknown slot(s) {', '.join(unknown)}; use the "
                    "slots of golden/src/FORMAT.md"
                )
            if tid in seen:
                problems.append(f"{where}: template_id {tid} already used at {seen[tid]}")
            seen[tid] = where
            m = TEMPLATE_ID_RE.fullmatch(tid)
            if not m or m["lang"] != lang or m["fmt"] != fmt:
                print(
                    f"warning: {where}: template_id {tid} is not {lang}-{fmt}-NNN", file=sys.stderr
                )
            pool = path.name.startswith(POOL_PREFIX)
            templates.append(
                Template(tid, fmt, lang, obj["difficulty"], text, slots, where, pool_only=pool)
            )
    if problems:
        raise DataError("\n".join(problems))
    return sorted(templates, key=lambda t: t.tid)


HAND_KEYS = {"split", "note", "text", "has_pii", "pii_types", "tags", "template_id"}


def load_hand(
    directory: Path, splits: tuple[str, ...] = ("valid", "test")
) -> dict[str, list[dict[str, Any]]]:
    """Hand-written records by split, validated, with tags.novel assigned."""
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in splits}
    if not directory.exists():
        return out
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for lineno, obj in iter_jsonl(path):
            where = f"{path}:{lineno}"
            split, extra = obj.get("split"), sorted(set(obj) - HAND_KEYS)
            if split not in out:
                raise DataError(f"{where}: field 'split' must be one of {', '.join(out)}")
            if extra:
                raise DataError(f"{where}: unknown field(s) {', '.join(extra)}; see FORMAT.md")
            tags = obj.get("tags") if isinstance(obj.get("tags"), dict) else {}
            types = obj.get("pii_types")
            if isinstance(types, list) and all(isinstance(t, str) for t in types):
                types = sorted(types)  # order carries no meaning; the schema wants it sorted
            tags = {**{k: tags.get(k) for k in TAG_KEYS}, **tags}
            if isinstance(types, list) and tags["format"] in FORMATS:
                tags["novel"] = is_novel(types, tags["format"])
            record = {"id": "hand", "text": obj.get("text"), "has_pii": obj.get("has_pii"),
                      "pii_types": types, "tags": tags,
                      "template_id": obj.get("template_id", HAND_TEMPLATE_ID)}  # fmt: skip
            problems = validate_record(record)
            if record["template_id"] != HAND_TEMPLATE_ID:
                problems.append("template_id of a hand-written item must be 'hand'")
            if problems:
                raise DataError(f"{where}: {problems[0]}")
            if record["text"] in seen:
                print(
                    f"warning: {where}: same text as {seen[record['text']]}; dropped",
                    file=sys.stderr,
                )
                continue
            seen[record["text"]] = where
            out[split].append(record)
    return out


# --- splits and render plans ------------------------------------------------------------------


def _held_out(t: Template) -> bool:
    return t.fmt in HELD_OUT_FORMATS or any(x in HELD_OUT_TYPES for x in t.types)


def _deal(templates: list[Template], shares: dict[str, float], out: dict[str, str]) -> None:
    # Largest-deficit dealing: each prefix of the (stratum-sorted) list is split close to the
    # shares, so every stratum of four or more templates reaches every split.
    counts = dict.fromkeys(shares, 0)
    for i, t in enumerate(templates, start=1):
        split = max(shares, key=lambda s: shares[s] * i - counts[s])
        counts[split] += 1
        out[t.tid] = split


def assign_splits(templates: list[Template], seed: int) -> dict[str, str]:
    """template_id -> split, template-disjoint and stratified by (language, format). The
    first templates are dealt exactly as before the pool existed; pool templates are dealt
    to train and valid alone."""
    key = lambda t: (t.language, t.fmt, stable_int(seed, "split", t.tid))  # noqa: E731
    out = _assign_first(sorted((t for t in templates if not t.pool_only), key=key))
    pool = sorted((t for t in templates if t.pool_only), key=key)
    if any(_held_out(t) for t in pool):
        bad = next(t for t in pool if _held_out(t))
        raise DataError(f"{bad.where}: pool template {bad.tid} uses a held-out type or format")
    _deal(pool, POOL_SHARES, out)
    return out


def _assign_first(templates: list[Template]) -> dict[str, str]:
    held = [t for t in templates if _held_out(t)]
    rest = [t for t in templates if not _held_out(t)]
    out: dict[str, str] = {}
    _deal(rest, SHARES, out)
    _deal(held, HELD_OUT_SHARES, out)
    # Make sure each split sees every language and format that has 3+ ordinary templates.
    for attr in ("language", "fmt"):
        for value in sorted({getattr(t, attr) for t in rest}):
            members = [t for t in rest if getattr(t, attr) == value]
            for split in SPLITS:
                if len(members) >= 3 and not any(out[t.tid] == split for t in members):
                    per = Counter(out[t.tid] for t in members)
                    donor = max(per, key=lambda s: (per[s], s))
                    if per[donor] >= 2:
                        moved = [t for t in members if out[t.tid] == donor][-1]
                        out[moved.tid] = split
    return out


def _contributions(t: Template, rate: float) -> dict[str, float]:
    c = {f"type:{x}": 1.0 for x in t.types}
    c.update(neg=float(not t.types), hard=float(t.negative_kind is not None))
    c.update(novel=float(t.novel), non_en=float(t.language != "en"))
    c.update(obf=rate if t.obf_slots and t.types else 0.0)
    return c


def _tally(records: list[dict[str, Any]]) -> Counter[str]:
    """What records already contribute to each planner quota (same keys as _contributions)."""
    c: Counter[str] = Counter()
    for r in records:
        c.update(f"type:{x}" for x in r["pii_types"])
        tags = r["tags"]
        c["neg"] += not r["has_pii"]
        c["hard"] += tags["hard_negative"]
        c["novel"] += tags["novel"]
        c["non_en"] += tags["language"] != "en"
        c["obf"] += tags["obfuscated"]
    return c


def _targets(quota: Quota, total: int, fixed: Counter[str], margin: float) -> dict[str, float]:
    """Render targets per quota for a split of `total` records, less what `fixed` gives."""
    neg = quota.negatives * total * margin
    targets = {f"type:{x}": quota.per_type * margin - fixed[f"type:{x}"] for x in PII_TYPES}
    targets.update(
        neg=neg - fixed["neg"],
        hard=quota.hard_of_negatives * neg - fixed["hard"],
        novel=quota.novel * margin - fixed["novel"],
        non_en=quota.non_english * total * margin - fixed["non_en"],
        obf=quota.obfuscated * margin - fixed["obf"],
    )
    return targets


def plan_renders(
    templates: list[Template], extra: int, targets: dict[str, float], rate: float, seed: int,
    counts: dict[str, int], ceilings: dict[str, float],
) -> None:  # fmt: skip
    """Add `extra` renders to `counts`, greedily: the most under-target quota first (its
    least-rendered contributing template), then the least-rendered template overall, avoiding
    templates that feed a quota already at its ceiling while others remain."""
    contrib = {t.tid: _contributions(t, rate) for t in templates}
    order = {t.tid: stable_int(seed, "plan", t.tid) for t in templates}
    cap = {t.tid: t.capacity if t.capacity < 100 else 10**9 for t in templates}
    totals: Counter[str] = Counter()
    for t in templates:
        for q, c in contrib[t.tid].items():
            totals[q] += c * counts.get(t.tid, 0)
    for t in templates:  # every template assigned to the split appears in it at least once
        if extra > 0 and not counts.get(t.tid):
            counts[t.tid] = 1
            extra -= 1
            for q, c in contrib[t.tid].items():
                totals[q] += c
    for _ in range(extra):
        open_ = [t for t in templates if counts.get(t.tid, 0) < cap[t.tid]]
        if not open_:
            return
        best, best_gap = None, 0.0
        for q, target in targets.items():
            gap = (target - totals[q]) / target if target > 0 else 0.0
            if gap > best_gap and any(contrib[t.tid].get(q) for t in open_):
                best, best_gap = q, gap
        cands = [t for t in open_ if contrib[t.tid].get(best)] if best else open_
        full = [q for q, ceiling in ceilings.items() if totals[q] >= ceiling]
        cands = [t for t in cands if not any(contrib[t.tid].get(q) for q in full)] or cands
        pick = min(cands, key=lambda t: (counts.get(t.tid, 0), order[t.tid]))
        counts[pick.tid] = counts.get(pick.tid, 0) + 1
        for q, c in contrib[pick.tid].items():
            totals[q] += c


# --- rendering --------------------------------------------------------------------------------


class Renderer:
    """Renders (template, index) pairs; the same pair always gives the same record."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.filler = SlotFiller()

    def render(self, t: Template, k: int, obf_rate: float) -> dict[str, Any]:
        values = self.filler.fill(list(t.slots), t.language, stable_int(self.seed, t.tid, k))
        obfuscated = False
        if (
            t.types
            and t.obf_slots
            and stable_int(self.seed, t.tid, k, "obf") % 10_000 < obf_rate * 10_000
        ):
            rng = random.Random(stable_int(self.seed, t.tid, k, "obf-style"))
            slot = rng.choice(t.obf_slots)
            # A line break inside a JSON/CSV value or a code literal would break the format.
            newline_ok = t.fmt not in ("record", "code")
            values[slot] = obfuscate(slot, values[slot], t.language, rng, newline_ok)
            obfuscated = True
        text = SLOT_RE.sub(lambda m: values[m.group(1)], t.text)
        tags = {
            "format": t.fmt,
            "language": t.language,
            "difficulty": t.difficulty,
            "obfuscated": obfuscated,
            "novel": t.novel,
            "hard_negative": t.negative_kind is not None,
            "negative_kind": t.negative_kind,
        }
        return {"id": "", "text": text, "has_pii": bool(t.types), "pii_types": t.types,
                "tags": tags, "template_id": t.tid}  # fmt: skip


class SplitBuilder:
    """Renders one split's templates to planned counts, skipping texts already seen."""

    def __init__(self, split: str, templates: list[Template], renderer: Renderer, seen: set[str]):
        self.split, self.templates, self.renderer, self.seen = split, templates, renderer, seen
        positive = [t for t in templates if t.types]
        eligible = [t for t in positive if t.obf_slots]
        share = OBFUSCATED_SHARE[split]
        self.rate = min(1.0, share * len(positive) / len(eligible)) if eligible else 0.0
        self.counts: dict[str, int] = {}
        self.made: Counter[str] = Counter()
        self.next_k: Counter[str] = Counter()
        self.records: list[dict[str, Any]] = []

    def render(self) -> None:
        rate = self.rate
        for t in self.templates:
            want = self.counts.get(t.tid, 0)
            # A template with few distinct values may not reach `want`: give up after 3x tries.
            while self.made[t.tid] < want and self.next_k[t.tid] < 3 * want + 10:
                record = self.renderer.render(t, self.next_k[t.tid], rate)
                self.next_k[t.tid] += 1
                if record["text"] in self.seen:
                    continue
                self.seen.add(record["text"])
                self.records.append(record)
                self.made[t.tid] += 1

    def top_up(self, key: str, renders: int) -> None:
        """Plan `renders` more renders of the templates that carry quota `key`."""
        cands = [
            t for t in self.templates if key == "size" or _contributions(t, self.rate).get(key)
        ]
        cands = [t for t in cands if self.made[t.tid] == self.counts.get(t.tid, 0)]  # not stuck
        order = {t.tid: stable_int(self.renderer.seed, "topup", t.tid) for t in cands}
        for _ in range(renders if cands else 0):
            t = min(cands, key=lambda t: (self.counts.get(t.tid, 0), order[t.tid]))
            self.counts[t.tid] = self.counts.get(t.tid, 0) + 1


# --- coverage ---------------------------------------------------------------------------------


def coverage(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The numbers the quotas speak about, for one split."""
    tally = _tally(records)
    langs = Counter(r["tags"]["language"] for r in records)
    return {
        "size": len(records),
        "positives": sum(r["has_pii"] for r in records),
        "negatives": tally["neg"],
        "hard": tally["hard"],
        "per_type": {x: tally[f"type:{x}"] for x in PII_TYPES},
        "languages": dict(sorted(langs.items())),
        "non_english": tally["non_en"],
        "formats": dict(sorted(Counter(r["tags"]["format"] for r in records).items())),
        "obfuscated": tally["obf"],
        "novel": tally["novel"],
        "hand": sum(r["template_id"] == HAND_TEMPLATE_ID for r in records),
    }


def shortfalls(
    split: str, cov: dict[str, Any], min_size: int, rate: float
) -> list[tuple[str, str, str, int]]:
    """(quota name, planner key, message, renders that would fix it) for each missed quota."""
    q, n, out = QUOTAS[split], cov["size"], []

    def short(name: str, key: str, message: str, fix: float = 0) -> None:
        out.append((name, key, f"{split}: {message}", max(math.ceil(fix), 0)))

    if n < min_size:
        short("size", "size", f"{n} records, needs >= {min_size}", min_size - n)
    for x, have in cov["per_type"].items():
        if have < q.per_type and not (split == "train" and x in HELD_OUT_TYPES):
            short("per_type", f"type:{x}", f"{x} in {have} positives, needs >= {q.per_type}",
                  q.per_type - have)  # fmt: skip
    neg, hard, non_en = cov["negatives"], cov["hard"], cov["non_english"]
    if neg < q.negatives * n:
        short("negatives", "neg", f"negatives {neg}/{n}, need >= {q.negatives:.0%}",
              (q.negatives * n - neg) / (1 - q.negatives))  # fmt: skip
    if hard < q.hard_of_negatives * neg:
        short("hard", "hard", f"hard negatives {hard}/{neg}, need >= {q.hard_of_negatives:.0%}",
              (q.hard_of_negatives * neg - hard) / (1 - q.hard_of_negatives))  # fmt: skip
    if len(cov["formats"]) < q.formats:
        short("formats", "formats", f"{len(cov['formats'])} formats, needs >= {q.formats}")
    if non_en < q.non_english * n:
        short("non_english", "non_en", f"non-English {non_en}/{n}, needs >= {q.non_english:.0%}",
              (q.non_english * n - non_en) / (1 - q.non_english))  # fmt: skip
    n_langs = len([x for x in cov["languages"] if x != "en"])
    if n_langs < q.languages:
        short(
            "non_english", "languages", f"{n_langs} non-English languages, needs >= {q.languages}"
        )
    if cov["obfuscated"] < q.obfuscated:
        short("obfuscated", "obf", f"obfuscated {cov['obfuscated']}, needs >= {q.obfuscated}",
              (q.obfuscated - cov["obfuscated"]) / max(rate, 0.05))  # fmt: skip
    if cov["novel"] < q.novel:
        short("novel", "novel", f"novel {cov['novel']}, needs >= {q.novel}", q.novel - cov["novel"])
    if cov["hand"] < q.hand * n:
        short("hand", "hand", f"hand-written {cov['hand']}/{n}, needs >= {q.hand:.0%}")
    return out


def summary(split: str, cov: dict[str, Any], n_templates: int) -> str:
    n = max(cov["size"], 1)
    langs = ", ".join(f"{k} {c}" for k, c in cov["languages"].items())
    types = ", ".join(f"{k} {c}" for k, c in cov["per_type"].items())
    return (
        f"{split}: {cov['size']} records from {n_templates} templates + {cov['hand']} hand "
        f"({cov['hand'] / n:.0%}); positives {cov['positives']}, negatives {cov['negatives']} "
        f"({cov['negatives'] / n:.0%}, hard {cov['hard']}); obfuscated {cov['obfuscated']}; "
        f"novel {cov['novel']}; formats {len(cov['formats'])}; languages: {langs}\n"
        f"  per type: {types}"
    )


# --- build ------------------------------------------------------------------------------------


@dataclass
class Build:
    splits: dict[str, list[dict[str, Any]]]
    assignment: dict[str, str]
    problems: list[str]  # asserted quotas that were missed
    report: list[str]


def build(
    templates_dir: Path,
    hand_dir: Path,
    seed: int,
    sizes: dict[str, int],
    ood_dir: Path | None = None,
) -> Build:
    """Everything but writing: load, assign, plan, render, top up, order, check coverage."""
    templates = load_templates(templates_dir)
    hand = load_hand(hand_dir)
    ood = load_hand(ood_dir, ("ood",))["ood"] if ood_dir is not None else []
    assignment = assign_splits(templates, seed)
    renderer = Renderer(seed)
    seen = {r["text"] for recs in hand.values() for r in recs}
    for r in ood:
        if r["text"] in seen:
            raise DataError(
                f"an OOD record repeats a hand-written test/valid text ({r['tags']['format']})"
            )
        seen.add(r["text"])
    result, problems, report = {}, [], []
    for split in ("test", "valid", "train"):  # evaluation splits get first pick of texts
        members = [t for t in templates if assignment[t.tid] == split]
        fixed, quota = hand.get(split, []), QUOTAS[split]
        min_size = math.ceil(MIN_SIZES[split] * sizes[split] / DEFAULT_SIZES[split])
        budget = sizes[split] - len(fixed)
        if quota.hand and fixed:  # keep hand-written items >= the quota, with a margin
            budget = min(
                budget, math.floor(len(fixed) * (1 - quota.hand - 0.01) / (quota.hand + 0.01))
            )
            budget = max(budget, min_size - len(fixed))
        builder = SplitBuilder(split, members, renderer, seen)
        total = budget + len(fixed)
        targets = _targets(quota, total, _tally(fixed), margin=1.1)
        ceilings = {
            "novel": max(quota.novel * 1.3, NOVEL_MAX_SHARE * total) - _tally(fixed)["novel"]
        }
        plan_renders(members, max(budget, 0), targets, builder.rate, seed, builder.counts, ceilings)
        builder.render()
        for _ in range(10):  # top up what plain renders missed (dedup, obfuscation luck)
            short = shortfalls(split, coverage(fixed + builder.records), min_size, builder.rate)
            fixable = [(key, fix) for _, key, _, fix in short if fix > 0]
            if not fixable:
                break
            for key, fix in fixable:
                builder.top_up(key, fix)
            before = len(builder.records)
            builder.render()
            if len(builder.records) == before:
                break
        records = finalize(split, fixed + builder.records, seed)
        if split == "train" and any(r["tags"]["novel"] for r in records):
            raise DataError("internal error: a held-out type or format reached train")
        cov = coverage(records)
        report.append(summary(split, cov, len(members)))
        for name, _, message, _ in shortfalls(split, cov, min_size, builder.rate):
            if name in quota.asserted:
                problems.append(message)
            else:
                report.append(f"  note: {message}")
        result[split] = records
    splits = {s: result[s] for s in SPLITS}
    if ood:
        splits["ood"] = finalize("ood", ood, seed)
        report.append(summary("ood", coverage(splits["ood"]), 0))
    return Build(splits, assignment, problems, report)


def finalize(split: str, records: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Seeded order, ids in output order, keys in schema order; every record validated."""
    ordered = sorted(records, key=lambda r: (stable_int(seed, split, r["text"]), r["text"]))
    out = []
    for i, r in enumerate(ordered, start=1):
        record = {k: r[k] for k in RECORD_KEYS}
        record["id"] = f"{split}-{i:06d}"
        record["tags"] = {k: r["tags"][k] for k in TAG_KEYS}
        problems = validate_record(record)
        if problems:
            raise DataError(f"internal error: {record['id']} ({r['template_id']}): {problems[0]}")
        out.append(record)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=13, help="build seed (default 13)")
    parser.add_argument("--out", type=Path, default=ROOT / "golden", help="output directory")
    parser.add_argument("--templates", type=Path, default=ROOT / "golden/src/templates")
    parser.add_argument("--hand", type=Path, default=ROOT / "golden/src/hand")
    parser.add_argument("--ood", type=Path, default=ROOT / "golden/src/ood")
    for split in SPLITS:
        parser.add_argument(
            f"--{split}-size",
            type=int,
            default=DEFAULT_SIZES[split],
            help=f"target {split} records (default {DEFAULT_SIZES[split]})",
        )
    parser.add_argument(
        "--no-assert",
        action="store_true",
        help="report missed coverage quotas instead of failing (for fixtures)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sizes = {s: getattr(args, f"{s}_size") for s in SPLITS}
    try:
        ood = args.ood if args.ood.exists() else None
        result = build(args.templates, args.hand, args.seed, sizes, ood)
        print("\n".join(result.report))
        if result.problems and not args.no_assert:
            raise DataError(
                "coverage quotas not met (nothing written); add templates or hand items that "
                "carry what is short:\n  " + "\n  ".join(result.problems)
            )
        for p in result.problems:
            print(f"  warning: {p}", file=sys.stderr)
        for split, records in result.splits.items():
            write_jsonl(args.out / f"{split}.jsonl", records)
    except PiiError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{s} {len(r)}" for s, r in result.splits.items())
    print(f"wrote {counts} to {args.out} in {time.perf_counter() - start:.1f}s (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

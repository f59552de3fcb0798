"""Build golden/{train,valid,test,ood}.jsonl from the templates and hand-written items, seeded
and byte for byte reproducible.

    python scripts/make_golden.py [--seed 13] [--out golden/]

Steps: load and check the sources (golden/src/FORMAT.md); assign every template to one split
(held-out types and the `code` format never to train); plan how often each template is rendered
so each split hits its size and coverage targets; render each record from its own seed (a
SHA-256 of seed, template id and render index, never Python's hash()), obfuscating a seeded
share of positives, and note the character span of every PII value put in; drop repeated
texts; add the split's composites, long documents (1,500-10,000 characters) joined from
fresh renders of the split's own templates (CompositeBuilder); check coverage and fail
naming what is short; write the splits in a seeded order with ids in output order, with
tags.length ("long" from 1,500 characters) on every record.

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

from golden_composites import SHAPES, join  # noqa: E402
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
from pii.golden.schema import (  # noqa: E402
    COMPOSITE_TEMPLATE_ID,
    HAND_TEMPLATE_ID,
    OPTIONAL_KEYS,
    OPTIONAL_TAGS,
    RECORD_KEYS,
    TAG_KEYS,
    length_tag,
    validate_record,
)
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
# Composites: long documents joined from renders of one split's templates, on top of the
# sizes above (scaled with a split's size unless --SPLIT-composites is given).
DEFAULT_COMPOSITES = {"train": 300, "valid": 70, "test": 160}
LONG_MIN, LONG_MAX = 1500, 10_000  # a composite's length in characters, both inclusive
TAIL_FROM = 0.9  # "PII only at the end": every span starts at or after 90% of the text
TAIL_SHARE = (9, 20)  # of positive composites, 9 in 20 are planned that way (>= 40% asserted)
MAX_REUSE = 4  # renders of one template in one composite (1 for a template with no slot)
CODE_WEIGHT = 0.5  # code pastes are novel in full: keep them a slice of the composites
HELD_OUT_WEIGHT = 0.25  # and a positive part with a held-out type makes a composite novel
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
    hand: float  # share of the split's single records (composites aside)
    asserted: tuple[str, ...]
    long: int = 0  # records of LONG_MIN..LONG_MAX characters


QUOTAS = {
    "test": Quota(25, 0.40, 0.5, 6, 0.15, 3, 60, 100, 0.25, asserted=(
        "size", "per_type", "negatives", "hard", "formats", "non_english", "obfuscated",
        "novel", "hand", "long"), long=160),
    "valid": Quota(8, 0.40, 0.5, 6, 0.15, 3, 15, 30, 0.0, asserted=("size", "negatives", "long"),
                   long=70),
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
            tags = {**{k: tags.get(k) for k in TAG_KEYS if k not in OPTIONAL_TAGS}, **tags}
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
        pieces, spans, pos, last = [], [], 0, 0
        for m in SLOT_RE.finditer(t.text):  # the text SLOT_RE.sub would make, and the spans
            value = values[m.group(1)]
            pieces += [t.text[last : m.start()], value]
            pos += m.start() - last
            if m.group(1) in PII_SLOTS and value:
                spans.append([pos, pos + len(value), PII_SLOTS[m.group(1)]])
            pos += len(value)
            last = m.end()
        text = "".join(pieces) + t.text[last:]
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
                "tags": tags, "template_id": t.tid, "spans": spans}  # fmt: skip


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


# --- composites -------------------------------------------------------------------------------


class CompositeBuilder:
    """Long documents (LONG_MIN..LONG_MAX characters) joined from fresh renders of one split's
    templates: a mail thread, ticket history, chat log, log file, code paste, or a report or
    notes in sections (scripts/golden_composites.py), all parts of one language. A negative
    joins only negative renders; a positive adds one or two positive renders to them, placed
    last (so that every PII value is in the last 10% of the text), first, or in the middle.
    Each composite draws from its own seed, a SHA-256 of (build seed, "composite", split,
    index, attempt); its parts are rendered with render indices of that form, so they are
    not the split's single records."""

    GAP = 40  # about the characters between two parts (a quoted-reply line, a heading)

    def __init__(
        self, split: str, templates: list[Template], renderer: Renderer, rate: float,
        seen: set[str],
    ) -> None:  # fmt: skip
        self.split, self.renderer, self.rate, self.seen = split, renderer, rate, seen
        self.languages = Counter(t.language for t in templates)
        self.parts: dict[str, list[str]] = {}  # composite text -> its parts' template ids
        # One probe render per template: how long it runs and where its first PII value starts.
        self.probe = {t.tid: renderer.render(t, "composite-probe", 0.0) for t in templates}
        self.pools: dict[tuple[str, str], tuple[list[Template], list[Template]]] = {}
        for shape, formats in SHAPES.items():
            for lang in sorted({t.language for t in templates}):
                members = [t for t in templates if t.language == lang and t.fmt in formats]
                neg = [t for t in members if not t.types]
                if neg:
                    self.pools[(lang, shape)] = (neg, [t for t in members if t.types])

    @staticmethod
    def reuse(t: Template) -> int:
        return 1 if t.capacity == 1 else MAX_REUSE

    def capacity(self, negatives: list[Template]) -> int:
        """About the longest text the negative templates make without overusing one."""
        return sum(self.reuse(t) * (len(self.probe[t.tid]["text"]) + self.GAP) for t in negatives)

    def tail_need(self, record: dict[str, Any]) -> int:
        """The shortest document whose last 10% holds all of this positive part's spans."""
        return math.ceil((len(record["text"]) - record["spans"][0][0]) / (1 - TAIL_FROM)) + 1

    def build(self, n: int, seed: int) -> list[dict[str, Any]]:
        """n composites: even indices positive, odd negative; TAIL_SHARE of the positives
        with their PII only at the end, the others alternately at the start and middle.
        Novel ones (a code paste, a part with a held-out type) stay under NOVEL_MAX_SHARE."""
        out: list[dict[str, Any]] = []
        for i in range(n):
            novel_ok = sum(r["tags"]["novel"] for r in out) < NOVEL_MAX_SHARE * (len(out) + 1)
            mode = None
            if i % 2 == 0:
                j, (a, b) = i // 2, TAIL_SHARE
                tail = ((j + 1) * a + b - 1) // b > (j * a + b - 1) // b
                mode = "tail" if tail else ("start", "middle")[j % 2]
            for attempt in range(6):
                record, parts = self.compose(i, attempt, mode, seed, novel_ok)
                if record is not None:
                    self.seen.add(record["text"])
                    self.parts[record["text"]] = parts
                    out.append(record)
                    break
        return out

    def compose(
        self, i: int, attempt: int, mode: str | None, seed: int, novel_ok: bool
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """One composite and its parts' template ids, or (None, []) when this attempt cannot
        make a valid one."""
        rng = random.Random(stable_int(seed, "composite", self.split, i, attempt))
        renders = iter(range(10**6))

        def render(t: Template, rate: float) -> dict[str, Any]:
            k = f"composite/{self.split}/{i}/{attempt}/{next(renders)}"
            return self.renderer.render(t, k, rate)

        # Languages as often as the split's templates have them; within one, shapes by how
        # many templates feed them.
        cands: dict[str, dict[str, float]] = {}
        for (lang, shape), (neg, pos) in self.pools.items():
            if not novel_ok:
                pos = [t for t in pos if not _held_out(t)]
                if shape == "code":
                    continue
            need = LONG_MIN
            if mode == "tail" and pos:
                need = max(need, min(self.tail_need(self.probe[t.tid]) for t in pos))
            if (mode and not pos) or need > min(self.capacity(neg), LONG_MAX):
                continue
            weight = (len(neg) + len(pos)) * (CODE_WEIGHT if shape == "code" else 1.0)
            cands.setdefault(lang, {})[shape] = weight
        if not cands:
            return None, []
        langs = sorted(cands)
        lang = rng.choices(langs, [self.languages[x] for x in langs])[0]
        shapes = sorted(cands[lang])
        shape = rng.choices(shapes, [cands[lang][x] for x in shapes])[0]
        neg, pos = self.pools[(lang, shape)]
        pos = pos if novel_ok else [t for t in pos if not _held_out(t)]
        cap = min(self.capacity(neg), LONG_MAX)
        target = min(math.exp(rng.uniform(math.log(1600), math.log(9600))), cap)
        positives: list[tuple[Template, dict[str, Any]]] = []
        if mode == "tail":
            fits = [t for t in pos if self.tail_need(self.probe[t.tid]) <= cap]
            t = self.pick_positive(rng, fits)
            record = render(t, self.rate)
            target = max(target, self.tail_need(record))
            positives.append((t, record))
        elif mode:
            for _ in range(2 if rng.random() < 1 / 3 else 1):
                t = self.pick_positive(rng, pos)
                positives.append((t, render(t, self.rate)))
        where = sorted(rng.uniform(1 / 3, 2 / 3) for _ in positives)  # for mode "middle"
        join_seed = stable_int(seed, "composite-join", self.split, i, attempt)

        def assemble(negatives: list[tuple[Template, dict[str, Any]]]) -> tuple[str, list, list]:
            parts = list(negatives)
            if mode == "tail":
                parts.append(positives[0])
            elif mode == "start":
                parts.insert(0, positives[0])
                if len(positives) > 1:
                    parts.insert(1 + round(len(negatives) * where[1]), positives[1])
            elif mode == "middle":
                for j, (p, u) in enumerate(zip(positives, where, strict=True)):
                    parts.insert(j + round(len(negatives) * u), p)
            text, offsets = join(
                shape, lang, [r["text"] for _, r in parts], random.Random(join_seed)
            )
            return text, offsets, parts

        uses: Counter[str] = Counter()
        queue: list[Template] = []
        negatives: list[tuple[Template, dict[str, Any]]] = []
        texts = {r["text"] for _, r in positives}
        text, offsets, parts = assemble(negatives)
        misses = 0
        while len(text) < target or (mode == "tail" and not self._tail_ok(text, offsets, parts)):
            if not queue:
                queue = [t for t in neg if uses[t.tid] < self.reuse(t)]
                rng.shuffle(queue)
                if not queue:
                    return None, []
            t = queue.pop()
            uses[t.tid] += 1
            record = render(t, 0.0)
            trial = assemble([*negatives, (t, record)])
            if record["text"] in texts or len(trial[0]) > LONG_MAX:
                misses += 1
                if misses > 40:
                    return None, []
                continue
            negatives.append((t, record))
            texts.add(record["text"])
            text, offsets, parts = trial
        if not LONG_MIN <= len(text) <= LONG_MAX or text in self.seen:
            return None, []
        return self._record(text, offsets, parts, shape, lang), [t.tid for t, _ in parts]

    @staticmethod
    def pick_positive(rng: random.Random, pos: list[Template]) -> Template:
        """A positive template; held-out types (valid and test only) with a quarter of the
        weight, so that they stay a slice of the composites as of the single records."""
        return rng.choices(pos, [HELD_OUT_WEIGHT if _held_out(t) else 1.0 for t in pos])[0]

    @staticmethod
    def _tail_ok(text: str, offsets: list[int], parts: list) -> bool:
        return all(
            o + s >= TAIL_FROM * len(text)
            for o, (_, r) in zip(offsets, parts, strict=True)
            for s, _, _ in r["spans"]
        )

    @staticmethod
    def _record(text: str, offsets: list[int], parts: list, shape: str, lang: str) -> dict:
        spans = [
            [o + s, o + e, kind]
            for o, (_, r) in zip(offsets, parts, strict=True)
            for s, e, kind in r["spans"]
        ]
        types = sorted({kind for _, _, kind in spans})
        chars: Counter[str] = Counter()
        for t, r in parts:
            chars[t.fmt] += len(r["text"])
        fmt = (
            SHAPES[shape][0]
            if len(SHAPES[shape]) == 1
            else min(chars, key=lambda f: (-chars[f], f))
        )
        kind = None if types else next((t.negative_kind for t, _ in parts if t.negative_kind), None)
        tags = {
            "format": fmt,
            "language": lang,
            "difficulty": "hard" if any(t.difficulty == "hard" for t, _ in parts) else "medium",
            "obfuscated": any(r["tags"]["obfuscated"] for _, r in parts),
            "novel": is_novel(types, fmt),
            "hard_negative": kind is not None,
            "negative_kind": kind,
        }
        return {"id": "", "text": text, "has_pii": bool(types), "pii_types": types, "tags": tags,
                "template_id": COMPOSITE_TEMPLATE_ID, "spans": spans}  # fmt: skip


# --- coverage ---------------------------------------------------------------------------------


def coverage(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The numbers the quotas speak about, for one split."""
    tally = _tally(records)
    langs = Counter(r["tags"]["language"] for r in records)
    long = [r for r in records if LONG_MIN <= len(r["text"]) <= LONG_MAX]
    composites = [r for r in records if r["template_id"] == COMPOSITE_TEMPLATE_ID]
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
        "composite": len(composites),
        "composite_positives": sum(r["has_pii"] for r in composites),
        "composite_tail": sum(pii_only_in_tail(r) for r in composites),
        "long": len(long),
        "long_positives": sum(r["has_pii"] for r in long),
        "long_tail": sum(pii_only_in_tail(r) for r in long),
    }


def pii_only_in_tail(record: dict[str, Any]) -> bool:
    """A positive with known spans, all of which start in the last 10% of its text."""
    spans, n = record.get("spans"), len(record["text"])
    return bool(record["has_pii"] and spans) and all(s >= TAIL_FROM * n for s, _, _ in spans)


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
    single = n - cov["composite"]
    if cov["hand"] < q.hand * single:
        short("hand", "hand", f"hand-written {cov['hand']}/{single} single records (composites "
              f"aside), needs >= {q.hand:.0%}")  # fmt: skip
    if cov["long"] < q.long:
        short("long", "long", f"{cov['long']} records of {LONG_MIN}-{LONG_MAX} characters, "
              f"needs >= {q.long}")  # fmt: skip
    positives = cov["composite_positives"]
    if positives and cov["composite_tail"] < 0.4 * positives:
        short("long", "long", f"{cov['composite_tail']}/{positives} positive composites have "
              "their PII only in the last 10%, needs >= 40%")  # fmt: skip
    return out


def summary(split: str, cov: dict[str, Any], n_templates: int) -> str:
    n = max(cov["size"], 1)
    single = max(cov["size"] - cov["composite"], 1)
    langs = ", ".join(f"{k} {c}" for k, c in cov["languages"].items())
    types = ", ".join(f"{k} {c}" for k, c in cov["per_type"].items())
    return (
        f"{split}: {cov['size']} records from {n_templates} templates + {cov['hand']} hand "
        f"({cov['hand'] / single:.0%} of single records); positives {cov['positives']}, negatives {cov['negatives']} "
        f"({cov['negatives'] / n:.0%}, hard {cov['hard']}); obfuscated {cov['obfuscated']}; "
        f"novel {cov['novel']}; formats {len(cov['formats'])}; languages: {langs}\n"
        f"  per type: {types}\n"
        f"  long ({LONG_MIN:,}-{LONG_MAX:,} chars): {cov['long']}, positives "
        f"{cov['long_positives']}; composites {cov['composite']}, positives "
        f"{cov['composite_positives']}, PII only in the last 10% {cov['composite_tail']}"
    )


# --- build ------------------------------------------------------------------------------------


@dataclass
class Build:
    splits: dict[str, list[dict[str, Any]]]
    assignment: dict[str, str]
    problems: list[str]  # asserted quotas that were missed
    report: list[str]
    parts: dict[str, list[str]]  # composite text -> template ids of its parts, in order


def build(
    templates_dir: Path,
    hand_dir: Path,
    seed: int,
    sizes: dict[str, int],
    ood_dir: Path | None = None,
    composites: dict[str, int | None] | None = None,
) -> Build:
    """Everything but writing: load, assign, plan, render, top up, add the composites, order,
    check coverage. `composites` gives a split's number of composites; None (the default)
    scales DEFAULT_COMPOSITES with the split's size."""
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
    result, problems, report, parts = {}, [], [], {}
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
        n_comp = (composites or {}).get(split)
        if n_comp is None:
            n_comp = round(DEFAULT_COMPOSITES[split] * sizes[split] / DEFAULT_SIZES[split])
        composer = CompositeBuilder(split, members, renderer, builder.rate, seen)
        long = composer.build(n_comp, seed)
        parts.update(composer.parts)
        if len(long) < n_comp:
            report.append(f"  note: {split}: {len(long)} of {n_comp} composites could be made")
        records = finalize(split, fixed + builder.records + long, seed)
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
    return Build(splits, assignment, problems, report, parts)


def finalize(split: str, records: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Seeded order, ids in output order, keys in schema order (spans last, where known),
    tags.length from the text; every record validated."""
    ordered = sorted(records, key=lambda r: (stable_int(seed, split, r["text"]), r["text"]))
    out = []
    for i, r in enumerate(ordered, start=1):
        record = {k: r[k] for k in RECORD_KEYS}
        record.update({k: r[k] for k in OPTIONAL_KEYS if k in r})
        record["id"] = f"{split}-{i:06d}"
        tags = {**r["tags"], "length": length_tag(r["text"])}
        record["tags"] = {k: tags[k] for k in TAG_KEYS}
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
    for split in SPLITS:
        parser.add_argument(
            f"--{split}-composites",
            type=int,
            default=None,
            help=f"long composite documents in {split}, on top of its size (default "
            f"{DEFAULT_COMPOSITES[split]} at the default size, scaled with it)",
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
        composites = {s: getattr(args, f"{s}_composites") for s in SPLITS}
        result = build(args.templates, args.hand, args.seed, sizes, ood, composites)
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

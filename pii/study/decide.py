"""Fine-tune or keep prompting? A decision from the bench's measurements and the user's numbers.

`decide` combines what the bench measured (a `Measured`, from pii.study.evidence) with the
user's `Supplied` numbers (volume, prices,
labelling cost, retrainings a year, the cost of a miss and of a false alarm) into a
`Decision`: the four-question tree, each answer marked MEASURED, SUPPLIED or unknown, the
break-even call volume, the expected monthly cost of errors and a verdict with its reason.

The cost model, in one place:
- a call costs its seconds (p50 latency, or 1 / batched texts per second) x the hourly
  price; with a hosted per-call price, that price x the classifier's prompt tokens / the
  baseline's (hosted prices scale with tokens);
- one training costs its wall-clock seconds x the hourly price + the labelling cost x the
  examples it saw; the first is spread over the horizon, and each retraining a year costs
  the same again (new requirements need new labels);
- errors per call: miss rate x prevalence x cost of a miss + false-alarm rate x
  (1 - prevalence) x cost of a false alarm, at each classifier's benched threshold.

Left out: reading the artifacts (pii.study.evidence); printing and argument parsing
(pii.cli.decide); the measurements themselves (pii.study.bench, pii.metrics.stats). Nothing here reads or shows record text: reports carry ids only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pii.errors import ConfigError
from pii.render.tables import money
from pii.study.evidence import Classifier, Measured

FORMAT_VERSION = 1  # of decision.json: {format_version, decisions: [Decision.to_dict()]}

STABLE_MAX_RETRAINS = 2.0  # requirements changing more than twice a year are not stable
MIN_LABELLED = 500
BASES = ("latency", "throughput")
STOPS = (  # why a "no" at each question keeps prompting
    "requirements change too often to keep an adapter current",
    "prompting is good enough",
    "too few labelled pairs to train on",
    "too few calls to repay training",
)


@dataclass(frozen=True)
class Supplied:
    """The user's numbers; `given` names the fields they set (the rest are defaults)."""

    calls_per_month: float = 10_000
    price_per_hour: float = 1.0
    price_per_call: float | None = None
    label_cost: float = 0.5
    retrains_per_year: float = 1.0
    miss_cost: float = 10.0
    false_alarm_cost: float = 1.0
    prevalence: float | None = None
    horizon_months: float = 12.0
    basis: str = "latency"
    min_f1: float | None = None
    min_recall: float | None = None
    max_fpr: float | None = None
    given: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("given", "basis") or value is None:
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{f.name} = {value!r}: expected a number >= 0")
            if not math.isfinite(value):
                raise ConfigError(f"{f.name} = {value!r}: expected a finite number")
        for name in ("prevalence", "min_f1", "min_recall", "max_fpr"):
            value = getattr(self, name)
            if value is not None and value > 1:
                raise ConfigError(f"{name} = {value}: a rate, between 0 and 1")
        if self.horizon_months <= 0:
            raise ConfigError("horizon_months must be above 0 (months to spread training over)")
        if self.basis not in BASES:
            raise ConfigError(f"basis = {self.basis!r}: use one of {', '.join(BASES)}")


KEYS = [f.name for f in fields(Supplied) if f.name != "given"]  # what a user may supply


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str  # yes | no | unclear | unknown
    source: str  # MEASURED | SUPPLIED | unknown
    detail: str


@dataclass(frozen=True)
class Decision:
    measured: Measured
    supplied: Supplied
    prevalence: float
    answers: list[Answer]
    costs: dict[str, dict[str, float]]  # per option: per-call and monthly figures
    training_cost: float  # one training: compute + labelling
    fixed_monthly: float  # first training over the horizon + retrainings
    break_even_calls: float | None  # compute only
    break_even_with_errors: float | None
    break_even_text: str
    verdict: str  # fine-tune | keep prompting | inconclusive
    reason: str
    notes: list[str]
    references: dict[str, dict[str, float]] = field(default_factory=dict)  # same costs, per row

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["supplied"]["given"] = sorted(self.supplied.given)
        return d


# -- costs and the decision -------------------------------------------------------------------
def call_cost(c: Classifier, base: Classifier, s: Supplied) -> float:
    """Compute cost of one call (see the module docstring)."""
    if s.price_per_call is not None:
        if not c.tokens_per_text or not base.tokens_per_text:
            return s.price_per_call
        return s.price_per_call * c.tokens_per_text / base.tokens_per_text
    if s.basis == "throughput" and c.texts_per_s:
        return s.price_per_hour / 3600 / c.texts_per_s
    return s.price_per_hour / 3600 * c.p50_s


def error_cost(c: Classifier, prevalence: float, s: Supplied) -> float:
    """Expected cost of errors per call at the classifier's benched operating point."""
    return (1 - c.recall) * prevalence * s.miss_cost + c.fpr * (1 - prevalence) * s.false_alarm_cost


def training_cost(m: Measured, s: Supplied) -> float:
    """One training: machine time plus labelling the examples it saw."""
    return m.training_seconds / 3600 * s.price_per_hour + s.label_cost * m.examples_seen


def fixed_monthly(m: Measured, s: Supplied) -> float:
    """The first training spread over the horizon, plus the retrainings, per month."""
    one = training_cost(m, s)
    return one / s.horizon_months + s.retrains_per_year * one / 12


def break_even(saving_per_call: float, monthly_fixed: float) -> float | None:
    """Calls a month at which per-call savings repay the fixed costs; None if never."""
    if saving_per_call <= 0:
        return None
    return monthly_fixed / saving_per_call


def bar_misses(c: Classifier, s: Supplied) -> list[str]:
    """Where a classifier falls short of the user's bar (empty: it meets it, or no bar)."""
    misses = []
    if s.min_f1 is not None and c.f1 < s.min_f1:
        misses.append(f"F1 {c.f1:.3f} < {s.min_f1:g}")
    if s.min_recall is not None and c.recall < s.min_recall:
        misses.append(f"recall {c.recall:.3f} < {s.min_recall:g}")
    if s.max_fpr is not None and c.fpr > s.max_fpr:
        misses.append(f"FPR {c.fpr:.3f} > {s.max_fpr:g}")
    return misses


def break_even_text(
    be: float | None,
    be_err: float | None,
    calls: float,
    prompting: dict[str, float],
    fine_tune: dict[str, float],
) -> str:
    """The break-even statement: compute alone, then counting errors."""
    a, b = fine_tune["compute_per_call"], prompting["compute_per_call"]
    if be is None:
        first = (
            f"an adapter call costs {money(a)} against {money(b)} prompted, no cheaper: "
            "no call volume repays training on compute alone"
        )
    else:
        side = "above" if calls >= be else "below"
        first = (
            f"compute alone repays training at {be:,.0f} calls a month "
            f"({money(b - a)} saved a call); {calls:,.0f} a month is {side} it"
        )
    if be_err is None:
        extra = fine_tune["errors_per_call"] - prompting["errors_per_call"]
        second = (
            f"counting errors, no volume does: the adapter's errors cost {money(extra)} more a call"
        )
    else:
        second = f"counting errors, it pays from {be_err:,.0f} calls a month"
    return f"{first}; {second}"


def _mark(s: Supplied, name: str) -> str:
    return "SUPPLIED" if name in s.given else "unknown"


def tree(m: Measured, s: Supplied, pays_from: float | None = None) -> list[Answer]:
    """The four questions, in order; an answer a default would give is 'unknown'. Q4 is
    answered by the same cost model as the verdict: `pays_from` is the monthly volume from
    which fine-tuning costs less, errors included (None: at no volume)."""
    b = m.baseline
    stable = "unknown"
    if "retrains_per_year" in s.given:
        stable = "yes" if s.retrains_per_year <= STABLE_MAX_RETRAINS else "no"
    q1 = Answer(
        "Are the requirements stable?",
        stable,
        _mark(s, "retrains_per_year"),
        f"{s.retrains_per_year:g} retrainings a year (stable: at most {STABLE_MAX_RETRAINS:g})"
        if stable != "unknown"
        else "say how often they change: --retrains-per-year",
    )
    misses = bar_misses(b, s)
    bar_given = any(x is not None for x in (s.min_f1, s.min_recall, s.max_fpr))
    gain = "no relative F1 gain measured (bench both classifiers)"
    rule = "unclear"
    if m.gain is not None and m.gain_ci:
        lo, hi = m.gain_ci
        gain = (
            f"adapter's relative F1 gain {m.gain:+.1%} (95% CI {lo:+.1%} to {hi:+.1%}) vs the "
            f"{m.rule:.0%} rule"
        )
        rule = "yes" if lo > m.rule else "no" if hi < m.rule else "unclear"
    seen = f"baseline F1 {b.f1:.3f}, recall {b.recall:.3f}, FPR {b.fpr:.3f}"
    if bar_given:
        verdict = "yes" if misses else "no"
        bar = f"misses your bar ({', '.join(misses)})" if misses else "meets your bar"
        why = f"{seen}: {bar}; {gain}"
    else:
        verdict = rule
        why = f"{gain}; {seen}"
    q2 = Answer("Is prompting unacceptable?", verdict, "MEASURED", why)
    q3 = Answer(
        f"Are there {MIN_LABELLED}+ labelled pairs?",
        "yes" if m.train_pool >= MIN_LABELLED else "no",
        "MEASURED",
        f"{m.train_pool:,} in the training pool; the adapter saw {m.examples_seen:,}",
    )
    calls = "calls_per_month" in s.given
    volume = f"{s.calls_per_month:,.0f} a month"
    if pays_from is None:
        enough, where = "no", f"{volume}; no volume repays training at these costs"
    else:
        enough = "yes" if s.calls_per_month >= pays_from else "no"
        where = f"{volume}; training pays from {pays_from:,.0f} a month, errors included"
    q4 = Answer(
        "Enough calls to repay training?",
        enough if calls else "unknown",
        _mark(s, "calls_per_month"),
        where if calls else f"say how many: --calls-per-month ({where.split('; ')[1]})",
    )
    return [q1, q2, q3, q4]


def decide(m: Measured, s: Supplied) -> Decision:
    """Walk the tree, price both options at the supplied volume, and give the verdict.

    A 'no' anywhere in the tree keeps prompting; past the tree, the cheaper option in
    total monthly cost (compute + errors + training) wins; unknown answers make a
    fine-tune verdict inconclusive.
    """
    prevalence = s.prevalence if s.prevalence is not None else m.positives / m.n
    b, a = m.baseline, m.adapter
    costs: dict[str, dict[str, float]] = {}
    fixed = fixed_monthly(m, s)
    for option, c, extra in (("prompting", b, 0.0), ("fine-tune", a, fixed)):
        call, err = call_cost(c, b, s), error_cost(c, prevalence, s)
        costs[option] = {
            "compute_per_call": call,
            "errors_per_call": err,
            "compute_monthly": call * s.calls_per_month,
            "errors_monthly": err * s.calls_per_month,
            "training_monthly": extra,
            "total_monthly": (call + err) * s.calls_per_month + extra,
        }
    p, f = costs["prompting"], costs["fine-tune"]
    be = break_even(p["compute_per_call"] - f["compute_per_call"], fixed)
    be_err = break_even(
        p["compute_per_call"] + p["errors_per_call"] - f["compute_per_call"] - f["errors_per_call"],
        fixed,
    )
    answers = tree(m, s, be_err)
    difference = f["total_monthly"] - p["total_monthly"]
    volume = f"{s.calls_per_month:,.0f} calls a month"
    first_no = next((i for i, x in enumerate(answers) if x.answer == "no"), None)
    if first_no is not None:
        x = answers[first_no]
        verdict, reason = "keep prompting", f"{STOPS[first_no]} (Q{first_no + 1}: {x.detail})"
    elif bar_misses(a, s):
        verdict = "inconclusive"
        reason = "prompting misses your bar, and so does the adapter as benched"
    elif difference >= 0:
        verdict = "keep prompting"
        reason = f"at {volume} fine-tuning costs {money(difference)} more a month, errors included"
    elif any(x.answer in ("unknown", "unclear") for x in answers):
        open_ = "; ".join(
            f"Q{i + 1} is {x.answer} ({x.detail})"
            for i, x in enumerate(answers)
            if x.answer != "yes"
        )
        verdict = "inconclusive"
        reason = f"fine-tuning would save {money(-difference)} a month, but {open_}"
    else:
        verdict = "fine-tune"
        reason = f"all four answers are yes and fine-tuning saves {money(-difference)} a month"
    notes = list(m.notes)
    if first_no is not None and difference < 0:
        notes.append(
            f"the tree stops at Q{first_no + 1}, yet at your costs fine-tuning would save "
            f"{money(-difference)} a month; check the error costs and the bar"
        )
    saving = p["compute_per_call"] - f["compute_per_call"]
    if s.price_per_call is None and abs(saving) < 0.05 * p["compute_per_call"]:
        notes.append(
            f"the two calls' compute differs by {abs(saving) / p['compute_per_call']:.1%}, "
            "within timing noise: the compute break-even hangs on that difference"
        )
    if s.prevalence is None:
        notes.append(
            f"PII prevalence {prevalence:.1%} is the bench data's ({m.positives} of {m.n}); "
            "real traffic is usually rarer: set --prevalence"
        )
    if b.fpr > 0.9 and s.max_fpr is None:
        notes.append(
            f"the baseline flags {b.fpr:.1%} of texts without PII: it barely discriminates; "
            "set a bar (--max-fpr) if that is unacceptable"
        )
    references = reference_costs(m, s, prevalence)
    better = [(n, r) for n, r in references.items() if r["f1"] > max(b.f1, a.f1)]
    if better:
        name, r = min(better, key=lambda x: x[1]["total_monthly"])
        cheapest = r["total_monthly"] < min(p["total_monthly"], f["total_monthly"])
        notes.append(
            f"{name}, benched beside them, has a higher F1 than both ({r['f1']:.3f}) and comes "
            f"to {money(r['total_monthly'])} a month at {volume}, errors included (prompting "
            f"{money(p['total_monthly'])}, fine-tuned {money(f['total_monthly'])}): "
            + (
                "cheaper too; try it before either"
                if cheapest
                else "not cheaper at these error costs"
            )
        )
    if m.format_failure_rate is not None:
        notes.append(
            f"in generation mode {m.format_failure_rate:.1%} of the baseline's answers do not "
            "parse; the bench scores labels, so they are not counted here"
        )
    return Decision(
        measured=m,
        supplied=s,
        prevalence=prevalence,
        answers=answers,
        costs=costs,
        training_cost=training_cost(m, s),
        fixed_monthly=fixed,
        break_even_calls=be,
        break_even_with_errors=be_err,
        break_even_text=break_even_text(be, be_err, s.calls_per_month, p, f),
        verdict=verdict,
        reason=reason,
        notes=notes,
        references=references,
    )


def reference_costs(m: Measured, s: Supplied, prevalence: float) -> dict[str, dict[str, float]]:
    """The other benched rows (rules, tfidf, ...) priced like the two options. They run on
    the machine, so a call costs its p50 seconds at the hourly price, even with a hosted
    per-call price for the LLM."""
    out = {}
    for c in m.references:
        call, err = s.price_per_hour / 3600 * c.p50_s, error_cost(c, prevalence, s)
        out[c.name] = {
            "f1": c.f1,
            "compute_per_call": call,
            "errors_per_call": err,
            "total_monthly": (call + err) * s.calls_per_month,
        }
    return out

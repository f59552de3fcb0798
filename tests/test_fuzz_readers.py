"""Property-based fuzzing of every reader (issue 15): whatever bytes a file holds (valid,
near-valid with wrong types or odd Unicode, truncated, huge values, random), a reader either
returns or raises a PiiError with a one-line message that never quotes a record's text; never
another exception. The fast suite runs FAST cases per reader; `make fuzz` (PII_FUZZ=1,
marker `fuzz`) runs 10,000 per reader and prints the counts."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pii.errors import PiiError

FAST, FUZZ = 30, int(os.environ.get("PII_FUZZ_N", "10000"))
MARK = "SECRETTEXT"  # inside every generated text field: must never appear in an error
COUNTS: Counter[str] = Counter()

# --- content strategies ---------------------------------------------------------------------

odd_text = st.text(
    st.characters(codec=None, exclude_categories=()), max_size=40
)  # any code point, lone surrogates and controls included
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | odd_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)
secret_text = st.builds(lambda a, b: a + MARK + b, odd_text, odd_text)


def _near(valid: dict, extra_keys: tuple[str, ...] = ()) -> st.SearchStrategy[dict]:
    """`valid` with any of its keys dropped or given another value, maybe an unknown key;
    a text field may hold anything, always with the marker."""
    keys = list(valid) + list(extra_keys)

    def values(k: str) -> st.SearchStrategy:
        if k in ("text", "full_text"):
            return st.one_of(st.just(valid[k]), secret_text, json_values)
        return st.one_of(st.just(valid.get(k)), json_values)

    return st.fixed_dictionaries({}, optional={k: values(k) for k in keys})


def _encoded(objects: st.SearchStrategy, dump) -> st.SearchStrategy[bytes]:
    """The objects serialised, maybe cut short, or random bytes instead."""
    whole = objects.map(lambda o: dump(o).encode("utf-8", "surrogatepass"))
    cut = st.tuples(whole, st.integers(0, 400)).map(lambda t: t[0][: t[1]])
    return st.one_of(whole, whole, cut, st.binary(max_size=200))


def _json(o) -> str:
    return json.dumps(o, allow_nan=True, ensure_ascii=False)


def _jsonl(rows) -> str:
    return "".join(_json(r) + "\n" for r in rows)


def _yaml(o) -> str:
    try:
        return yaml.safe_dump(o, allow_unicode=True)
    except yaml.YAMLError:
        return "{}"


GOLDEN = {
    "id": "r1",
    "text": "Write to " + MARK,
    "has_pii": True,
    "pii_types": ["EMAIL"],
    "tags": {"language": "en", "format": "email", "difficulty": "easy", "source": "hand",
             "length": "short", "slice": "x", "split": "test"},
    "template_id": "t1",
    "spans": [[0, 5, "EMAIL"]],
}  # fmt: skip
golden_lines = _encoded(st.lists(_near(GOLDEN), max_size=4), _jsonl)
text_lines = _encoded(
    st.lists(st.one_of(_near({"id": "a", "text": MARK}), secret_text), max_size=4),
    lambda rows: "".join((_json(r) if isinstance(r, dict) else r) + "\n" for r in rows),
)
csv_rows = _encoded(
    st.lists(st.lists(st.one_of(secret_text, odd_text), min_size=1, max_size=3), max_size=4),
    lambda rows: "text,id\n" + "".join(",".join(r) + "\n" for r in rows),
)
labelled_rows = _encoded(
    st.lists(
        st.tuples(
            st.one_of(secret_text, odd_text),
            st.one_of(odd_text, st.sampled_from(["yes", "no", "1", "0", "TRUE", "maybe"])),
        ),
        max_size=4,
    ),
    lambda rows: "text,label\n" + "".join(f"{t},{lab}\n" for t, lab in rows),
)
labelled_lines = _encoded(
    st.lists(
        _near(
            {
                "id": "a",
                "text": "x " + MARK,
                "has_pii": "yes",
                "pii_types": ["EMAIL"],
                "label": 1,
                "tags": {"format": "chat"},
            }
        ),
        max_size=4,
    ),
    _jsonl,
)
RECIPE = {"model": "smollm2-135m", "rank": 8, "num_layers": 8, "learning_rate": 2e-4,
          "epochs": 1, "batch_size": 8, "max_tokens": 192, "lr_schedule": "cosine"}  # fmt: skip
recipe_yaml = _encoded(_near(RECIPE, ("rnak",)), _yaml)
sweep_yaml = _encoded(
    _near({"fixed": {"epochs": 1}, "configs": [{"name": "a", "rank": 8}]}, ("recipe",)), _yaml
)
DECIDE = {"calls_per_month": 1000, "prevalence": 0.05, "max_fpr": 0.2}
decide_yaml = _encoded(_near(DECIDE), _yaml)
REPORT = {"format_version": 1, "n": 3, "environment": {"model": "m", "data": "d", "date": "x"},
          "classifiers": [{"name": "rules", "threshold": 0.5, "scores": {}, "ci95": {},
                           "slices": {}}]}  # fmt: skip
report_json = _encoded(_near(REPORT), _json)
TRAINING = {"format_version": 1, "config": {"instruction": "short", "max_tokens": 192},
            "base_model": "m", "threshold": 0.5, "aggregate": "max"}  # fmt: skip
training_json = _encoded(_near(TRAINING), _json)
ARTIFACT = {"format_version": 1, "kind": "tfidf", "threshold": 0.5, "vocabulary": {"a": 0},
            "idf": [1.0], "coef": [0.5], "intercept": 0.1}  # fmt: skip
artifact_json = _encoded(_near(ARTIFACT), _json)
FEWSHOT = {"format_version": 1, "k": 4, "instruction": "short", "threshold": 0.5,
           "aggregate": "max", "exemplar_ids": ["a", "b"]}  # fmt: skip
fewshot_json = _encoded(_near(FEWSHOT), _json)
study_json = _encoded(_near({"format_version": 1, "recipe": {"rank": 8}, "points": {}}), _json)
SPANS = {"id": "d1", "text": "call " + MARK, "spans": [{"start": 0, "end": 4, "label": "TEL"}]}
spans_jsonl = _encoded(st.lists(_near(SPANS), max_size=3), _jsonl)
PRESIDIO = {"full_text": "call " + MARK, "spans": [{"start_position": 0, "end_position": 4,
            "entity_type": "TEL", "entity_value": "call"}]}  # fmt: skip
presidio_json = _encoded(st.lists(_near(PRESIDIO), max_size=3), _json)
mapping_yaml = _encoded(st.dictionaries(odd_text, json_values, max_size=3), _yaml)
rules_yaml = _encoded(
    _near(
        {"format_version": 1, "recognizers": [{"name": "x", "type": "EMAIL", "patterns": ["@"]}]}
    ),
    _yaml,
)

# --- the readers: name -> (file suffix, strategy, call(path)) --------------------------------


def _golden(p):
    from pii.golden.schema import read_records

    read_records(p)


def _check(p):
    from pii.golden.check import check_files

    check_files([p])


def _texts(p):
    from pii.jsonl import read_texts

    read_texts(p)


def _table(p):
    from pii.table_input import read_table

    read_table(p, "text", "id")


def _labelled(p):
    from pii.golden.labelled import read_labelled

    read_labelled(p)


def _recipe(p):
    from pii.training.recipe import TrainConfig

    TrainConfig.from_file(p)


def _sweep(p):
    from pii.study.sweep import read

    read(p, depth=lambda model: 30)


def _decide(p):
    from pii.config_file import read_settings
    from pii.study.decide import KEYS

    read_settings(p, KEYS)


def _report(p):
    from pii.report_format import read_report

    read_report(p)


def _training(p):
    from pii.engine.adapters import read_record

    read_record(p)


def _artifact(p):
    from pii.classifiers.tfidf import load_tfidf

    load_tfidf(p)


def _fewshot(p):
    from pii.classifiers.fewshot import FewShotConfig

    FewShotConfig.load(p)


def _study(p):
    from pii.study.learning_curve import read_study

    read_study(p)


def _import(fmt):
    def call(p):
        from pii.golden.importers import import_corpus

        import_corpus(fmt, p, "TEL=PHONE", p.with_name("out.jsonl"))

    return call


def _mapping(p):
    from pii.golden.importers import load_mapping

    load_mapping(str(p))


def _rules(p):
    from pii.classifiers.rules import load_rules

    load_rules(p)


READERS = {
    "golden jsonl": (".jsonl", golden_lines, _golden),
    "golden check": (".jsonl", golden_lines, _check),
    "classify text lines": (".txt", text_lines, _texts),
    "classify jsonl": (".jsonl", text_lines, _texts),
    "classify csv": (".csv", csv_rows, _table),
    "bench --data csv": (".csv", labelled_rows, _labelled),
    "bench --data jsonl": (".jsonl", labelled_lines, _labelled),
    "train recipe yaml": (".yaml", recipe_yaml, _recipe),
    "train recipe toml": (".toml", st.binary(max_size=200), _recipe),
    "sweep yaml": (".yaml", sweep_yaml, _sweep),
    "decide config": (".yaml", decide_yaml, _decide),
    "report json": (".json", report_json, _report),
    "training record": (".json", training_json, _training),
    "tfidf artifact": (".json", artifact_json, _artifact),
    "fewshot config": (".json", fewshot_json, _fewshot),
    "learning-curve study": (".json", study_json, _study),
    "import jsonl-spans": (".jsonl", spans_jsonl, _import("jsonl-spans")),
    "import presidio-research": (".json", presidio_json, _import("presidio-research")),
    "import mapping": (".yaml", mapping_yaml, _mapping),
    "rules yaml": (".yaml", rules_yaml, _rules),
}


RECORD_READERS = {
    name for name in READERS if name.split()[0] in ("golden", "classify", "import", "bench")
}
RECORD_READERS.discard("import mapping")


def _fuzz(name: str, folder: Path, n: int) -> None:
    suffix, strategy, call = READERS[name]
    path = folder / f"input{suffix}"

    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(content=strategy)
    def prop(content: bytes) -> None:
        path.write_bytes(content)
        COUNTS[name] += 1
        try:
            call(path)
        except PiiError as e:
            message = str(e)
            assert "\n" not in message.strip(), f"{name}: a message of several lines"
            if name in RECORD_READERS:  # a config's own values may be shown, records never
                assert MARK not in message, f"{name}: the error quotes a record's text"

    prop()


@pytest.mark.parametrize("name", list(READERS))
def test_readers_return_or_refuse_in_one_line(name, tmp_path):
    _fuzz(name, tmp_path, FAST)


@pytest.mark.fuzz
@pytest.mark.skipif(not os.environ.get("PII_FUZZ"), reason="make fuzz (PII_FUZZ=1) runs it")
@pytest.mark.parametrize("name", list(READERS))
def test_fuzz_10000_cases_per_reader(name, tmp_path):
    _fuzz(name, tmp_path, FUZZ)
    assert COUNTS[name] >= FUZZ
    print(f"\n{name}: {COUNTS[name]:,} generated cases, no crash")

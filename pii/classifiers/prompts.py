"""Prompt text for PII classification: instructions, the question, exemplar turns.

Pure text: no model, no tokenizer. The engine renders these messages with the model's own
chat template. The same user turn is used by the few-shot baseline, by LoRA training and
by the exported classifier, so an adapter is scored on exactly the prompt it learned.

Left out: exemplar selection (pii.classifiers.fewshot) and tokenisation (pii.engine).
"""

from __future__ import annotations

from pii.taxonomy import PII_TYPES

YES, NO = "yes", "no"
# First tokens of these answers are scored; case and leading-space variants all count.
LABEL_VARIANTS = {YES: ("yes", " yes", "Yes", " Yes", "YES"), NO: ("no", " no", "No", " No", "NO")}

QUESTION = "Does this text contain personal data (PII)? Answer yes or no."

_TYPES = "\n".join(f"- {name}: {desc}" for name, desc in PII_TYPES.items())

INSTRUCTIONS: dict[str, str] = {
    "short": (
        "You detect personal data. Answer 'yes' if the text contains information that "
        "identifies or can be linked to a specific private person, otherwise 'no'."
    ),
    "taxonomy": (
        "You detect personal data (PII) in text. Answer 'yes' if the text contains any of "
        f"these, otherwise 'no':\n{_TYPES}"
    ),
    "rules": (
        "You detect personal data (PII) in text. Answer 'yes' if the text contains any of "
        f"these:\n{_TYPES}\n"
        "Answer 'no' when the only such-looking values are: placeholders or redactions "
        "([REDACTED], <NAME>, XXX-XX-XXXX), example values (example.com, 555-01xx), a "
        "company's own support contacts, public figures in the news, fictional characters, "
        "a first name alone, order/tracking numbers, versions, timestamps, UUIDs or hashes, "
        "private IP addresses, or system accounts like root."
    ),
}
DEFAULT_INSTRUCTION = "rules"


def user_turn(text: str) -> str:
    """The user message that carries a text to classify."""
    return f"Text:\n{text}\n\n{QUESTION}"


def messages(
    instruction: str, exemplars: list[tuple[str, bool]], text: str | None = None
) -> list[dict[str, str]]:
    """Chat messages: system instruction, exemplars as user/assistant turns, then the text."""
    if instruction not in INSTRUCTIONS:
        raise KeyError(instruction)
    msgs = [{"role": "system", "content": INSTRUCTIONS[instruction]}]
    for ex_text, has_pii in exemplars:
        msgs.append({"role": "user", "content": user_turn(ex_text)})
        msgs.append({"role": "assistant", "content": YES if has_pii else NO})
    if text is not None:
        msgs.append({"role": "user", "content": user_turn(text)})
    return msgs


def parse_answer(answer: str) -> bool | None:
    """A generated answer as a label; None when it is neither yes nor no (format failure)."""
    word = answer.strip().strip(".!\"'`*").split(maxsplit=1)
    if not word:
        return None
    head = word[0].lower().rstrip(".,!:;")
    return {"yes": True, "no": False}.get(head)

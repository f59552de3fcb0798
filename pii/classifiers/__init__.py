"""Every classifier speaks one protocol (protocol): `predict_proba(texts) -> (n, 2)` with a
`threshold`. The registry (registry) maps a kind's name to its loader, which lives beside
its class: the prompted LLM (fewshot, prompts), the LoRA-adapted LLM (adapter), regex rules
with validators (rules), character TF-IDF (tfidf), Presidio (presidio) and Apple's
Foundation Model (applefm); the cheap baselines share one JSON artifact format (artifact).
"""

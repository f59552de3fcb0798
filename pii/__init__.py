"""pii: is fine-tuning worth it, or does a well-prompted base model already detect PII?"""

__version__ = "0.1.0"

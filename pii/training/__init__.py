"""Making classifiers better on data: the LoRA recipe (recipe), its batches and loss
(batches), resumable checkpoints (checkpoint), the training loop around mlx-lm's tuner
(loop), and the few-shot baseline's prompt search on validation (tune).
"""

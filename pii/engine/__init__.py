"""The model engine, the one place (with the training loop and the export's fuse step) that
imports MLX: model specs and the local cache (models), GGUF conversion (gguf), the fast BLAS
on Linux (blas), LoRA adapters on disk (adapters), loading and label scoring (mlx_engine)
and the machine check behind `pii doctor` (doctor).

Nothing here knows about classifiers, the bench or the CLI.
"""

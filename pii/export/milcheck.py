"""Run a saved .mlpackage's program in numpy, op by op, where no CoreML runtime exists.

CoreML predicts only on macOS. Elsewhere the saved package's MIL program is loaded with
coremltools' own proto loader and each operation is evaluated with its numpy value
inference (the code coremltools uses for constant folding), in program order. The few ops
without one get a numpy rule here. Values keep the program's dtypes, so an fp16 program is
evaluated in fp16 and compressed weights are decompressed as the runtime would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


class _Val:
    """What a MIL Var expects as its symbolic value: an object with `.val`."""

    __slots__ = ("val",)

    def __init__(self, val: Any):
        self.val = val


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _f32(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def _linear(op: Any) -> np.ndarray:
    y = _f32(op.x.val) @ _f32(op.weight.val).T
    return y + _f32(op.bias.val) if op.bias is not None else y


def _matmul(op: Any) -> np.ndarray:
    x, y = _f32(op.x.val), _f32(op.y.val)
    if op.transpose_x.val:
        x = np.swapaxes(x, -1, -2)
    if op.transpose_y.val:
        y = np.swapaxes(y, -1, -2)
    return x @ y


# Ops evaluated here rather than by coremltools: those without a value inference, and the
# matrix products, which take fp16 operands, accumulate in fp32 (as the Apple GPU and Neural
# Engine do; numpy has no fast fp16 GEMM) and round the result to the op's dtype.
RULES = {
    "linear": _linear,
    "matmul": _matmul,
    "silu": lambda op: op.x.val * _sigmoid(op.x.val),
    "sigmoid": lambda op: _sigmoid(op.x.val),
    "softmax": lambda op: _softmax(op.x.val, op.axis.val),
    "rsqrt": lambda op: 1.0 / np.sqrt(op.x.val + op.epsilon.val),
}


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def quiet() -> None:
    """Silence coremltools' import-time notices (no macOS runtime here, untested torch and
    scikit-learn versions) and transformers' deprecation warnings: noise to a user."""
    import logging
    import warnings

    logging.getLogger("coremltools").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="coremltools")


def load_program(path: Path) -> Any:
    """The MIL program inside a saved .mlpackage (its weights read from the package)."""
    quiet()
    import coremltools as ct
    from coremltools.converters.mil.frontend.milproto.load import load

    spec = ct.utils.load_spec(str(path))
    weights = Path(path) / "Data" / "com.apple.CoreML" / "weights"
    return load(spec, spec.specificationVersion, file_weights_dir=str(weights))


class Program:
    """A loaded program you can call with numpy inputs, like MLModel.predict."""

    def __init__(self, path: Path):
        self.program = load_program(path)
        self.main = self.program.functions["main"]
        for op in self.main.operations:  # numpy 2 takes no numpy bools for `keepdims` & co
            if op.op_type == "const" and isinstance(op.outputs[0].val, np.bool_):
                op.outputs[0]._sym_val.val = bool(op.outputs[0].val)
        # Index of the last op reading each var: its value is dropped after that (memory).
        self._last_use: dict[int, int] = {}
        for i, op in enumerate(self.main.operations):
            for var in _flat(op.inputs.values()):
                self._last_use[id(var)] = i
        for var in self.main.outputs:
            self._last_use[id(var)] = len(self.main.operations)

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from coremltools.converters.mil.mil import types

        values: dict[int, Any] = {}
        saved: dict[int, tuple[Any, Any, Any]] = {}  # var id -> (var, value, type as loaded)
        for name, var in self.main.inputs.items():
            values[id(var)] = np.asarray(inputs[name]).astype(types.nptype_from_builtin(var.dtype))
        try:
            for i, op in enumerate(self.main.operations):
                used = _flat(op.inputs.values())
                for var in used:
                    is_const = var.op is not None and var.op.op_type == "const"
                    if id(var) in values and not is_const:
                        val = values[id(var)]
                        saved.setdefault(id(var), (var, var._sym_val, var._sym_type))
                        var._sym_val = _Val(val)
                        if types.is_tensor(var._sym_type):  # concrete shapes, not symbols
                            var._sym_type = types.tensor(var.dtype, np.shape(val))
                if op.op_type == "const":
                    values[id(op.outputs[0])] = op.outputs[0].val
                    continue
                if op.op_type.startswith("constexpr_"):  # compressed weights, decompressed
                    out = op.materialized_val_inference()
                elif op.op_type in RULES:
                    out = RULES[op.op_type](op)
                else:
                    out = op.value_inference()
                outs = out if isinstance(out, tuple) else (out,)
                for var, val in zip(op.outputs, outs, strict=True):
                    val = getattr(val, "val", val)
                    values[id(var)] = _as_dtype(val, var)
                for var in used:
                    if self._last_use.get(id(var)) == i and id(var) in saved:
                        v, val, typ = saved.pop(id(var))
                        v._sym_val, v._sym_type = val, typ
                        values.pop(id(var), None)
        finally:
            for var, val, typ in saved.values():  # leave the program as loaded
                var._sym_val, var._sym_type = val, typ
        return {v.name: np.asarray(values[id(v)]) for v in self.main.outputs}


def _flat(items: Any) -> list[Any]:
    out = []
    for item in items:
        if isinstance(item, list | tuple):
            out += _flat(item)
        else:
            out.append(item)
    return out


def _as_dtype(val: Any, var: Any) -> Any:
    """Keep each value in its var's declared dtype (numpy would promote fp16 to fp32)."""
    from coremltools.converters.mil.mil import types

    if not isinstance(val, np.ndarray | np.generic):
        return val
    try:
        want = types.nptype_from_builtin(var.dtype)
    except (TypeError, KeyError):
        return val
    return val.astype(want, copy=False) if val.dtype != want else val

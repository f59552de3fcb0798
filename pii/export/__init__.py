"""Handing the winner to an app: the CoreML package (coreml) and its numeric check against
MLX (verify), which runs the saved program op by op in numpy (milcheck).
"""

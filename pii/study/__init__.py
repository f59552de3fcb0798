"""The study: the bench (bench, with its run's environment), the learning curve
(learning_curve), and the fine-tune-or-prompt decision (evidence, decide). Each takes
classifiers or saved results and returns plain data; presentation is pii.render's.
"""

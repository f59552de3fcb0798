"""Presenting results, never computing them: the bench report (report, plots), the decision
(decision), the learning curve (learning_curve) and the shared tables and page (tables).
"""

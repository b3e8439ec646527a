"""The templates of the generated scripts and README (``*.txt``), filled in by ``bridge.outputs.scripts``.

A package only so that the templates ship as package data; it holds no code.
"""

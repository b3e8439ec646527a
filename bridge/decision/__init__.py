"""Weighing the two sides: metrics, uncertainty, seed repeats, learning curves by size, the rules of the verdict and its words."""

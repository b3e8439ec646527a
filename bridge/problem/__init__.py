"""From a loaded table to a learning problem: target and task, column roles, leakage, the split and the preprocessing."""

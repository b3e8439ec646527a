"""The two sides' models: scikit-learn baselines and features, PyTorch networks, the explicit
training loop, the optimizer, and the networks as scikit-learn estimators.
"""

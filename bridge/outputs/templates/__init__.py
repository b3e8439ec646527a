"""The templates of the generated scripts and README (``*.txt``), and ``scripts``, which fills them in."""

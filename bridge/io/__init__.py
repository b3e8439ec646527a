"""Reading what users bring, safely: files, archives, CSV text and its encoding, images, built-in datasets, limits."""

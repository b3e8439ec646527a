"""How much Bridge agrees to read, in one place.

Every limit is checked before the expensive work it protects (a header before the rows, a zip's
central directory before any member), so huge or hostile input is refused fast and in bounded
memory. Code reads these as ``limits.NAME`` at call time, so a test can lower one.
"""

# -- CSV -------------------------------------------------------------------------------------------
MAX_ROWS = 1_000_000  # rows kept; a longer file is sampled (seeded, uniform) and the notes say so
MAX_COLUMNS = 10_000  # a header with more fields is refused before a single row is read
MAX_CELLS = 100_000_000  # rows x columns kept (~800 MB as float64): a very wide file keeps fewer rows
SNIFF_BYTES = 64 * 1024  # encoding, separator and header are guessed from this much of the start
MAX_HEADER_BYTES = 4 * 1024 * 1024  # the header line must end within this many bytes
CHUNK_CELLS = 2_000_000  # rows are parsed in chunks of about this many cells, so parsing memory stays small
SAMPLE_SEED = 0  # the same file gives the same sample every time

# -- Zip archives of images ---------------------------------------------------------------------------
MAX_ZIP_MEMBERS = 50_000  # files listed in the central directory
MAX_ZIP_DIRECTORY_BYTES = 16 * 1024 * 1024  # the central directory itself, read before anything else
MAX_ZIP_BYTES = 2 * 1024**3  # total uncompressed size the zip declares
MAX_ZIP_RATIO = 100  # uncompressed / compressed for one member; real images (already compressed) stay near 1
RATIO_MIN_BYTES = 1024 * 1024  # the ratio is only judged for members at least this large
# Images keep Pillow's own Image.MAX_IMAGE_PIXELS (about 89 million pixels): an image that claims more
# in its header is skipped as a decompression bomb before it is decoded.

# -- Leakage check ------------------------------------------------------------------------------------
LEAK_SAMPLE_ROWS = 4_000  # rows the one-column models see (half to fit, half to score)
LEAK_MAX_COLUMNS = 200  # columns checked; the check stays cheap on very wide tables
LEAK_SCORE = 0.99  # accuracy or R² of one column alone, on held-out rows, that flags it

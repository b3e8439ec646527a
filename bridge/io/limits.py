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

# -- Options and outputs ------------------------------------------------------------------------------
# Every training option is checked against these before any data is read, so a typo such as
# --width 100000 (a 40 GB network) or --epochs 10000000 (a run that never ends) is refused at once.
MAX_SEED = 2**32 - 1  # NumPy and scikit-learn seeds are 32-bit; seed + repeats - 1 must fit too
MAX_REPEATS = 20  # seeds rerun for the spread; each is a full training of both sides
MAX_HIDDEN_LAYERS = 10  # MLP hidden layers (bridge.models.neural builds no more)
MAX_WIDTH = 4096  # MLP units per hidden layer: 10 layers of 4096 are ~170M weights, already a lot for a table
MAX_BLOCKS = 5  # CNN conv blocks (bridge.models.cnn builds no more); on the data, also at most log2(image side) + 1
MAX_CHANNELS = 256  # CNN channels of the first block; the doubling stops at 256 anyway
KERNEL_SIZES = (1, 3, 5, 7)  # odd, so padding keeps the image size
MAX_BATCH_SIZE = 65_536
MAX_EPOCHS = 10_000  # with --patience 0 every epoch runs: this is what keeps a run finite
MAX_LR = 10.0  # Adam's learning rate; above this training only diverges
MAX_WEIGHT_DECAY = 1.0  # L2 penalty; 0 turns it off, negative would reward large weights
MAX_EMBEDDING_DIM = 512  # text: numbers per word in the network's embedding table
MAX_TOKENS = 1024  # text: words per row and text column the network reads (the rest is cut off)
MAX_VOCABULARY = 100_000  # text: distinct words the tokenizer and TF-IDF keep; ids ride in float32, exact below 2**24
MAX_TUNE_TRIALS = 500  # trials per side in tune mode; each is a full fit
MAX_TUNE_MINUTES = 24 * 60
MAX_TUNE_WORKERS = 64  # local pool processes
MIN_IMAGE_SIDE = 8  # --image-size: pixels per side (images are resized to a square)
MAX_IMAGE_SIDE = 256  # 3 x 256 x 256 float32 is 786 KB an image: 10,000 images are already 7.9 GB

# -- Text ----------------------------------------------------------------------------------------------
# A text cell longer than this is cut to it, with a note: a 1 MB cell would otherwise cost seconds of TF-IDF
# character n-grams and a tokenizer pass, for words the network cuts at MAX_TOKENS anyway.
MAX_TEXT_CHARS = 20_000

# -- Targets and classes --------------------------------------------------------------------------------
# Classes (of at least 3 rows each) a classification target may have; more is refused before any fit. Gradient
# boosting grows one tree per class per round: 50 classes in 1,500 rows already take minutes on two cores,
# and with hundreds of classes each holds a handful of rows, so every score is noise.
MAX_TARGET_CLASSES = 50
# A regression target beyond this size is refused, not rescaled: squared errors (1e200) summed over a million
# rows stay far below float64's 1.8e308, and rescaling would change the units every metric is reported in.
MAX_TARGET_MAGNITUDE = 1e100

# -- Images ---------------------------------------------------------------------------------------------
# Decoded images are kept as uint8 (1 byte a pixel and channel); float32 copies are made only for training.
MAX_DECODED_IMAGE_BYTES = 256 * 2**20  # images x channels x side x side, checked before the array is allocated; the
# training copies made from it (float32 pixels for the network, scaled pixels for scikit-learn) are about 8x this
MAX_IMAGE_PIXELS = 40_000_000  # width x height an image's header may declare (Pillow's own bomb limit is ~89M); a
# larger image is skipped, named in the notes, before it is decoded: one such PNG takes seconds to decode
AUTO_MAX_IMAGE_SIDE = 64  # the side chosen from the data (the median shorter side) is at most this, to keep training fast

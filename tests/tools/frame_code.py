"""Reads the frame number that tests/common/numbered.rs (`numbered_*`) draws into a picture.

The picture is a grid of COLUMNS x ROWS equal cells, each all black or all white; read left to
right, top to bottom, the cells are the bits (most significant first, white = 1) of a 32-bit word:
the frame number in the top NUMBER_BITS bits, then the low CHECK_BITS bits of check(number).
Large flat cells survive lossy codecs, YUV conversion and chroma subsampling; the checksum tells
a damaged or foreign picture from a number. Pure Python: the system python3 (GStreamer's
bindings) imports it as well as the test venv's.
"""

COLUMNS = 8
ROWS = 4
CHECK_BITS = 12
NUMBER_BITS = COLUMNS * ROWS - CHECK_BITS


def check(number):
    """The checksum bits of `number` (a multiplicative hash, the same in numbered.rs)."""
    return ((number * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF) >> (32 - CHECK_BITS)


def read_number(plane, width, height, stride):
    """The frame number of an 8-bit luma/gray `plane` (rows `stride` bytes apart), or None when
    the cells do not spell a number with a matching checksum."""
    word = 0
    for row in range(ROWS):
        y0, y1 = row * height // ROWS, (row + 1) * height // ROWS
        for col in range(COLUMNS):
            x0, x1 = col * width // COLUMNS, (col + 1) * width // COLUMNS
            # The middle half of the cell: its edges are where codecs smear neighbours in.
            ya, yb = y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4
            xa, xb = x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4
            yb, xb = max(yb, ya + 1), max(xb, xa + 1)
            total = sum(sum(plane[y * stride + xa:y * stride + xb]) for y in range(ya, yb))
            word = (word << 1) | (total >= 128 * (yb - ya) * (xb - xa))
    number = word >> CHECK_BITS
    if word & ((1 << CHECK_BITS) - 1) != check(number):
        return None
    return number


def describe(numbers, expected):
    """None when `numbers` is exactly 0..expected-1, otherwise a short account of how not."""
    if numbers == list(range(expected)):
        return None
    bad = next((i for i, n in enumerate(numbers) if n != i), len(numbers))
    unreadable = sum(1 for n in numbers if n is None)
    readable = [n for n in numbers if n is not None]
    span = f"first {readable[0]}, last {readable[-1]}" if readable else "none readable"
    return (f"{len(numbers)} pictures ({span}, {unreadable} unreadable), expected 0..{expected - 1};"
            f" picture {bad} is {numbers[bad] if bad < len(numbers) else 'missing'}")

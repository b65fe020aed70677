from typing_extensions import Buffer

def extrema(
    buffer: Buffer, offset: int, rows: int, columns: int, word_bytes: int
) -> tuple[int, int]: ...
def window_block_means(
    buffer: Buffer,
    offset: int,
    rows: int,
    columns: int,
    word_bytes: int,
    factor: int,
    table: Buffer,
) -> tuple[bytes, int, int]: ...
def fit_greys(greys: Buffer, width: int, height: int, new_width: int, new_height: int) -> bytes: ...
def display_table(
    bits_stored: int,
    bits_allocated: int,
    slope: float,
    intercept: float,
    centre: float,
    width: float,
    linear_exact: bool,
    inverted: bool,
) -> bytes: ...

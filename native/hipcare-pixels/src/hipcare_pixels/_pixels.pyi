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

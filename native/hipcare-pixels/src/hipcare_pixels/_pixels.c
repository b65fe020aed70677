/*
 * hipcare_pixels._pixels: the two loops of a radiograph preview that must be fast in a
 * process of a tenth of a second (ADR 0011).
 *
 * Words are unsigned little-endian integers of 1 or 2 bytes (DICOM PS3.5 8.1.1, native
 * pixel data, as the command's fast path reads them: hipcare.interop.native_dicom), laid
 * out row by row. Every size and offset is checked against the buffer before a word is
 * read; nothing is written outside the result this module allocates.
 *
 * The block mean is the one of hipcare.interop.preview._block_mean: the sum of a
 * factor x factor block plus half the block's area, divided by the area (rounds half up);
 * edge rows and columns that do not fill a block are dropped. Tests compare both loops with
 * numpy on generated films (tests/unit/test_pixels.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t
word_at(const uint8_t *row, Py_ssize_t index, int word_bytes)
{
    if (word_bytes == 1) {
        return row[index];
    }
    uint16_t word;
    memcpy(&word, row + 2 * index, 2); /* little-endian hosts only: see check_host */
    return word;
}

/* Checks the film's shape against the buffer; 0 when it fits, -1 with ValueError set. */
static int
check_film(const Py_buffer *view, Py_ssize_t offset, Py_ssize_t rows, Py_ssize_t columns,
           int word_bytes)
{
    if (word_bytes != 1 && word_bytes != 2) {
        PyErr_Format(PyExc_ValueError, "word_bytes must be 1 or 2, not %d", word_bytes);
        return -1;
    }
    if (rows < 1 || columns < 1) {
        PyErr_Format(PyExc_ValueError, "rows and columns must be at least 1, not %zd x %zd",
                     rows, columns);
        return -1;
    }
    if (offset < 0 || offset > view->len) {
        PyErr_Format(PyExc_ValueError, "offset %zd is outside the buffer of %zd bytes", offset,
                     view->len);
        return -1;
    }
    Py_ssize_t available = (view->len - offset) / word_bytes;
    if (columns > available || rows > available / columns) {
        PyErr_Format(PyExc_ValueError,
                     "%zd x %zd words of %d bytes need more than the %zd bytes after offset %zd",
                     rows, columns, word_bytes, view->len - offset, offset);
        return -1;
    }
    return 0;
}

/* The smallest and largest of `count` words, folded into *low and *high. */
static inline void
words_extrema(const uint8_t *words, Py_ssize_t count, int word_bytes, uint32_t *low,
              uint32_t *high)
{
    if (word_bytes == 1) {
        uint8_t smallest = UINT8_MAX, largest = 0;
        for (Py_ssize_t i = 0; i < count; i++) {
            uint8_t word = words[i];
            smallest = word < smallest ? word : smallest;
            largest = word > largest ? word : largest;
        }
        *low = smallest < *low ? smallest : *low;
        *high = largest > *high ? largest : *high;
        return;
    }
    uint16_t smallest = UINT16_MAX, largest = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint16_t word;
        memcpy(&word, words + 2 * i, 2); /* little-endian hosts only: see check_host */
        smallest = word < smallest ? word : smallest;
        largest = word > largest ? word : largest;
    }
    *low = smallest < *low ? smallest : *low;
    *high = largest > *high ? largest : *high;
}

PyDoc_STRVAR(extrema_doc,
"extrema(buffer, offset, rows, columns, word_bytes) -> (smallest, largest)\n\n"
"The smallest and largest of rows x columns unsigned little-endian words of word_bytes\n"
"(1 or 2) bytes starting at offset in buffer.");

static PyObject *
extrema(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer view;
    Py_ssize_t offset, rows, columns;
    int word_bytes;
    if (!PyArg_ParseTuple(args, "y*nnni:extrema", &view, &offset, &rows, &columns, &word_bytes)) {
        return NULL;
    }
    if (check_film(&view, offset, rows, columns, word_bytes) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    const uint8_t *words = (const uint8_t *)view.buf + offset;
    uint32_t smallest = UINT32_MAX, largest = 0;
    Py_BEGIN_ALLOW_THREADS
    words_extrema(words, rows * columns, word_bytes, &smallest, &largest);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return Py_BuildValue("(II)", (unsigned int)smallest, (unsigned int)largest);
}

/* One band of output rows; factor is a constant in the specialised callers below, so the
 * compiler turns the division by the block's area into a multiplication. */
static inline int
block_rows(const uint8_t *words, Py_ssize_t rows, Py_ssize_t columns, int word_bytes,
           Py_ssize_t factor, Py_ssize_t out_rows, Py_ssize_t out_columns, const uint8_t *table,
           Py_ssize_t table_length, uint32_t *sums, uint8_t *greys, uint32_t *low,
           uint32_t *high)
{
    const uint64_t area = (uint64_t)factor * (uint64_t)factor;
    const Py_ssize_t row_bytes = columns * word_bytes;
    for (Py_ssize_t out_row = 0; out_row < out_rows; out_row++) {
        memset(sums, 0, (size_t)out_columns * sizeof(uint32_t));
        for (Py_ssize_t k = 0; k < factor; k++) {
            const uint8_t *row = words + (out_row * factor + k) * row_bytes;
            /* The whole row, dropped edge columns too, while it is in the cache. */
            words_extrema(row, columns, word_bytes, low, high);
            if (word_bytes == 2) {
                for (Py_ssize_t j = 0; j < out_columns; j++) {
                    uint32_t sum = 0;
                    for (Py_ssize_t m = 0; m < factor; m++) {
                        sum += word_at(row, j * factor + m, 2);
                    }
                    sums[j] += sum;
                }
            }
            else {
                for (Py_ssize_t j = 0; j < out_columns; j++) {
                    uint32_t sum = 0;
                    for (Py_ssize_t m = 0; m < factor; m++) {
                        sum += word_at(row, j * factor + m, 1);
                    }
                    sums[j] += sum;
                }
            }
        }
        uint8_t *out = greys + out_row * out_columns;
        for (Py_ssize_t j = 0; j < out_columns; j++) {
            uint64_t mean = ((uint64_t)sums[j] + area / 2) / area;
            if (mean >= (uint64_t)table_length) {
                return -1;
            }
            out[j] = table[mean];
        }
    }
    for (Py_ssize_t row = out_rows * factor; row < rows; row++) {
        words_extrema(words + row * row_bytes, columns, word_bytes, low, high);
    }
    return 0;
}

PyDoc_STRVAR(window_block_means_doc,
"window_block_means(buffer, offset, rows, columns, word_bytes, factor, table)\n"
"    -> (greys, smallest, largest)\n\n"
"The rounded mean of each factor x factor block of the words (as extrema reads them),\n"
"looked up in table: (rows // factor) x (columns // factor) bytes, row by row; edge rows\n"
"and columns that do not fill a block are dropped. Also the smallest and largest of all\n"
"the words, dropped ones too, as extrema gives them (read in the same pass, to spare a\n"
"second pass over the film). ValueError when a mean is not an index\n"
"of table, or factor is below 1, above rows or columns, or above 256.");

static PyObject *
window_block_means(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer view, table;
    Py_ssize_t offset, rows, columns, factor;
    int word_bytes;
    if (!PyArg_ParseTuple(args, "y*nnniny*:window_block_means", &view, &offset, &rows,
                          &columns, &word_bytes, &factor, &table)) {
        return NULL;
    }
    PyObject *result = NULL;
    uint32_t *sums = NULL;
    if (check_film(&view, offset, rows, columns, word_bytes) < 0) {
        goto done;
    }
    /* 256 x 256 words of 65,535 sum below 2**32. */
    if (factor < 1 || factor > 256 || factor > rows || factor > columns) {
        PyErr_Format(PyExc_ValueError,
                     "factor must be 1 to 256 and at most the rows and columns, not %zd", factor);
        goto done;
    }
    if (table.len < 1) {
        PyErr_SetString(PyExc_ValueError, "the table is empty");
        goto done;
    }
    Py_ssize_t out_rows = rows / factor, out_columns = columns / factor;
    sums = PyMem_Calloc((size_t)out_columns, sizeof(uint32_t));
    if (sums == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, out_rows * out_columns);
    if (result == NULL) {
        goto done;
    }
    const uint8_t *words = (const uint8_t *)view.buf + offset;
    uint8_t *greys = (uint8_t *)PyBytes_AS_STRING(result);
    const uint8_t *lookup = (const uint8_t *)table.buf;
    int status;
    uint32_t smallest = UINT32_MAX, largest = 0;
    Py_BEGIN_ALLOW_THREADS
    switch (factor) {
    case 2:
        status = block_rows(words, rows, columns, word_bytes, 2, out_rows, out_columns, lookup,
                            table.len, sums, greys, &smallest, &largest);
        break;
    case 3:
        status = block_rows(words, rows, columns, word_bytes, 3, out_rows, out_columns, lookup,
                            table.len, sums, greys, &smallest, &largest);
        break;
    case 4:
        status = block_rows(words, rows, columns, word_bytes, 4, out_rows, out_columns, lookup,
                            table.len, sums, greys, &smallest, &largest);
        break;
    default:
        status = block_rows(words, rows, columns, word_bytes, factor, out_rows, out_columns, lookup,
                            table.len, sums, greys, &smallest, &largest);
    }
    Py_END_ALLOW_THREADS
    if (status < 0) {
        Py_CLEAR(result);
        PyErr_Format(PyExc_ValueError, "a block mean is beyond the table of %zd entries",
                     table.len);
    }
    else {
        /* "N" hands the bytes to the tuple (and releases them if the tuple fails). */
        result = Py_BuildValue("(NII)", result, (unsigned int)smallest, (unsigned int)largest);
    }
done:
    PyMem_Free(sums);
    PyBuffer_Release(&view);
    PyBuffer_Release(&table);
    return result;
}

/* --- the bilinear fit ------------------------------------------------------------------- */

/* The fit is Pillow's antialiased bilinear resize of a mode "L" image (Image.resize with
 * Image.Resampling.BILINEAR, Pillow 13: libImaging/Resample.c), computed the same way so
 * that every byte is the same: per output pixel a window of input pixels weighted by the
 * triangle filter widened by the scale, the weights normalised to sum 1 in double precision,
 * then rounded to 22-bit fixed point; rows first, then columns, each pass rounding to 8
 * bits. The column pass here runs along rows (the sums are exact integers, so the order of
 * the additions does not change them), which lets the compiler use vector instructions.
 * A test compares the bytes with Pillow's on generated pictures and sizes. */

#define FIXED_BITS 22

typedef struct {
    Py_ssize_t taps;   /* weights per output pixel (some of them zero) */
    Py_ssize_t *first; /* first input pixel of each output pixel's window */
    Py_ssize_t *count; /* input pixels in it */
    int32_t *weights;  /* taps weights per output pixel, fixed point */
} Fit;

static double
triangle(double x)
{
    if (x < 0.0) {
        x = -x;
    }
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Frees what fit_weights allocated; safe to call again (a failed fit_weights has called it). */
static void
fit_free(Fit *fit)
{
    PyMem_Free(fit->first);
    PyMem_Free(fit->count);
    PyMem_Free(fit->weights);
    fit->first = NULL;
    fit->count = NULL;
    fit->weights = NULL;
}

/* The windows and weights for input_size pixels onto output_size; 0, or -1 with
 * MemoryError set. */
static int
fit_weights(Fit *fit, Py_ssize_t input_size, Py_ssize_t output_size)
{
    /* Pillow passes the box as C floats: whole numbers here, so exact. */
    const float box_start = 0.0f, box_end = (float)input_size;
    double scale = (double)(box_end - box_start) / output_size;
    double widened = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * widened; /* the triangle filter reaches 1 pixel each way */
    double inverse = 1.0 / widened;
    fit->taps = (Py_ssize_t)ceil(support) * 2 + 1;
    fit->first = PyMem_Calloc((size_t)output_size, sizeof(Py_ssize_t));
    fit->count = PyMem_Calloc((size_t)output_size, sizeof(Py_ssize_t));
    double *real = PyMem_Calloc((size_t)(output_size * fit->taps), sizeof(double));
    fit->weights = PyMem_Calloc((size_t)(output_size * fit->taps), sizeof(int32_t));
    if (!fit->first || !fit->count || !real || !fit->weights) {
        PyMem_Free(real);
        fit_free(fit);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t out = 0; out < output_size; out++) {
        double centre = box_start + (out + 0.5) * scale;
        int first = (int)(centre - support + 0.5);
        if (first < 0) {
            first = 0;
        }
        int last = (int)(centre + support + 0.5);
        if (last > input_size) {
            last = (int)input_size;
        }
        int count = last - first;
        double *w = real + out * fit->taps;
        double total = 0.0;
        for (int x = 0; x < count; x++) {
            w[x] = triangle((x + first - centre + 0.5) * inverse);
            total += w[x];
        }
        for (int x = 0; x < count; x++) {
            if (total != 0.0) {
                w[x] /= total;
            }
        }
        for (Py_ssize_t x = 0; x < fit->taps; x++) {
            double weight = x < count ? w[x] : 0.0;
            fit->weights[out * fit->taps + x] =
                weight < 0 ? (int32_t)(-0.5 + weight * (1 << FIXED_BITS))
                           : (int32_t)(0.5 + weight * (1 << FIXED_BITS));
        }
        fit->first[out] = first;
        fit->count[out] = count;
    }
    PyMem_Free(real);
    return 0;
}

static inline uint8_t
to_grey(int32_t sum)
{
    int32_t value = sum >> FIXED_BITS;
    return value < 0 ? 0 : value > 255 ? 255 : (uint8_t)value;
}

/* One row of the rows pass with `taps` a constant (see across_pass): every window is read
 * as `taps` pixels, its weights past the window's own count being zero, except near the
 * right edge, where that would read past the row. */
static inline void
across_row(const uint8_t *line, Py_ssize_t width, const Fit *across, Py_ssize_t taps,
           Py_ssize_t new_width, uint8_t *to)
{
    for (Py_ssize_t x = 0; x < new_width; x++) {
        const int32_t *w = across->weights + x * taps;
        const uint8_t *from = line + across->first[x];
        int32_t sum = 1 << (FIXED_BITS - 1);
        if (across->first[x] + taps <= width) {
            for (Py_ssize_t t = 0; t < taps; t++) {
                sum += from[t] * w[t];
            }
        }
        else {
            for (Py_ssize_t t = 0; t < across->count[x]; t++) {
                sum += from[t] * w[t];
            }
        }
        to[x] = to_grey(sum);
    }
}

/* Rows pass: rows [first_row, first_row + rows) of the width-wide picture `in`, each
 * resized to across's output width, into `out`. The usual window sizes get a loop of
 * fixed length, which the compiler unrolls (adding the zero weights changes no sum). */
static void
across_pass(const uint8_t *in, Py_ssize_t width, Py_ssize_t first_row, Py_ssize_t rows,
            const Fit *across, Py_ssize_t new_width, uint8_t *out)
{
    for (Py_ssize_t row = 0; row < rows; row++) {
        const uint8_t *line = in + (first_row + row) * width;
        uint8_t *to = out + row * new_width;
        switch (across->taps) {
        case 3:
            across_row(line, width, across, 3, new_width, to);
            break;
        case 5:
            across_row(line, width, across, 5, new_width, to);
            break;
        case 7:
            across_row(line, width, across, 7, new_width, to);
            break;
        default:
            across_row(line, width, across, across->taps, new_width, to);
        }
    }
}

/* Columns pass: the width-wide picture `in`, whose first row is input row `top`, resized
 * to down's output height into `out`; `sums` holds width ints. */
static void
down_pass(const uint8_t *in, Py_ssize_t width, Py_ssize_t top, const Fit *down,
          Py_ssize_t new_height, int32_t *sums, uint8_t *out)
{
    for (Py_ssize_t y = 0; y < new_height; y++) {
        const int32_t *w = down->weights + y * down->taps;
        const uint8_t *from = in + (down->first[y] - top) * width;
        for (Py_ssize_t x = 0; x < width; x++) {
            sums[x] = 1 << (FIXED_BITS - 1);
        }
        for (Py_ssize_t t = 0; t < down->count[y]; t++) {
            const uint8_t *line = from + t * width;
            const int32_t weight = w[t];
            for (Py_ssize_t x = 0; x < width; x++) {
                sums[x] += line[x] * weight;
            }
        }
        uint8_t *to = out + y * width;
        for (Py_ssize_t x = 0; x < width; x++) {
            to[x] = to_grey(sums[x]);
        }
    }
}

PyDoc_STRVAR(fit_greys_doc,
"fit_greys(greys, width, height, new_width, new_height) -> bytes\n\n"
"The width x height 8-bit picture (row by row) resized to new_width x new_height exactly\n"
"as Pillow 13's Image.resize(size, Image.Resampling.BILINEAR) resizes a mode \"L\" image.");

static PyObject *
fit_greys(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer view;
    Py_ssize_t width, height, new_width, new_height;
    if (!PyArg_ParseTuple(args, "y*nnnn:fit_greys", &view, &width, &height, &new_width,
                          &new_height)) {
        return NULL;
    }
    PyObject *result = NULL;
    Fit across = {0}, down = {0};
    uint8_t *middle = NULL;
    int32_t *sums = NULL;
    /* Sides up to 2**20 keep every int and fixed-point sum below in range; pictures up to
     * 2**28 pixels (256 megapixels, four times hipcare's largest film) bound the memory. */
    const Py_ssize_t limit = 1 << 20, most_pixels = (Py_ssize_t)1 << 28;
    if (width < 1 || height < 1 || new_width < 1 || new_height < 1 || width > limit ||
        height > limit || new_width > limit || new_height > limit) {
        PyErr_Format(PyExc_ValueError,
                     "sizes must be 1 to 1,048,576 pixels, not %zd x %zd to %zd x %zd", width,
                     height, new_width, new_height);
        goto done;
    }
    if (width * height > most_pixels || new_width * new_height > most_pixels) {
        PyErr_Format(PyExc_ValueError,
                     "pictures must have at most 268,435,456 pixels, not %zd x %zd to %zd x %zd",
                     width, height, new_width, new_height);
        goto done;
    }
    if (view.len / width < height) {
        PyErr_Format(PyExc_ValueError, "%zd x %zd greys need more than the %zd bytes given",
                     width, height, view.len);
        goto done;
    }
    if (fit_weights(&down, height, new_height) < 0 || fit_weights(&across, width, new_width) < 0) {
        goto done;
    }
    const int across_needed = new_width != width, down_needed = new_height != height;
    /* Pillow 13 runs the columns first when the height shrinks by more than twice as many
     * pixels as the width does (ImagingResampleInner); the order changes the rounding. */
    const int across_first =
        !((height - new_height) > 0 && (height - new_height) > (width - new_width) * 2);
    result = PyBytes_FromStringAndSize(NULL, new_width * new_height);
    if (result == NULL) {
        goto done;
    }
    const uint8_t *greys = view.buf;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    if (!across_needed && !down_needed) {
        memcpy(out, greys, (size_t)(width * height));
        goto done;
    }
    Py_ssize_t middle_rows = 0, top = 0;
    if (across_needed && down_needed) {
        if (across_first) {
            /* Only the rows the columns pass reads go through the rows pass. */
            top = down.first[0];
            middle_rows = down.first[new_height - 1] + down.count[new_height - 1] - top;
        }
        else {
            middle_rows = new_height;
        }
        middle = PyMem_Malloc((size_t)(middle_rows * (across_first ? new_width : width)));
    }
    sums = PyMem_Malloc((size_t)(across_first ? new_width : width) * sizeof(int32_t));
    if ((across_needed && down_needed && middle == NULL) || sums == NULL) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    if (!down_needed) {
        across_pass(greys, width, 0, height, &across, new_width, out);
    }
    else if (!across_needed) {
        down_pass(greys, width, 0, &down, new_height, sums, out);
    }
    else if (across_first) {
        across_pass(greys, width, top, middle_rows, &across, new_width, middle);
        down_pass(middle, new_width, top, &down, new_height, sums, out);
    }
    else {
        down_pass(greys, width, 0, &down, new_height, sums, middle);
        across_pass(middle, width, 0, new_height, &across, new_width, out);
    }
    Py_END_ALLOW_THREADS
done:
    fit_free(&across);
    fit_free(&down);
    PyMem_Free(middle);
    PyMem_Free(sums);
    PyBuffer_Release(&view);
    return result;
}

/* --- the display table ------------------------------------------------------------------ */

PyDoc_STRVAR(display_table_doc,
"display_table(bits_stored, bits_allocated, slope, intercept, centre, width, linear_exact,\n"
"              inverted) -> bytes\n\n"
"The 8-bit grey of every word of bits_allocated bits (2 ** bits_allocated bytes): the word\n"
"masked to bits_stored bits, rescaled (word * slope + intercept), windowed by the LINEAR or\n"
"LINEAR_EXACT VOI function of DICOM PS3.3 C.11.2.1.2 (LINEAR with a width of 1 or less is\n"
"a threshold), rounded half to even, inverted for MONOCHROME1. The same double arithmetic,\n"
"step for step, as hipcare.interop.preview.display_lut, so the same grey for every word.");

static PyObject *
display_table(PyObject *Py_UNUSED(module), PyObject *args)
{
    int bits_stored, bits_allocated, linear_exact, inverted;
    double slope, intercept, centre, width;
    if (!PyArg_ParseTuple(args, "iiddddpp:display_table", &bits_stored, &bits_allocated, &slope,
                          &intercept, &centre, &width, &linear_exact, &inverted)) {
        return NULL;
    }
    if ((bits_allocated != 8 && bits_allocated != 16) || bits_stored < 1 ||
        bits_stored > bits_allocated) {
        PyErr_Format(PyExc_ValueError,
                     "bits allocated must be 8 or 16 and bits stored 1 to that, not %d and %d",
                     bits_allocated, bits_stored);
        return NULL;
    }
    if (!isfinite(slope) || !isfinite(intercept) || !isfinite(centre) || !isfinite(width) ||
        width <= 0.0) {
        PyErr_SetString(PyExc_ValueError,
                        "slope, intercept, centre and width must be finite, the width above 0");
        return NULL;
    }
    const Py_ssize_t period = (Py_ssize_t)1 << bits_stored, total = (Py_ssize_t)1 << bits_allocated;
    PyObject *result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL) {
        return NULL;
    }
    uint8_t *greys = (uint8_t *)PyBytes_AS_STRING(result);
    const int threshold = !linear_exact && width <= 1.0;
    const double low = linear_exact ? centre : centre - 0.5;
    const double scale = linear_exact ? width : width - 1.0;
    for (Py_ssize_t word = 0; word < period; word++) {
        const double value = (double)word * slope + intercept;
        double fraction;
        if (threshold) {
            fraction = value > centre - 0.5 ? 1.0 : 0.0;
        }
        else {
            fraction = (value - low) / scale + 0.5;
        }
        if (isnan(fraction)) {
            Py_DECREF(result);
            PyErr_Format(PyExc_ValueError, "the window gives no grey for word %zd", word);
            return NULL;
        }
        fraction = fraction < 0.0 ? 0.0 : fraction > 1.0 ? 1.0 : fraction;
        /* nearbyint rounds half to even in the default rounding mode, as numpy's rint. */
        const int level = (int)nearbyint(fraction * 255.0);
        greys[word] = (uint8_t)(inverted ? 255 - level : level);
    }
    /* Words with bits above Bits Stored show as their masked value. */
    for (Py_ssize_t start = period; start < total; start += period) {
        memcpy(greys + start, greys, (size_t)period);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"extrema", extrema, METH_VARARGS, extrema_doc},
    {"window_block_means", window_block_means, METH_VARARGS, window_block_means_doc},
    {"fit_greys", fit_greys, METH_VARARGS, fit_greys_doc},
    {"display_table", display_table, METH_VARARGS, display_table_doc},
    {NULL, NULL, 0, NULL},
};

static int
check_host(PyObject *Py_UNUSED(module))
{
    const uint16_t probe = 1;
    uint8_t first;
    memcpy(&first, &probe, 1);
    if (first != 1) { /* the 16-bit loads above read DICOM's little-endian words as they are */
        PyErr_SetString(PyExc_ImportError, "hipcare_pixels needs a little-endian host");
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, check_host},
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hipcare_pixels._pixels",
    .m_doc = "Compiled pixel loops for hipcare's radiograph preview command (ADR 0011).",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__pixels(void)
{
    return PyModuleDef_Init(&module);
}

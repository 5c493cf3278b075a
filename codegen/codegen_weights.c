/*
 * codegen_weights.c: writing the weights blob fast.
 *
 * All constant data of a generated file lives in one
 *
 *     static _Alignas(64) const unsigned char PREFIX_weights[N] = "...";
 *
 * because compilers read one long string literal an order of magnitude
 * faster, and in a quarter of the memory, than an initializer list of
 * integers (a 50 MB blob of float weights: clang -O2 2.7 s / 0.45 GB as a
 * string, 15.9 s / 1.6 GB as a uint64_t hex array; gcc 7.1 s vs 36.8 s).
 *
 * Bytes are written as themselves when printable, except '"', '\\' and '?'
 * ('?' would start trigraphs), and as octal escapes otherwise: the shortest
 * form, or all three digits when an octal digit follows, since an escape
 * swallows up to three.  The literal is cut into lines of about 120
 * characters; an escape never spans a cut, as adjacent literals are joined
 * only after escapes are read.  Trailing zero bytes are left to the
 * array's zero fill.
 */
#include <string.h>

#include "codegen.h"

enum { BLOB_LINE = 120 };

void codegen_write_blob(Buf *out, const char *name, const unsigned char *data, size_t len, size_t size) {
    size_t lit = len;
    while (lit > 0 && data[lit - 1] == 0)
        lit--;
    if (size < lit + 1)
        size = lit + 1;
    buf_puts(out, "#if defined(__GNUC__)\n#pragma GCC diagnostic push\n"
                  "#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n"
                  "#pragma GCC diagnostic ignored \"-Wunused-variable\"\n"
                  "#pragma GCC diagnostic ignored \"-Wunused-const-variable\"\n#endif\n");
    buf_printf(out, "static _Alignas(64) const unsigned char %s[%zu] =\n", name, size);

    char chunk[1 << 16];
    size_t n = 0, col = 0;
    chunk[n++] = '"';
    for (size_t i = 0; i < lit; i++) {
        unsigned c = data[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
            chunk[n++] = (char)c;
            col++;
        } else {
            bool digit_next = i + 1 < lit && data[i + 1] >= '0' && data[i + 1] <= '7';
            chunk[n++] = '\\';
            if (c >= 64 || digit_next)
                chunk[n++] = (char)('0' + (c >> 6));
            if (c >= 8 || digit_next)
                chunk[n++] = (char)('0' + ((c >> 3) & 7));
            chunk[n++] = (char)('0' + (c & 7));
            col += 4;
        }
        if (col >= BLOB_LINE && i + 1 < lit) {
            memcpy(chunk + n, "\"\n\"", 3);
            n += 3;
            col = 0;
        }
        if (n > sizeof chunk - 16) {
            buf_write(out, chunk, n);
            n = 0;
        }
    }
    buf_write(out, chunk, n);
    buf_puts(out, "\";\n#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n#endif\n");
}

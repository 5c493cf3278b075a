/*
 * emit_image.c: the ImageDecoder kernel.
 *
 * The kernel is one call of dlcc_img_decode (runtime/image.h, pasted in
 * when the graph has an ImageDecoder) with the input's byte count, the
 * static output size [H, W] from shape inference (ir/shape_image.c), the
 * pixel format and the node's scratch.  The scratch holds the JPEG decoder
 * state and its component planes, PNG's gathered IDAT data and inflated
 * rows, or WebP's padded YUV planes (lossy) or ARGB images and prefix codes
 * (lossless), both within the JPEG bound, or JPEG 2000's tile planes,
 * code-blocks and tag trees (their own bound); its size depends only on the
 * input length and H, W, so it is fixed here.  The decoder's result is the
 * kernel's: 0, -DLCC_ERR_SHAPE for an image of another size, -DLCC_ERR_ARG
 * for bad or unsupported data.
 */
#include "codegen.h"
#include "../ir/shape_image.h"

/* Must match the layout of runtime/image.h (DLCC_IMG_STATE + the largest of
 * the PNG, JPEG and JPEG 2000 needs; WebP uses less than the JPEG term). */
static int64_t image_scratch_bytes(int64_t n, int64_t h, int64_t w) {
    int64_t png = n + h * (8 * w + 8) + 64;
    int64_t jpg = 9 * (w + 32) * (h + 32) + 4 * (w + 32); /* planes, progressive coefficients */
    /* JPEG 2000: 4 int32 planes of a tile, code-blocks and tag trees (at
     * most wh/16 + 4(w + h) + 800 code-blocks a component), the byte ranges
     * and a code-block's gathered bytes (both bounded by n), fixed state */
    int64_t j2k = 40 * w * h + 1536 * (w + h) + 40 * n + 524288;
    int64_t most = png > jpg ? png : jpg;
    return 32768 + (most > j2k ? most : j2k);
}

bool emit_image_decoder(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int64_t len = x->dims[0], h = y->dims[0], w = y->dims[1];
    int64_t bytes = image_scratch_bytes(len, h, w);
    emit_use_runtime(e, "image");
    const char *ws = emit_scratch(e, (size_t)bytes);
    emit_code(e, "return dlcc_img_decode(x0, %lld, y0, %lld, %lld, %d, (uint8_t *)%s, %lld);\n", (long long)len,
              (long long)h, (long long)w, image_pixel_format(n), ws, (long long)bytes);
    return true;
}

/*
 * shape_image.c: shape inference of ImageDecoder.
 *
 * The decoded image's size is in the data, known only at run time, so the
 * output's static shape is the one the ONNX model declares for it: the
 * reader copies it into the internal attribute __dims0 ("32,32,3" or
 * "H,W,3", names bound by --dim; see node_declared_dims), which the IR text
 * keeps, so a printed graph reads back with its shape and a .dl program
 * gives it the same way.  Without one it is an error.  C must be 3 for
 * pixel_format RGB and BGR, 1 for Grayscale; the generated code returns
 * -DLCC_ERR_SHAPE when an image has another size.
 */
#include "shape_image.h"

#include <stdlib.h>
#include <string.h>

int image_pixel_format(const Node *n) {
    const char *f = attr_string(n, "pixel_format", "RGB");
    if (!strcmp(f, "RGB"))
        return 0;
    if (!strcmp(f, "BGR"))
        return 1;
    if (!strcmp(f, "Grayscale"))
        return 2;
    return -1;
}

bool shape_image_decoder(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->dtype != DT_U8 || x->rank != 1)
        return node_error(c, n, "the encoded stream must be a 1-D u8 tensor, got %s", value_type_str(c->arena, x));
    int fmt = image_pixel_format(n);
    if (fmt < 0)
        return node_error(c, n, "pixel_format must be \"RGB\", \"BGR\" or \"Grayscale\", not \"%s\"",
                          attr_string(n, "pixel_format", ""));
    int64_t dims[DLCC_MAX_RANK];
    int rank;
    if (!node_declared_dims(n, c, 0, &rank, dims, NULL, 0))
        return node_error(c, n, "needs the output shape declared in the model or bound with --dim");
    if (rank != 3)
        return node_error(c, n, "the declared output shape must have rank 3 [H, W, C], has rank %d", rank);
    if (dims[0] <= 0 || dims[1] <= 0)
        return node_error(c, n, "the declared output shape [%lld, %lld, %lld] must be positive", (long long)dims[0],
                          (long long)dims[1], (long long)dims[2]);
    if (dims[2] != (fmt == 2 ? 1 : 3))
        return node_error(c, n, "pixel_format %s gives %d channels, but the output is declared with %lld",
                          attr_string(n, "pixel_format", "RGB"), fmt == 2 ? 1 : 3, (long long)dims[2]);
    value_set_shape(n->out[0], DT_U8, 3, dims);
    return true;
}

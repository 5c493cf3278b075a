/*
 * shape_image.h: what ImageDecoder's emitter (codegen/emit_image.c) shares
 * with its shape function (ir/shape_image.c).
 */
#ifndef DLCC_SHAPE_IMAGE_H
#define DLCC_SHAPE_IMAGE_H

#include "ir.h"

/* pixel_format as the runtime's code: 0 RGB, 1 BGR, 2 Grayscale; -1 when
 * the attribute names something else. */
int image_pixel_format(const Node *n);

#endif

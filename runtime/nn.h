/*
 * nn.h: headers the neural-network kernels (softmax, normalisation,
 * pooling) rely on.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

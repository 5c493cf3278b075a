/*
 * frontend.h: readers that turn a model file into a Graph.
 */
#ifndef DLCC_FRONTEND_H
#define DLCC_FRONTEND_H

#include "../ir/ir.h"

/* Reads an ONNX model.  External data files must live in the model's folder. */
Graph *onnx_load(Ctx *c, const char *path);
Graph *onnx_load_buffer(Ctx *c, const char *path, const uint8_t *data, size_t len);
/* Reads a .dl file (or text in memory, `path` used for locations). */
Graph *dsl_load(Ctx *c, const char *path);
Graph *dsl_parse(Ctx *c, const char *path, const char *text);
/* After shape inference: checks the .dl type annotations (`h: f32[1, 128] = ...`)
 * and that the train block's loss is a scalar f32 (located errors).  Uses the
 * source kept in c (source_text); true when there is none (ONNX). */
bool dsl_check_annotations(Graph *g, Ctx *c);
/* Reads a serialized TensorProto (.pb) into a constant Value (for dlcc run and tests). */
Value *onnx_load_tensor_pb(Ctx *c, Graph *g, const char *path);
/* Writes a tensor as a serialized TensorProto. */
bool onnx_write_tensor_pb(const char *path, const char *name, DType dt, int rank, const int64_t *dims, const void *data);

#endif

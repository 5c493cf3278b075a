/*
 * passes.h: graph-to-graph rewrites and the pipeline that runs them.
 *
 * Each pass is `bool pass_NAME(Graph *, Ctx *)`; passes/pipeline.c lists them
 * in order with the optimisation level they need.  `--print-after=NAME`
 * dumps the IR after a pass, `--verify-each` runs ir_verify after each.
 */
#ifndef DLCC_PASSES_H
#define DLCC_PASSES_H

#include "../ir/ir.h"

bool pass_bind_dims(Graph *g, Ctx *c);     /* --dim bindings; unbound symbols -> 1 with a warning */
bool pass_shape(Graph *g, Ctx *c);         /* shape inference: every value gets dtype and shape */
bool pass_fold(Graph *g, Ctx *c);          /* constant folding */
bool pass_dce(Graph *g, Ctx *c);           /* dead-code elimination */
bool pass_plan(Graph *g, Ctx *c);          /* memory planning: offsets in one arena */

/* Runs the whole pipeline for c->opt_level.  Returns false on error. */
bool pipeline_run(Graph *g, Ctx *c);

/* Result of memory planning, stored by pass_plan for codegen. */
typedef struct Plan {
    int64_t arena_bytes;    /* NET_STATE_SIZE */
    int64_t lower_bound;    /* largest total of simultaneously live tensors */
    int64_t sum_bytes;      /* sum of all planned tensors (no reuse) */
    int64_t *scratch_off;   /* per node: offset of its scratch, -1 if none */
    size_t *scratch_bytes;  /* per node */
} Plan;

/* The plan of the last pass_plan run on g (stored in the graph's arena). */
Plan *plan_of(const Graph *g);

#endif

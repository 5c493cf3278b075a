/*
 * pipeline.c: the pass pipeline, one table of named passes.
 *
 * Each row names a pass, the lowest -O level that runs it and what it
 * requires and keeps.  pipeline_run walks the table in order and stops at
 * the first pass that fails.  After every pass it runs the verifier when
 * --verify-each is given, and prints the IR to stderr when --print-after
 * names the pass (or --print-after-all).
 */
#include "passes.h"

#include "../frontend/frontend.h"

#include <string.h>

/* Parameters whose shape had symbolic dims get their initial values once
 * the dims are bound (frontends materialise the others at load time).  A
 * joint training graph read back from its IR text (Graph.train already set
 * by the .dl parser's state statements) keeps no data for its
 * zero-initialised state beyond the params (moments, step counter), as
 * pass_autodiff makes them: PREFIX_init zeroes the state anyway, and the
 * generated file carries no weights for them. */
static bool pass_init(Graph *g, Ctx *c) {
    if (!init_materialize(g, c, NULL))
        return false;
    const TrainInfo *ti = train_info_of(g);
    for (int i = ti ? ti->n_trainable : 0; ti && i < ti->n_state; i++)
        if (ti->state[i] && ti->state[i]->init.kind == INIT_ZEROS)
            ti->state[i]->data = NULL;
    return true;
}

/* .dl type annotations (`h: f32[1, 128] = ...`) are checked against the
 * inferred types; a no-op for ONNX models. */
static bool pass_check_types(Graph *g, Ctx *c) { return dsl_check_annotations(g, c); }

typedef struct PassRow {
    const char *name;
    bool (*fn)(Graph *, Ctx *);
    int min_opt;     /* runs at -O<min_opt> and above */
    bool train_only; /* runs only in training builds */
} PassRow;

static const PassRow passes[] = {
    /* requires: frontend graph; keeps: nodes.  Every dim concrete after it. */
    {"bind_dims", pass_bind_dims, 0, false},
    /* requires: frontend graph; outer-scope reads of If/Loop/Scan bodies
     * become explicit inputs of their nodes (passes/subgraph.c). */
    {"capture", pass_capture, 0, false},
    /* requires: concrete dims; keeps everything; fills parameter data. */
    {"init", pass_init, 0, false},
    /* requires: concrete input dims; gives every value a dtype and shape,
     * folds constant subgraphs as it goes. */
    {"shape", pass_shape, 0, false},
    /* requires: shapes; rewrites sequence/optional ops into tensor ops
     * (passes/sequence.c), then infers shapes again. */
    {"sequence", pass_sequence, 0, false},
    /* requires: shapes; keeps everything; checks .dl annotations. */
    {"check_types", pass_check_types, 0, false},
    /* requires: shapes, g->loss; adds backward and optimizer nodes with shapes. */
    /* requires: shapes; expands ONNX Gradient nodes (inference builds too). */
    {"gradient_ops", pass_gradient_ops, 0, false},
    {"autodiff", pass_autodiff, 0, true},
    /* requires: shapes; inlines If on a constant condition, then folds,
     * cleans and plans every subgraph body (passes/subgraph.c). */
    {"subgraphs", pass_subgraphs, 0, false},
    /* requires: shapes; sets data of nodes with constant inputs. */
    {"fold", pass_fold, 1, false},
    /* requires: shapes, folded data; inference builds only: folds
     * BatchNormalization into Conv and fuses Relu/LeakyRelu/Clip into the
     * Conv kernel (passes/fuse.c); leaves dead constants to dce. */
    {"fuse", pass_fuse, 1, false},
    /* requires: shapes; removes folded nodes (all levels) and unused ones (-O1+). */
    {"dce", pass_dce, 0, false},
    /* requires: final graph; sets Value.offset/alias and the Plan. */
    {"plan", pass_plan, 0, false},
};

#define N_PASSES ((int)(sizeof passes / sizeof passes[0]))

bool pipeline_has_pass(const char *name) {
    for (int i = 0; i < N_PASSES; i++)
        if (!strcmp(passes[i].name, name))
            return true;
    return false;
}

bool pipeline_run(Graph *g, Ctx *c) {
    if (c->print_after && !pipeline_has_pass(c->print_after)) {
        Loc loc = {0};
        Buf b = {0};
        for (int i = 0; i < N_PASSES; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", passes[i].name);
        diag_error(c, loc, "--print-after=%s: no such pass (passes: %s)", c->print_after, b.data);
        buf_free(&b);
        return false;
    }
    if (c->verify_each && !ir_verify(g, c))
        return false;
    for (int i = 0; i < N_PASSES; i++) {
        const PassRow *p = &passes[i];
        if (c->opt_level < p->min_opt || (p->train_only && !c->train))
            continue;
        if (!p->fn(g, c) || ctx_failed(c))
            return false;
        if (c->verify_each && !ir_verify(g, c))
            return false;
        if (c->print_after_all || (c->print_after && !strcmp(c->print_after, p->name))) {
            fprintf(stderr, "// IR after %s\n", p->name);
            ir_print(g, c, stderr, NULL, 16);
        }
    }
    return true;
}

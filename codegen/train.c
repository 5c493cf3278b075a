/*
 * train.c: the training API of generated files (API.md "Training build"):
 * PREFIX_NUM_TARGETS/NUM_PARAMS, the target and parameter descriptors,
 * PREFIX_train_step and PREFIX_param, and one extension: PREFIX_train_loss,
 * the training-mode loss without an update (gradient checks of dropout and
 * batch statistics, validation losses).
 *
 * The joint graph of pass_autodiff has already been planned and its
 * kernels written by codegen.c; every param (trainable ones, optimizer
 * moments, running statistics, the step counter) lives in the state.
 * PREFIX_train_step increments the step counter, runs the kernels needed
 * for the loss and the new state values (TrainInfo.next_out), reads the
 * loss, and copies each new value over its state slot.  PREFIX_run runs only
 * the inference nodes (codegen.c roots it at the model's outputs).
 */
#include <string.h>

#include "codegen.h"
#include "../passes/passes.h"

bool codegen_emit_train(Codegen *cg, Buf *decls, Buf *defs) {
    Graph *g = codegen_graph(cg);
    Ctx *c = codegen_ctx(cg);
    const TrainInfo *ti = train_info_of(g);
    const char *p = codegen_prefix(cg), *u = codegen_prefix_upper(cg);
    Loc none = {0};
    if (!ti)
        return diag_error(c, none, "internal error: training build without the autodiff pass");
    Value *loss = g->outputs[ti->n_user_outputs];

    buf_printf(decls, "\n/* Training build. */\n#define %s_NUM_TARGETS %d\n#define %s_NUM_PARAMS %d\n", u,
               g->n_targets, u, ti->n_trainable);
    buf_printf(decls, "extern const dlcc_tensor_desc %s_targets[%s];\n", p,
               g->n_targets ? arena_printf(c->arena, "%s_NUM_TARGETS", u) : "1");
    buf_printf(decls, "extern const dlcc_tensor_desc %s_params[%s];\n", p,
               ti->n_trainable ? arena_printf(c->arena, "%s_NUM_PARAMS", u) : "1");
    buf_printf(decls,
               "/* forward + backward + optimizer update, in place on the parameters in state.\n"
               "   *loss receives the loss computed before the update. */\n"
               "int    %s_train_step(void *state, const void *const inputs[],\n"
               "                      const void *const targets[], float *loss);\n"
               "void  *%s_param(void *state, int i);   /* parameter i, to save or load weights */\n"
               "/* dlcc extension: the loss of the training-mode forward (dropout active,\n"
               "   batch statistics) at the next step, without backward or update. */\n"
               "int    %s_train_loss(void *state, const void *const inputs[],\n"
               "                      const void *const targets[], double *loss);\n",
               p, p, p);

    buf_puts(defs, "\n");
    codegen_emit_descs(cg, defs, "targets", g->targets, g->n_targets);
    codegen_emit_descs(cg, defs, "params", ti->state, ti->n_trainable);

    /* PREFIX_train_step */
    buf_printf(defs, "\nint %s_train_step(void *state, const void *const inputs[], const void *const targets[], "
                     "float *loss) {\n", p);
    codegen_emit_prologue(cg, defs, true, false);
    const char *step = codegen_value_ptr(cg, ti->step, false);
    if (!step)
        return false;
    buf_printf(defs, "    *%s += 1;\n", step);
    int n_roots = 0;
    Value **roots = ARENA_ARRAY(c->arena, Value *, ti->n_state + 2);
    roots[n_roots++] = loss;
    for (int i = 0; i < ti->n_state; i++)
        if (ti->next_out[i] >= 0)
            roots[n_roots++] = g->outputs[ti->next_out[i]];
    if (!codegen_emit_calls(cg, defs, roots, n_roots))
        return false;
    const char *lp = codegen_value_ptr(cg, loss, true);
    if (!lp)
        return false;
    buf_printf(defs, "    if (loss)\n        *loss = (float)*%s;\n", lp);
    for (int i = 0; i < ti->n_state; i++) {
        if (ti->next_out[i] < 0)
            continue;
        const char *dst = codegen_value_ptr(cg, ti->state[i], false);
        const char *src = codegen_value_ptr(cg, g->outputs[ti->next_out[i]], true);
        if (!dst || !src)
            return false;
        buf_printf(defs, "    memcpy(%s, %s, %zu);\n", dst, src, value_bytes(ti->state[i]));
    }
    buf_puts(defs, "    (void)inputs;\n    (void)targets;\n    return 0;\n}\n");

    /* PREFIX_train_loss: the step counter is raised for the duration so
     * that dropout draws the masks of the next train step. */
    buf_printf(defs, "\nint %s_train_loss(void *state, const void *const inputs[], const void *const targets[], "
                     "double *loss) {\n", p);
    codegen_emit_prologue(cg, defs, true, false);
    buf_printf(defs, "    *%s += 1;\n", step);
    if (!codegen_emit_calls(cg, defs, &loss, 1))
        return false;
    buf_printf(defs, "    *%s -= 1;\n    if (loss)\n        *loss = (double)*%s;\n", step, lp);
    buf_puts(defs, "    (void)inputs;\n    (void)targets;\n    return 0;\n}\n");

    /* PREFIX_param */
    buf_printf(defs, "\nvoid *%s_param(void *state, int i) {\n    if (!state)\n        return NULL;\n"
                     "    switch (i) {\n", p);
    for (int i = 0; i < ti->n_trainable; i++) {
        const char *ptr = codegen_value_ptr(cg, ti->state[i], false);
        if (!ptr)
            return false;
        buf_printf(defs, "    case %d: return %s;\n", i, ptr);
    }
    buf_puts(defs, "    default: return NULL;\n    }\n}\n");
    return true;
}

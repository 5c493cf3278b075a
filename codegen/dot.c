/*
 * dot.c: the graph as Graphviz text (dlcc --emit=dot).
 *
 * Nodes are boxes labelled with the op and node name; graph inputs,
 * parameters and constants that nodes use are ellipses; every edge is a
 * value, labelled with its name and type; graph outputs end in a double
 * circle.  Subgraphs (If/Loop bodies) are not drawn, only named.
 */
#include "codegen.h"

static void dot_escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* The dot id of the thing that defines v. */
static void dot_source(FILE *f, const Value *v) {
    if (v->kind == VK_NODE && v->def)
        fprintf(f, "n%d", v->def->id);
    else
        fprintf(f, "v%d", v->id);
}

bool dot_print(Graph *g, Ctx *c, FILE *f) {
    fputs("digraph \"", f);
    dot_escape(f, g->name);
    fputs("\" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
          "  edge [fontname=\"Helvetica\", fontsize=8];\n",
          f);
    for (int i = 0; i < g->n_values; i++) {
        const Value *v = g->values[i];
        if (v->kind == VK_NODE)
            continue;
        const char *style = v->kind == VK_INPUT || v->kind == VK_TARGET ? "shape=ellipse, style=filled, fillcolor=lightblue"
                            : v->kind == VK_PARAM                       ? "shape=ellipse, style=filled, fillcolor=khaki"
                                                                        : "shape=ellipse, style=filled, fillcolor=gray90";
        fprintf(f, "  v%d [%s, label=\"", v->id, style);
        dot_escape(f, v->name);
        fputs("\\n", f);
        dot_escape(f, value_type_str(c->arena, v));
        fputs("\"];\n", f);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = g->nodes[i];
        fprintf(f, "  n%d [shape=box, style=rounded, label=\"", n->id);
        dot_escape(f, node_info(n)->name);
        if (n->name) {
            fputs("\\n", f);
            dot_escape(f, n->name);
        }
        for (int k = 0; k < n->n_attrs; k++)
            if (n->attrs[k].kind == AT_GRAPH || n->attrs[k].kind == AT_GRAPHS) {
                fputs("\\n[subgraph ", f);
                dot_escape(f, n->attrs[k].name);
                fputs("]", f);
            }
        fputs("\"];\n", f);
        for (int k = 0; k < n->n_in; k++) {
            const Value *v = n->in[k];
            if (!v)
                continue;
            fputs("  ", f);
            dot_source(f, v);
            fprintf(f, " -> n%d [label=\"", n->id);
            dot_escape(f, v->name);
            if (v->rank >= 0) {
                fputs("\\n", f);
                dot_escape(f, value_type_str(c->arena, v));
            }
            fputs("\"];\n", f);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const Value *v = g->outputs[i];
        fprintf(f, "  out%d [shape=doublecircle, label=\"", i);
        dot_escape(f, v->name);
        fputs("\"];\n  ", f);
        dot_source(f, v);
        fprintf(f, " -> out%d;\n", i);
    }
    fputs("}\n", f);
    return !ferror(f);
}

#include "expr.h"
#include "cd_i18n.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum expr_op {
    EXPR_NUM, EXPR_VAR,
    EXPR_ADD, EXPR_SUB, EXPR_MUL, EXPR_DIV, EXPR_POW,
    EXPR_NEG, EXPR_SQRT, EXPR_EXP, EXPR_LOG, EXPR_SIN, EXPR_COS, EXPR_TAN, EXPR_ABS,
    EXPR_SIGN, /* only produced by differentiation of abs */
};

struct node {
    enum expr_op op;
    int a, b;      /* operands: indices of earlier nodes, -1 when absent */
    int var;       /* EXPR_VAR: index into the variable vector */
    double num;    /* EXPR_NUM */
};

/* Every operand comes before the node that uses it and the root is the last
 * node; every node is reachable from the root (expr_uses and the evaluators
 * rely on that), which the parser gives by construction and expr_diff by
 * keeping only what its result reaches. */
struct expr {
    struct node *node;
    size_t n, cap;
};

static int is_binary(enum expr_op op)
{
    return op >= EXPR_ADD && op <= EXPR_POW;
}

/* ---------------------------------------------------------------- nodes */

/* A list being built, with a limit on its length. Once a push fails every
 * later push fails too, so a whole derivative can be built without checking
 * each step, and the failure is looked at once at the end. */
struct tape {
    struct expr *e;
    size_t limit;
    int failed;    /* 0, CD_ERR_NOMEM or TAPE_FULL */
};

#define TAPE_FULL 1

static int push(struct tape *t, enum expr_op op, int a, int b, double num, int var)
{
    if (t->failed)
        return -1;
    if ((a < 0 && op != EXPR_NUM && op != EXPR_VAR) || (is_binary(op) && b < 0))
        return -1;
    struct expr *e = t->e;
    if (e->n >= t->limit) {
        t->failed = TAPE_FULL;
        return -1;
    }
    if (e->n == e->cap) {
        size_t want = e->cap < 16 ? 16 : e->cap * 2;
        if (want > t->limit)
            want = t->limit;
        struct node *p = realloc(e->node, want * sizeof *p);
        if (p == NULL) {
            t->failed = CD_ERR_NOMEM;
            return -1;
        }
        e->node = p;
        e->cap = want;
    }
    e->node[e->n] = (struct node){.op = op, .a = a, .b = b, .var = var, .num = num};
    return (int)e->n++;
}

static int num(struct tape *t, double v)
{
    return push(t, EXPR_NUM, -1, -1, v, 0);
}

void expr_free(struct expr *e)
{
    if (e == NULL)
        return;
    free(e->node);
    free(e);
}

struct expr *expr_copy(const struct expr *e)
{
    if (e == NULL)
        return NULL;
    struct expr *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->node = malloc(e->n * sizeof *c->node);
    if (c->node == NULL) {
        free(c);
        return NULL;
    }
    memcpy(c->node, e->node, e->n * sizeof *c->node);
    c->n = c->cap = e->n;
    return c;
}

size_t expr_size(const struct expr *e)
{
    return e != NULL ? e->n : 0;
}

/* ---------------------------------------------------------------- parser */

/* Recursive descent; the recursion is bounded by EXPR_MAX_DEPTH (enter()),
 * at most five frames a level (primary, sum, product, unary, power). A sum
 * or product is a loop and goes as long as EXPR_MAX_NODES allows. */
struct parser {
    const char *text;
    size_t len;
    const char *p;
    expr_lookup_fn lookup;
    void *ctx;
    const char *where;
    struct cd_err *err;
    struct tape t;
    int failed;
    int depth;
};

static int parse_sum(struct parser *ps);
static int parse_unary(struct parser *ps);

static int column(const struct parser *ps)
{
    return (int)(ps->p - ps->text) + 1;
}

/* Expressions longer than this are quoted only around the place of the
 * error: the whole text quoted first would fill the message (CD_ERR_MSG_MAX)
 * and cut off the reason (issue 14: 50,000 parentheses). */
#define QUOTE_WHOLE 60
#define QUOTE_AROUND 24

static int utf8_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* The expression in quotes: whole, or "...part..." around the error. */
static void quote(const struct parser *ps, char *out, size_t size)
{
    if (ps->len <= QUOTE_WHOLE) {
        snprintf(out, size, "\"%s\"", ps->text);
        return;
    }
    size_t at = (size_t)(ps->p - ps->text);
    size_t from = at > QUOTE_AROUND ? at - QUOTE_AROUND : 0;
    size_t to = at + QUOTE_AROUND < ps->len ? at + QUOTE_AROUND : ps->len;
    /* whole characters only, so the message stays valid UTF-8 */
    while (from > 0 && utf8_continuation(ps->text[from]))
        from--;
    while (to < ps->len && utf8_continuation(ps->text[to]))
        to++;
    snprintf(out, size, "\"%s%.*s%s\"", from > 0 ? "..." : "", (int)(to - from),
             ps->text + from, to < ps->len ? "..." : "");
}

/* "column 5", or "column 201 of 100001" when the expression is quoted only
 * in part. */
static void place(const struct parser *ps, char *out, size_t size)
{
    if (ps->len <= QUOTE_WHOLE)
        snprintf(out, size, "column %d", column(ps));
    else
        snprintf(out, size, _("column %d of %zu"), column(ps), ps->len);
}

/* Reports "WHERE: expression "TEXT": WHAT"; WHAT says where in the text
 * (callers build that with place()). */
static int report(struct parser *ps, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int report(struct parser *ps, int code, const char *fmt, ...)
{
    if (!ps->failed) {
        char quoted[2 * QUOTE_AROUND + QUOTE_WHOLE + 16];
        char what[CD_ERR_MSG_MAX];
        quote(ps, quoted, sizeof quoted);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        cd_fail(ps->err, code, _("%s: expression %s: %s"), ps->where, quoted, what);
    }
    ps->failed = 1;
    return -1;
}

static int syntax(struct parser *ps, const char *what)
{
    char at[64];
    if (*ps->p == '\0')
        return report(ps, CD_ERR_PARSE, _("%s at end of expression"), what);
    place(ps, at, sizeof at);
    return report(ps, CD_ERR_PARSE, _("%s at %s ('%c')"), what, at, *ps->p);
}

/* A node, or the error that the list is full or memory short. */
static int node(struct parser *ps, enum expr_op op, int a, int b, double v, int var)
{
    int i = push(&ps->t, op, a, b, v, var);
    if (i >= 0 || ps->failed)
        return i;
    if (ps->t.failed == CD_ERR_NOMEM) {
        if (!ps->failed)
            cd_fail(ps->err, CD_ERR_NOMEM, _("%s: out of memory parsing expression"), ps->where);
        ps->failed = 1;
        return -1;
    }
    char at[64];
    place(ps, at, sizeof at);
    return report(ps, CD_ERR_PARSE,
                  _("more than %d numbers, names and operations (the limit of one expression) "
                  "at %s"),
                  EXPR_MAX_NODES, at);
}

/* One more level of nesting at the current character, or the error that
 * there are too many. */
static int enter(struct parser *ps)
{
    if (ps->depth >= EXPR_MAX_DEPTH) {
        char at[64];
        place(ps, at, sizeof at);
        return report(ps, CD_ERR_PARSE,
                      _("nested more than %d levels deep (parentheses, function arguments, signs "
                      "and powers each count) at %s"),
                      EXPR_MAX_DEPTH, at);
    }
    ps->depth++;
    return 0;
}

static void leave(struct parser *ps)
{
    ps->depth--;
}

static void skip_space(struct parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static const struct {
    const char *name;
    enum expr_op op;
} functions[] = {
    {"sqrt", EXPR_SQRT}, {"exp", EXPR_EXP}, {"log", EXPR_LOG}, {"ln", EXPR_LOG},
    {"sin", EXPR_SIN},   {"cos", EXPR_COS}, {"tan", EXPR_TAN}, {"abs", EXPR_ABS},
};

/* '(' sum ')' with the '(' at ps->p; the caller makes the node. */
static int parse_parenthesised(struct parser *ps)
{
    if (enter(ps) != 0)
        return -1;
    ps->p++;
    int e = parse_sum(ps);
    leave(ps);
    if (e < 0)
        return -1;
    skip_space(ps);
    if (*ps->p != ')')
        return syntax(ps, "expected ')'");
    ps->p++;
    return e;
}

static int parse_name(struct parser *ps)
{
    const char *start = ps->p;
    while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
        ps->p++;
    size_t len = (size_t)(ps->p - start);
    char name[128];
    if (len >= sizeof name) {
        ps->p = start;
        return syntax(ps, _("name too long"));
    }
    memcpy(name, start, len);
    name[len] = '\0';
    skip_space(ps);

    char at[64];
    if (*ps->p == '(') {
        for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
            if (strcmp(functions[i].name, name) != 0)
                continue;
            int arg = parse_parenthesised(ps);
            if (arg < 0)
                return -1;
            return node(ps, functions[i].op, arg, -1, 0.0, 0);
        }
        ps->p = start;
        place(ps, at, sizeof at);
        return report(ps, CD_ERR_PARSE,
                      _("unknown function '%s' at %s (known: sqrt exp log sin cos tan abs)"), name,
                      at);
    }

    int index = -1;
    double value = 0.0;
    int kind = ps->lookup != NULL ? ps->lookup(ps->ctx, name, &index, &value) : 0;
    if (kind == 0) {
        ps->p = start;
        place(ps, at, sizeof at);
        return report(ps, CD_ERR_NOT_FOUND, _("unknown name '%s' at %s (not an input or constant)"),
                      name, at);
    }
    if (kind == 1)
        return node(ps, EXPR_VAR, -1, -1, 0.0, index);
    return node(ps, EXPR_NUM, -1, -1, value, 0);
}

static int parse_number(struct parser *ps)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(ps->p, &end);
    if (end == ps->p)
        return syntax(ps, "expected a number");
    if (errno == ERANGE || !isfinite(v))
        return syntax(ps, _("number out of range"));
    ps->p = end;
    return node(ps, EXPR_NUM, -1, -1, v, 0);
}

static int parse_primary(struct parser *ps)
{
    skip_space(ps);
    char c = *ps->p;
    if (c == '(')
        return parse_parenthesised(ps);
    if (isdigit((unsigned char)c) || c == '.')
        return parse_number(ps);
    if (isalpha((unsigned char)c) || c == '_')
        return parse_name(ps);
    if (c == '\0')
        return syntax(ps, _("expected a number, name or '('"));
    return syntax(ps, _("unexpected character"));
}

/* power := primary ['^' unary]   (right associative; -x^2 is -(x^2)) */
static int parse_power(struct parser *ps)
{
    int base = parse_primary(ps);
    if (base < 0)
        return -1;
    skip_space(ps);
    if (*ps->p != '^')
        return base;
    if (enter(ps) != 0)
        return -1;
    ps->p++;
    int exponent = parse_unary(ps);
    leave(ps);
    if (exponent < 0)
        return -1;
    return node(ps, EXPR_POW, base, exponent, 0.0, 0);
}

static int parse_unary(struct parser *ps)
{
    skip_space(ps);
    if (*ps->p == '-' || *ps->p == '+') {
        char sign = *ps->p;
        if (enter(ps) != 0)
            return -1;
        ps->p++;
        int a = parse_unary(ps);
        leave(ps);
        if (a < 0 || sign == '+')
            return a;
        return node(ps, EXPR_NEG, a, -1, 0.0, 0);
    }
    return parse_power(ps);
}

static int parse_product(struct parser *ps)
{
    int left = parse_unary(ps);
    while (left >= 0) {
        skip_space(ps);
        char c = *ps->p;
        if (c != '*' && c != '/')
            break;
        ps->p++;
        int right = parse_unary(ps);
        if (right < 0)
            return -1;
        left = node(ps, c == '*' ? EXPR_MUL : EXPR_DIV, left, right, 0.0, 0);
    }
    return left;
}

static int parse_sum(struct parser *ps)
{
    int left = parse_product(ps);
    while (left >= 0) {
        skip_space(ps);
        char c = *ps->p;
        if (c != '+' && c != '-')
            break;
        ps->p++;
        int right = parse_product(ps);
        if (right < 0)
            return -1;
        left = node(ps, c == '+' ? EXPR_ADD : EXPR_SUB, left, right, 0.0, 0);
    }
    return left;
}

struct expr *expr_parse(const char *text, expr_lookup_fn lookup, void *ctx, const char *where,
                        struct cd_err *err)
{
    struct expr *e = calloc(1, sizeof *e);
    if (e == NULL) {
        cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory parsing expression"),
                where != NULL ? where : "model");
        return NULL;
    }
    struct parser ps = {
        .text = text, .len = strlen(text), .p = text, .lookup = lookup, .ctx = ctx,
        .where = where != NULL ? where : "model", .err = err,
        .t = {.e = e, .limit = EXPR_MAX_NODES},
    };
    int root = parse_sum(&ps);
    if (root >= 0) {
        skip_space(&ps);
        if (*ps.p != '\0')
            root = syntax(&ps, _("unexpected character after expression"));
    }
    if (root < 0) {
        expr_free(e);
        return NULL;
    }
    /* The last node made is the root: every node is made after its operands
     * and the root after everything. */
    return e;
}

/* ---------------------------------------------------------------- evaluation */

static double apply(enum expr_op op, double a, double b)
{
    switch (op) {
    case EXPR_ADD: return a + b;
    case EXPR_SUB: return a - b;
    case EXPR_MUL: return a * b;
    case EXPR_DIV: return a / b;
    case EXPR_POW: return pow(a, b);
    case EXPR_NEG: return -a;
    case EXPR_SQRT: return sqrt(a);
    case EXPR_EXP: return exp(a);
    case EXPR_LOG: return log(a);
    case EXPR_SIN: return sin(a);
    case EXPR_COS: return cos(a);
    case EXPR_TAN: return tan(a);
    case EXPR_ABS: return fabs(a);
    case EXPR_SIGN: return (a > 0) - (a < 0);
    case EXPR_NUM:
    case EXPR_VAR:
        break;
    }
    return NAN;
}

double expr_eval(const struct expr *e, const double *vars)
{
    /* Models are small: most evaluate without touching the heap. */
    double small[64];
    double *v = e->n <= sizeof small / sizeof small[0] ? small : malloc(e->n * sizeof *v);
    if (v == NULL)
        return NAN;
    for (size_t i = 0; i < e->n; i++) {
        const struct node *x = &e->node[i];
        switch (x->op) {
        case EXPR_NUM: v[i] = x->num; break;
        case EXPR_VAR: v[i] = vars[x->var]; break;
        default: v[i] = apply(x->op, v[x->a], x->b >= 0 ? v[x->b] : 0.0); break;
        }
    }
    double y = v[e->n - 1];
    if (v != small)
        free(v);
    return y;
}

/* ---------------------------------------------------------------- simplification */

static int is_num(const struct tape *t, int i, double v)
{
    return i >= 0 && t->e->node[i].op == EXPR_NUM && t->e->node[i].num == v;
}

int expr_is_zero(const struct expr *e)
{
    const struct node *root = &e->node[e->n - 1];
    return root->op == EXPR_NUM && root->num == 0.0;
}

int expr_uses(const struct expr *e, int v)
{
    if (e == NULL)
        return 0;
    /* every node is reachable from the root (struct expr) */
    for (size_t i = 0; i < e->n; i++)
        if (e->node[i].op == EXPR_VAR && e->node[i].var == v)
            return 1;
    return 0;
}

/* op(a, b) on the tape, folding constants and the identities that keep
 * derivatives small (0*x, 1*x, x+0, x^1, ...); the same rules, in the same
 * order, as when expressions were trees, so sensitivities are unchanged to
 * the last bit. -1 when an operand is -1 or the tape is full. */
static int make(struct tape *t, enum expr_op op, int a, int b)
{
    if (a < 0 || (is_binary(op) && b < 0))
        return -1;
    /* copies: pushing may move the nodes */
    const struct node na = t->e->node[a];
    const struct node nb = b >= 0 ? t->e->node[b] : (struct node){.op = EXPR_VAR, .a = -1, .b = -1};
    int a_num = na.op == EXPR_NUM;
    int b_num = b >= 0 && nb.op == EXPR_NUM;
    if (a_num && (b < 0 || b_num) && op != EXPR_SIGN) {
        double v = apply(op, na.num, b >= 0 ? nb.num : 0.0);
        if (isfinite(v))
            return num(t, v);
    }
    switch (op) {
    case EXPR_ADD:
        if (is_num(t, a, 0))
            return b;
        if (is_num(t, b, 0))
            return a;
        break;
    case EXPR_SUB:
        if (is_num(t, b, 0))
            return a;
        if (is_num(t, a, 0))
            return make(t, EXPR_NEG, b, -1);
        break;
    case EXPR_MUL:
        if (is_num(t, a, 0) || is_num(t, b, 0))
            return num(t, 0.0);
        if (is_num(t, a, 1))
            return b;
        if (is_num(t, b, 1))
            return a;
        if (is_num(t, a, -1))
            return make(t, EXPR_NEG, b, -1);
        break;
    case EXPR_DIV:
        if (is_num(t, a, 0))
            return num(t, 0.0);
        if (is_num(t, b, 1))
            return a;
        break;
    case EXPR_POW:
        if (is_num(t, b, 1))
            return a;
        if (is_num(t, b, 0))
            return num(t, 1.0);
        break;
    case EXPR_NEG:
        if (na.op == EXPR_NEG)
            return na.a;
        break;
    default:
        break;
    }
    return push(t, op, a, b, 0.0, 0);
}

/* ---------------------------------------------------------------- derivatives */

/* The nodes of `e` that the root at `root` reaches, in a list of their own.
 * A loop from the root down marks operands (they come earlier), a loop up
 * copies and renumbers. */
static struct expr *extract(const struct expr *e, int root)
{
    size_t n = (size_t)root + 1;
    unsigned char *keep = calloc(n, 1);
    int *map = malloc(n * sizeof *map);
    struct expr *out = calloc(1, sizeof *out);
    if (keep == NULL || map == NULL || out == NULL)
        goto fail;
    keep[root] = 1;
    size_t count = 0;
    for (size_t i = n; i-- > 0;) {
        if (!keep[i])
            continue;
        count++;
        if (e->node[i].a >= 0)
            keep[e->node[i].a] = 1;
        if (e->node[i].b >= 0)
            keep[e->node[i].b] = 1;
    }
    out->node = malloc(count * sizeof *out->node);
    if (out->node == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        struct node x = e->node[i];
        if (x.a >= 0)
            x.a = map[x.a];
        if (x.b >= 0)
            x.b = map[x.b];
        map[i] = (int)out->n;
        out->node[out->n++] = x;
    }
    out->cap = count;
    free(keep);
    free(map);
    return out;
fail:
    free(keep);
    free(map);
    expr_free(out);
    return NULL;
}

/* Forward mode over the list: d[i] is the node of d(node i)/d var, built
 * from the nodes of e it needs (shared, not copied) and the d[] of its
 * operands, so the work and the size are linear in the size of e. */
static int derive(struct tape *t, const struct expr *e, int v, int *d, unsigned char *dep)
{
    int zero = num(t, 0.0);
    for (size_t i = 0; i < e->n && !t->failed; i++) {
        const struct node x = e->node[i];
        int me = (int)i;
        int a = x.a;
        int b = x.b;
        if (x.op == EXPR_VAR)
            dep[i] = x.var == v;
        else
            dep[i] = (a >= 0 && dep[a]) || (b >= 0 && dep[b]);
        if (!dep[i]) {
            d[i] = zero;
            continue;
        }
        int da = a >= 0 ? d[a] : -1;
        int db = b >= 0 ? d[b] : -1;
        switch (x.op) {
        case EXPR_NUM:
        case EXPR_SIGN:
            d[i] = zero;
            break;
        case EXPR_VAR:
            d[i] = num(t, 1.0);
            break;
        case EXPR_ADD:
        case EXPR_SUB:
            d[i] = make(t, x.op, da, db);
            break;
        case EXPR_NEG:
            d[i] = make(t, EXPR_NEG, da, -1);
            break;
        case EXPR_MUL:
            /* a'b + ab' */
            d[i] = make(t, EXPR_ADD, make(t, EXPR_MUL, da, b), make(t, EXPR_MUL, a, db));
            break;
        case EXPR_DIV:
            /* a'/b - a b'/b^2 */
            d[i] = make(t, EXPR_SUB, make(t, EXPR_DIV, da, b),
                        make(t, EXPR_DIV, make(t, EXPR_MUL, a, db),
                             make(t, EXPR_POW, b, num(t, 2.0))));
            break;
        case EXPR_POW:
            if (!dep[b]) {
                /* b a^(b-1) a' */
                d[i] = make(t, EXPR_MUL,
                            make(t, EXPR_MUL, b,
                                 make(t, EXPR_POW, a, make(t, EXPR_SUB, b, num(t, 1.0)))),
                            da);
                break;
            }
            /* a^b (b' log a + b a'/a) */
            d[i] = make(t, EXPR_MUL, me,
                        make(t, EXPR_ADD, make(t, EXPR_MUL, db, make(t, EXPR_LOG, a, -1)),
                             make(t, EXPR_DIV, make(t, EXPR_MUL, b, da), a)));
            break;
        case EXPR_SQRT:
            /* a' / (2 sqrt a) */
            d[i] = make(t, EXPR_DIV, da, make(t, EXPR_MUL, num(t, 2.0), me));
            break;
        case EXPR_EXP:
            d[i] = make(t, EXPR_MUL, me, da);
            break;
        case EXPR_LOG:
            d[i] = make(t, EXPR_DIV, da, a);
            break;
        case EXPR_SIN:
            d[i] = make(t, EXPR_MUL, make(t, EXPR_COS, a, -1), da);
            break;
        case EXPR_COS:
            d[i] = make(t, EXPR_NEG, make(t, EXPR_MUL, make(t, EXPR_SIN, a, -1), da), -1);
            break;
        case EXPR_TAN:
            /* a' / cos^2 a */
            d[i] = make(t, EXPR_DIV, da, make(t, EXPR_POW, make(t, EXPR_COS, a, -1), num(t, 2.0)));
            break;
        case EXPR_ABS:
            d[i] = make(t, EXPR_MUL, make(t, EXPR_SIGN, a, -1), da);
            break;
        }
    }
    return t->failed ? -1 : d[e->n - 1];
}

struct expr *expr_diff(const struct expr *e, int v, struct cd_err *err)
{
    size_t n = e->n;
    struct expr *work = calloc(1, sizeof *work);
    int *d = malloc(n * sizeof *d);
    unsigned char *dep = malloc(n);
    struct expr *out = NULL;
    if (work == NULL || d == NULL || dep == NULL)
        goto nomem;
    /* The derivative refers to the nodes of e by their index: start from a
     * copy of them. */
    work->cap = n + n / 2 + 16;
    work->node = malloc(work->cap * sizeof *work->node);
    if (work->node == NULL)
        goto nomem;
    memcpy(work->node, e->node, n * sizeof *e->node);
    work->n = n;
    struct tape t = {.e = work, .limit = EXPR_MAX_DERIVED_NODES};
    int root = derive(&t, e, v, d, dep);
    if (t.failed == TAPE_FULL) {
        cd_fail(err, CD_ERR_UNSUPPORTED,
                _("the derivative needs more than %d nodes (the limit; the expression has %zu)"),
                EXPR_MAX_DERIVED_NODES, n);
        goto done;
    }
    if (root < 0 || (out = extract(work, root)) == NULL)
        goto nomem;
    goto done;
nomem:
    cd_fail(err, CD_ERR_NOMEM, _("out of memory differentiating an expression"));
done:
    expr_free(work);
    free(d);
    free(dep);
    return out;
}

/* ---------------------------------------------------------------- compiled form */

/* Each instruction writes one register (a block of EXPR_BLOCK doubles).
 * Variables are not copied: their "register" is the input column itself. */
struct instr {
    enum expr_op op;
    int dst;
    int a, b;      /* operand slots: >= 0 register, < 0 variable -(index+1) */
    double k;      /* EXPR_NUM: the constant; K_LEFT, K_RIGHT: the constant operand */
    enum { K_NONE, K_LEFT, K_RIGHT } kform; /* + - * / with a constant as a or b */
};

/* An operation that can take a constant operand as a number instead of a
 * register: a constant read only by these gets no register, which saves a
 * pass filling EXPR_BLOCK doubles with it in every block (issue 21: the
 * constants of JCGM 101 9.3 were 5 of its 13 passes). */
static bool takes_k(enum expr_op op)
{
    return op == EXPR_ADD || op == EXPR_SUB || op == EXPR_MUL || op == EXPR_DIV;
}

struct expr_prog {
    size_t n_instr;
    size_t n_regs;
    int result;    /* slot of the result */
    struct instr *code;
};

/* One instruction a node, in the list's order. A register is reused once
 * the last node that reads it is done, so a long sum needs a few registers
 * and not one per term (each is EXPR_BLOCK doubles in every Monte Carlo
 * thread); the destination is taken before the operands are given back, so
 * it never aliases them (the evaluator's restrict pointers rely on that). */
struct expr_prog *expr_compile(const struct expr *e)
{
    size_t n = e->n;
    struct expr_prog *p = calloc(1, sizeof *p);
    int *slot = malloc(n * sizeof *slot);
    size_t *last = malloc(n * sizeof *last);
    int *spare = malloc(n * sizeof *spare);
    bool *inl = malloc(n * sizeof *inl); /* a constant taken as a number */
    if (p == NULL || slot == NULL || last == NULL || spare == NULL || inl == NULL ||
        (p->code = calloc(n, sizeof *p->code)) == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++)
        inl[i] = e->node[i].op == EXPR_NUM && i != n - 1;
    for (size_t i = 0; i < n; i++) {
        const struct node *x = &e->node[i];
        bool k_ok = takes_k(x->op);
        if (x->a >= 0 && !k_ok)
            inl[x->a] = false;
        if (x->b >= 0 && (!k_ok || x->b == x->a || e->node[x->a].op == EXPR_NUM))
            inl[x->b] = false; /* one constant operand an instruction */
    }
    for (size_t i = 0; i < n; i++) {
        last[i] = i;
        if (e->node[i].a >= 0)
            last[e->node[i].a] = i;
        if (e->node[i].b >= 0)
            last[e->node[i].b] = i;
    }
    size_t n_spare = 0;
    for (size_t i = 0; i < n; i++) {
        const struct node *x = &e->node[i];
        if (x->op == EXPR_VAR) {
            slot[i] = -(x->var + 1);
            continue;
        }
        if (inl[i]) {
            slot[i] = INT_MIN; /* never read: its users take the number */
            continue;
        }
        struct instr *in = &p->code[p->n_instr++];
        in->op = x->op;
        in->dst = n_spare > 0 ? spare[--n_spare] : (int)p->n_regs++;
        in->a = x->a >= 0 ? slot[x->a] : 0;
        in->b = x->b >= 0 ? slot[x->b] : 0;
        in->k = x->num;
        if (x->a >= 0 && inl[x->a]) {
            in->kform = K_LEFT;
            in->k = e->node[x->a].num;
        } else if (x->b >= 0 && inl[x->b]) {
            in->kform = K_RIGHT;
            in->k = e->node[x->b].num;
        }
        slot[i] = in->dst;
        /* x^2 is common in models and pow() is slow: square by multiplying. */
        if (x->op == EXPR_POW && e->node[x->b].op == EXPR_NUM && e->node[x->b].num == 2.0) {
            in->op = EXPR_MUL;
            in->b = in->a;
        }
        if (x->a >= 0 && last[x->a] == i && slot[x->a] >= 0)
            spare[n_spare++] = slot[x->a];
        if (x->b >= 0 && x->b != x->a && last[x->b] == i && slot[x->b] >= 0)
            spare[n_spare++] = slot[x->b];
    }
    p->result = slot[n - 1];
    free(slot);
    free(last);
    free(spare);
    free(inl);
    return p;
fail:
    free(slot);
    free(last);
    free(spare);
    free(inl);
    expr_prog_free(p);
    return NULL;
}

void expr_prog_free(struct expr_prog *p)
{
    if (p == NULL)
        return;
    free(p->code);
    free(p);
}

size_t expr_prog_registers(const struct expr_prog *p)
{
    return p->n_regs;
}

static const double *slot_of(int s, const double *const *columns, double *scratch)
{
    if (s < 0)
        return columns[-s - 1];
    return scratch + (size_t)s * EXPR_BLOCK;
}

void expr_prog_eval_block(const struct expr_prog *p, const double *const *columns, size_t n,
                          double *scratch, double *out)
{
    bool written = false;
    for (size_t i = 0; i < p->n_instr; i++) {
        const struct instr *in = &p->code[i];
        double *restrict d = scratch + (size_t)in->dst * EXPR_BLOCK;
        if (i + 1 == p->n_instr && in->dst == p->result) {
            d = out; /* the root writes the caller's array, not a register */
            written = true;
        }
        size_t t;
        if (in->kform != K_NONE) {
            const double k = in->k;
            const double *restrict v = slot_of(in->kform == K_LEFT ? in->b : in->a, columns,
                                               scratch);
            bool left = in->kform == K_LEFT;
            switch (in->op) {
            case EXPR_ADD: for (t = 0; t < n; t++) d[t] = v[t] + k; break;
            case EXPR_MUL: for (t = 0; t < n; t++) d[t] = v[t] * k; break;
            case EXPR_SUB:
                if (left)
                    for (t = 0; t < n; t++) d[t] = k - v[t];
                else
                    for (t = 0; t < n; t++) d[t] = v[t] - k;
                break;
            case EXPR_DIV:
                if (left)
                    for (t = 0; t < n; t++) d[t] = k / v[t];
                else
                    for (t = 0; t < n; t++) d[t] = v[t] / k;
                break;
            default: break; /* only + - * / take a constant (takes_k) */
            }
            continue;
        }
        const double *restrict a = in->op == EXPR_NUM ? NULL : slot_of(in->a, columns, scratch);
        const double *restrict b = is_binary(in->op) ? slot_of(in->b, columns, scratch) : NULL;
        switch (in->op) {
        case EXPR_NUM: for (t = 0; t < n; t++) d[t] = in->k; break;
        case EXPR_ADD: for (t = 0; t < n; t++) d[t] = a[t] + b[t]; break;
        case EXPR_SUB: for (t = 0; t < n; t++) d[t] = a[t] - b[t]; break;
        case EXPR_MUL: for (t = 0; t < n; t++) d[t] = a[t] * b[t]; break;
        case EXPR_DIV: for (t = 0; t < n; t++) d[t] = a[t] / b[t]; break;
        case EXPR_POW: for (t = 0; t < n; t++) d[t] = pow(a[t], b[t]); break;
        case EXPR_NEG: for (t = 0; t < n; t++) d[t] = -a[t]; break;
        case EXPR_SQRT: for (t = 0; t < n; t++) d[t] = sqrt(a[t]); break;
        case EXPR_EXP: for (t = 0; t < n; t++) d[t] = exp(a[t]); break;
        case EXPR_LOG: for (t = 0; t < n; t++) d[t] = log(a[t]); break;
        case EXPR_SIN: for (t = 0; t < n; t++) d[t] = sin(a[t]); break;
        case EXPR_COS: for (t = 0; t < n; t++) d[t] = cos(a[t]); break;
        case EXPR_TAN: for (t = 0; t < n; t++) d[t] = tan(a[t]); break;
        case EXPR_ABS: for (t = 0; t < n; t++) d[t] = fabs(a[t]); break;
        case EXPR_SIGN: for (t = 0; t < n; t++) d[t] = (a[t] > 0) - (a[t] < 0); break;
        case EXPR_VAR: break;
        }
    }
    if (!written)
        memcpy(out, slot_of(p->result, columns, scratch), n * sizeof *out);
}

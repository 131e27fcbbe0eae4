/*
 * parser.y - SPL tokens -> AST (grammar/ast.h), through cq_ast_* only.
 *
 * The scanner (lexer/lexer.l) has already decided how each command's text
 * is tokenized; this grammar decides its structure.  It stops at the first
 * error (no error recovery) and reports it with yyreport_syntax_error below.
 *
 * AST produced, per construct (kids in the order written):
 *
 *   query          PIPELINE: COMMAND ...  A leading `|` (| tstats, |
 *                  inputlookup) is allowed; so is one trailing `|` (what a
 *                  no-op `..._filter` macro leaves), which adds nothing.
 *   search         COMMAND "search": one search expression, or no kid for a
 *                  bare `| search`.  The implicit first search is the same.
 *     a b / a AND b    AND (flattened)      a OR b   OR (flattened)
 *     NOT a            NOT                  (...)    the inner node
 *     term, "phrase"   TERM text (QUOTED)
 *     CASE(x) TERM(x)  TERM text, flag CASE / TERMDIR (+QUOTED if quoted)
 *     f=v f!=v f<v ... COMPARE name=f op text=v (QUOTED); "f"=v the same;
 *                      f=* and earliest=-7d@d are COMPARE like any other
 *     f IN (a, "b")    IN name=f: VALUE a, VALUE b (QUOTED)
 *     [ ... ]          SUBSEARCH: PIPELINE
 *   where          COMMAND "where": one eval expression
 *   eval           COMMAND "eval": ASSIGN name=field: expression, ...
 *                  (eval a.b=... names the target "a.b", no quotes needed;
 *                  'a b'=... and "a b"=... name the target "a b")
 *     expressions  FIELD (x, 'x.y'), STRING, NUMBER, CALL name (lower-case):
 *                  args, BINARY op: l r, UNARY op (NOT, NEG): x;
 *                  x IN (a, b) is CALL "in": x a b; x LIKE p is BINARY LIKE
 *   stats eventstats streamstats timechart
 *                  COMMAND: OPTION ..., AGG ..., BY (if any)
 *     AGG          name (lower-case): FIELD arg, or an expression for
 *                  count(eval(...)); no kid for `count`; alias from `as`;
 *                  `eval(expr) as y` (chart, timechart) is AGG "eval": expr
 *     BY           FIELD ...; options written after the fields (timechart
 *                  count by x limit=5) follow BY as OPTIONs of the command
 *   chart          like stats; `over f` adds OPTION "over": FIELD f
 *   tstats         like stats; `from datamodel=X` is OPTION "datamodel",
 *                  `where <search>` is OPTION "where": search expression
 *   table          FIELD ...
 *   fields         FIELD ...; flags PLUS / MINUS on the COMMAND
 *   rename         RENAME name=from alias=to, ... ("Web".* is from=Web.*)
 *   sort           OPTION "limit": NUMBER (the leading count) or the
 *                  OPTIONs given (limit=N), then SORTKEY ...
 *                  (flags DESC, NUM/STR/IP; text=function for others)
 *   head tail      lexed as eval expressions: OPTION "limit": NUMBER for
 *                  `head N`, OPTION for a leading limit=/null=/keeplast=,
 *                  else the condition (head count>10) as an expression kid;
 *                  then OPTIONs (values: VALUE, or NUMBER)
 *   dedup          OPTION "limit": NUMBER (leading N), OPTION ..., FIELD ...,
 *                  then SORTKEY ... from `sortby`
 *   top rare       OPTION ..., FIELD ..., BY
 *   rex            OPTION ... (field, max_match, mode), ARG regex (QUOTED)
 *   regex          COMPARE name=field op=EQ/NE text=regex, or ARG regex
 *   spath bin bucket fillnull mvexpand makemv mvcombine transaction
 *   iplocation     OPTION ... and FIELD ... in the order written; a FIELD
 *                  may carry an alias (`bin _time as t`); spath's positional
 *                  FIELD is the path; bucket is recorded as "bin"
 *   convert        OPTION ..., CALL name=function: FIELD, alias from `as`
 *   lookup         OPTION ..., ARG table, FIELD (alias) ..., then OPTION
 *                  "output" or "outputnew" (lower-case): FIELD (alias) ...
 *   inputlookup    OPTION ..., ARG table, OPTION ... (written after the
 *                  table), OPTION "where": search expression
 *   join append    OPTION ..., FIELD ..., SUBSEARCH
 *   multisearch    SUBSEARCH ...
 *   return         OPTION "limit": NUMBER, FIELD ... (`alias=f` is FIELD f
 *                  alias alias; `$f` is FIELD "$f")
 *   format         OPTION ..., ARG ... (the quoted strings)
 *   options        OPTION name: VALUE text (QUOTED), or an expression for
 *                  name=eval(...)
 */

%code requires {
#include "grammar/ast.h"

typedef void *yyscan_t;

/* A token's value: its text (unescaped, from the arena) and flags. */
typedef struct cq_tok {
    const char *text;
    unsigned flags;     /* CQ_AST_QUOTED for "..." and '...' */
} cq_tok;

typedef struct cq_lex_state cq_lex_state;
}

%code provides {
int cq_yylex(CQ_YYSTYPE *val, CQ_YYLTYPE *loc, yyscan_t scanner);
}

%code {
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lexer/lexer.h"

#define A (ls->arena)

/* A node's span covers its first to its last token. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
    do {                                                             \
        if (N) {                                                     \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                    \
            (Cur).end = YYRHSLOC(Rhs, N).end;                        \
        } else {                                                     \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;          \
        }                                                            \
    } while (0)

/* Bison's stack limit: only long NOT or unary-minus chains get near it
 * (brackets are limited by the scanner); cq_parse() bounds the tree. */
#define YYMAXDEPTH 5000

static void yyerror(const CQ_YYLTYPE *loc, cq_lex_state *ls, yyscan_t scanner,
                    const char *msg);
static unsigned sort_flag(const char *fn);
static const char *lc(cq_lex_state *ls, const char *s);
static cq_ast *sortkey_fn(cq_lex_state *ls, const char *fn, const char *field,
                          cq_span at);
static cq_ast *adopt(cq_ast *parent, cq_ast *holder);
static cq_ast *holder(cq_lex_state *ls, cq_ast *first);
static cq_ast *command(cq_lex_state *ls, cq_tok t, cq_span at);
static cq_ast *respan(cq_ast *n, cq_span at);
static int ls_adjacent(cq_span a, cq_span b);
static void spaced_name(cq_lex_state *ls, cq_span at);
static void spaced_suffix(cq_lex_state *ls, cq_span quoted, cq_span word);
static cq_ast *head_first(cq_lex_state *ls, cq_ast *e);
static cq_ast *head_value(cq_lex_state *ls, cq_ast *v);
static cq_ast *by_clause(cq_lex_state *ls, cq_span at, cq_ast *items);
}

%define api.pure full
%define api.prefix {cq_yy}
%define api.token.prefix {TOK_}
%define api.location.type {cq_span}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%lex-param {yyscan_t scanner}
%parse-param {cq_lex_state *ls} {yyscan_t scanner}

%union {
    cq_tok tok;
    cq_ast *node;
    int op;
}

%token END 0 "end of the query"
%token <tok> WORD "name" VALUE "value" QSTRING "quoted string"
%token <tok> SQFIELD "quoted field name" NUMBER "number"
%token <tok> CMD_SEARCH "search" CMD_WHERE "where" CMD_EVAL "eval"
%token <tok> CMD_STATS "stats" CMD_CHART "chart" CMD_TSTATS "tstats"
%token <tok> CMD_TABLE "table" CMD_FIELDS "fields" CMD_RENAME "rename"
%token <tok> CMD_SORT "sort" CMD_HEAD "head" CMD_DEDUP "dedup" CMD_TOP "top"
%token <tok> CMD_REX "rex" CMD_REGEX "regex" CMD_OPTFIELDS "command"
%token <tok> CMD_CONVERT "convert" CMD_LOOKUP "lookup"
%token <tok> CMD_INPUTLOOKUP "inputlookup" CMD_JOIN "join"
%token <tok> CMD_MULTISEARCH "multisearch" CMD_RETURN "return"
%token <tok> CMD_FORMAT "format" CMD_SUBPIPE "appendpipe"
%token <tok> AND "AND" OR "OR" NOT "NOT" XOR "XOR" LIKE "LIKE" IN "IN"
%token <tok> AS "as" BY "by" OVER "over" SORTBY "sortby" OUTPUT "output"
%token <tok> FROM "from" WHERE "where clause"
%token <tok> CASE_OPEN "CASE(" TERM_OPEN "TERM(" EVAL_OPEN "eval("
%token <tok> EQ "=" EQEQ "==" NE "!=" LT "<" LE "<=" GT ">" GE ">="
%token <tok> LPAREN "(" RPAREN ")" LBRACKET "[" RBRACKET "]" COMMA ","
%token <tok> PIPE "|" PLUS "+" MINUS "-" STAR "*" SLASH "/" PERCENT "%"
%token <tok> DOT "."
%token LEXERR "invalid token"

/* eval/where precedence, loosest first (search expressions have their own
 * rules below: there OR binds tighter than AND). */
%left OR XOR
%left AND
%precedence NOT
%nonassoc EQ EQEQ NE LT LE GT GE LIKE IN
%left PLUS MINUS DOT
%left STAR SLASH PERCENT
%precedence UMINUS

%type <node> pipeline first_stage command subsearch
%type <node> search_cmd s_and s_or s_not s_prim in_list svalue dvalue
%type <node> expr call args eval_cmd assign assigns
%type <node> stats_cmd stats_items stats_item agg agg_call by_opt by_items by_item over_opt
%type <node> tstats_cmd from_opt where_opt
%type <node> option options ovalue field field_list name_field opt_field
%type <node> optfields optfields_opt
%type <node> table_cmd fields_cmd rename_cmd rename_list rename_pair
%type <node> sort_cmd sortkeys sortkey count_opt head_cmd head_opts dedup_cmd sortby_opt
%type <node> top_cmd rex_cmd rex_items rex_item regex_cmd optfields_cmd
%type <node> convert_cmd conv_items conv_item lookup_cmd lk_head lk_fields
%type <node> lk_field output_opt inputlookup_cmd join_cmd multisearch_cmd
%type <node> subsearches return_cmd ret_items ret_item format_cmd fmt_items
%type <node> fmt_item subpipe_cmd subpipe subcmds
%type <tok> name as_name dotted
%type <op> cmpop

%%

query:
    pipeline                    { ls->result = $1; }
  | pipeline PIPE               { ls->result = $1; }
  ;

pipeline:
    first_stage                 { $$ = cq_ast_add(cq_ast_new(A, CQ_AST_PIPELINE, @1), $1); }
  | pipeline PIPE command       { $$ = cq_ast_add($1, $3); }
  ;

first_stage:
    s_and                       { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_COMMAND, "search", @1), $1); }
  | search_cmd
  | PIPE command                { $$ = $2; }
  ;

command:
    search_cmd | eval_cmd | stats_cmd | tstats_cmd | table_cmd | fields_cmd
  | rename_cmd | sort_cmd | head_cmd | dedup_cmd | top_cmd | rex_cmd
  | regex_cmd | optfields_cmd | convert_cmd | lookup_cmd | inputlookup_cmd
  | join_cmd | multisearch_cmd | return_cmd | format_cmd | subpipe_cmd
  | CMD_WHERE expr              { $$ = cq_ast_add(command(ls, $1, @1), $2); }
  ;

subsearch:
    LBRACKET pipeline RBRACKET  { $$ = cq_ast_add(cq_ast_new(A, CQ_AST_SUBSEARCH, @$), $2); }
  ;

/* ---- search expressions: NOT, then OR, then AND (implicit or explicit) */

search_cmd:
    CMD_SEARCH                  { $$ = command(ls, $1, @1); }
  | CMD_SEARCH s_and            { $$ = cq_ast_add(command(ls, $1, @1), $2); }
  ;

s_and:
    s_or
  | s_and s_or                  { $$ = cq_ast_bool(A, CQ_AST_AND, $1, $2); }
  | s_and AND s_or              { $$ = cq_ast_bool(A, CQ_AST_AND, $1, $3); }
  ;

s_or:
    s_not
  | s_or OR s_not               { $$ = cq_ast_bool(A, CQ_AST_OR, $1, $3); }
  ;

s_not:
    s_prim
  | NOT s_not                   { $$ = cq_ast_add(cq_ast_new(A, CQ_AST_NOT, @1), $2); }
  ;

s_prim:
    LPAREN s_and RPAREN         { $$ = $2; }
  | WORD                        { $$ = cq_ast_text(A, CQ_AST_TERM, $1.text, 0, @1); }
  | QSTRING                     { $$ = cq_ast_text(A, CQ_AST_TERM, $1.text, CQ_AST_QUOTED, @1); }
  | WORD cmpop svalue           { $$ = cq_ast_compare(A, $1.text, $2, $3->text, $3->flags, @$); }
  | QSTRING cmpop svalue        { $$ = cq_ast_compare(A, $1.text, $2, $3->text, $3->flags, @$); }
  | WORD IN LPAREN in_list RPAREN     { $$ = adopt(cq_ast_named(A, CQ_AST_IN, $1.text, @$), $4); }
  | QSTRING IN LPAREN in_list RPAREN  { $$ = adopt(cq_ast_named(A, CQ_AST_IN, $1.text, @$), $4); }
  | CASE_OPEN dvalue RPAREN     { $$ = cq_ast_text(A, CQ_AST_TERM, $2->text, $2->flags | CQ_AST_CASE, @$); }
  | TERM_OPEN dvalue RPAREN     { $$ = cq_ast_text(A, CQ_AST_TERM, $2->text, $2->flags | CQ_AST_TERMDIR, @$); }
  | subsearch
  ;

cmpop:
    EQ { $$ = CQ_OP_EQ; } | NE { $$ = CQ_OP_NE; } | LT { $$ = CQ_OP_LT; }
  | LE { $$ = CQ_OP_LE; } | GT { $$ = CQ_OP_GT; } | GE { $$ = CQ_OP_GE; }
  ;

svalue:
    VALUE                       { $$ = cq_ast_text(A, CQ_AST_VALUE, $1.text, 0, @1); }
  | QSTRING                     { $$ = cq_ast_text(A, CQ_AST_VALUE, $1.text, CQ_AST_QUOTED, @1); }
  ;

dvalue: svalue ;

in_list:
    svalue                      { $$ = holder(ls, $1); }
  | in_list COMMA svalue        { $$ = cq_ast_add($1, $3); }
  ;

/* ---- eval expressions: AND binds tighter than OR */

eval_cmd:
    CMD_EVAL assigns            { $$ = adopt(command(ls, $1, @1), $2); }
  ;

assigns:
    assign                      { $$ = holder(ls, $1); }
  | assigns COMMA assign        { $$ = cq_ast_add($1, $3); }
  ;

assign:
    WORD EQ expr                { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_ASSIGN, $1.text, @$), $3); }
  | dotted EQ expr              { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_ASSIGN, $1.text, @$), $3); }
  | SQFIELD EQ expr             { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_ASSIGN, $1.text, @$), $3); }
  | QSTRING EQ expr             { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_ASSIGN, $1.text, @$), $3); }
  ;

expr:
    expr OR expr                { $$ = cq_ast_op(A, CQ_OP_OR, $1, $3, @$); }
  | expr XOR expr               { $$ = cq_ast_op(A, CQ_OP_XOR, $1, $3, @$); }
  | expr AND expr               { $$ = cq_ast_op(A, CQ_OP_AND, $1, $3, @$); }
  | NOT expr                    { $$ = cq_ast_op(A, CQ_OP_NOT, $2, NULL, @$); }
  | expr EQ expr                { $$ = cq_ast_op(A, CQ_OP_EQ, $1, $3, @$); }
  | expr EQEQ expr              { $$ = cq_ast_op(A, CQ_OP_EQ, $1, $3, @$); }
  | expr NE expr                { $$ = cq_ast_op(A, CQ_OP_NE, $1, $3, @$); }
  | expr LT expr                { $$ = cq_ast_op(A, CQ_OP_LT, $1, $3, @$); }
  | expr LE expr                { $$ = cq_ast_op(A, CQ_OP_LE, $1, $3, @$); }
  | expr GT expr                { $$ = cq_ast_op(A, CQ_OP_GT, $1, $3, @$); }
  | expr GE expr                { $$ = cq_ast_op(A, CQ_OP_GE, $1, $3, @$); }
  | expr LIKE expr              { $$ = cq_ast_op(A, CQ_OP_LIKE, $1, $3, @$); }
  | expr IN LPAREN args RPAREN  { $$ = adopt(cq_ast_add(cq_ast_named(A, CQ_AST_CALL, "in", @$), $1), $4); }
  | expr PLUS expr              { $$ = cq_ast_op(A, CQ_OP_ADD, $1, $3, @$); }
  | expr MINUS expr             { $$ = cq_ast_op(A, CQ_OP_SUB, $1, $3, @$); }
  | expr DOT expr               { $$ = cq_ast_op(A, CQ_OP_CONCAT, $1, $3, @$); }
  | expr STAR expr              { $$ = cq_ast_op(A, CQ_OP_MUL, $1, $3, @$); }
  | expr SLASH expr             { $$ = cq_ast_op(A, CQ_OP_DIV, $1, $3, @$); }
  | expr PERCENT expr           { $$ = cq_ast_op(A, CQ_OP_MOD, $1, $3, @$); }
  | MINUS expr %prec UMINUS     { $$ = cq_ast_op(A, CQ_OP_NEG, $2, NULL, @$); }
  | PLUS expr %prec UMINUS      { $$ = $2; }
  | LPAREN expr RPAREN          { $$ = $2; }
  | NUMBER                      { $$ = cq_ast_number(A, $1.text, @1); }
  | QSTRING                     { $$ = cq_ast_text(A, CQ_AST_STRING, $1.text, 0, @1); }
  | WORD                        { $$ = cq_ast_named(A, CQ_AST_FIELD, $1.text, @1); }
  | SQFIELD                     { $$ = cq_ast_flag(cq_ast_named(A, CQ_AST_FIELD, $1.text, @1), CQ_AST_QUOTED); }
  | call
  ;

/* Function names are case-insensitive (recorded in lower case, then found
 * in grammar/functions.def by the resolver); LIKE( and IN( are the
 * functions like() and in(), not the operators. */
call:
    WORD LPAREN RPAREN          { $$ = cq_ast_named(A, CQ_AST_CALL, lc(ls, $1.text), @$); }
  | WORD LPAREN args RPAREN     { $$ = adopt(cq_ast_named(A, CQ_AST_CALL, lc(ls, $1.text), @$), $3); }
  | LIKE LPAREN args RPAREN     { $$ = adopt(cq_ast_named(A, CQ_AST_CALL, lc(ls, $1.text), @$), $3); }
  | IN LPAREN args RPAREN       { $$ = adopt(cq_ast_named(A, CQ_AST_CALL, lc(ls, $1.text), @$), $3); }
  ;

args:
    expr                        { $$ = holder(ls, $1); }
  | args COMMA expr             { $$ = cq_ast_add($1, $3); }
  ;

/* eval a.b=...: a target name with dots needs no quotes (on the right of
 * `=` a.b is still a concatenation).  No spaces around the dots. */
dotted:
    WORD DOT WORD               { if (!(ls_adjacent(@1, @2) && ls_adjacent(@2, @3))) {
                                      spaced_name(ls, @$); YYABORT; }
                                  $$.text = cq_arena_printf(A, "%s.%s", $1.text, $3.text);
                                  $$.flags = 0; }
  | dotted DOT WORD             { if (!(ls_adjacent(@1, @2) && ls_adjacent(@2, @3))) {
                                      spaced_name(ls, @$); YYABORT; }
                                  $$.text = cq_arena_printf(A, "%s.%s", $1.text, $3.text);
                                  $$.flags = 0; }
  ;

/* ---- arguments shared by the other commands */

/* A field name where keywords of other commands are ordinary words. */
name:
    WORD | OVER | SORTBY | OUTPUT | FROM
  ;

/* The new name after `as`: a word (the scanner lets it hold balanced
 * parentheses: values(x) as x(inheritance)) or a quoted string. */
as_name:
    WORD | QSTRING
  ;

option:
    WORD EQ ovalue              { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, $1.text, @$), $3); }
  ;

ovalue:
    svalue
  | EVAL_OPEN expr RPAREN       { $$ = $2; }
  ;

options:
    option                      { $$ = holder(ls, $1); }
  | options option              { $$ = cq_ast_add($1, $2); }
  ;

field:
    name                        { $$ = cq_ast_named(A, CQ_AST_FIELD, $1.text, @1); }
  | QSTRING                     { $$ = cq_ast_flag(cq_ast_named(A, CQ_AST_FIELD, $1.text, @1), CQ_AST_QUOTED); }
  ;

name_field:
    WORD                        { $$ = cq_ast_named(A, CQ_AST_FIELD, $1.text, @1); }
  | QSTRING                     { $$ = cq_ast_flag(cq_ast_named(A, CQ_AST_FIELD, $1.text, @1), CQ_AST_QUOTED); }
  ;

field_list:
    field                       { $$ = holder(ls, $1); }
  | field_list field            { $$ = cq_ast_add($1, $2); }
  | field_list COMMA field      { $$ = cq_ast_add($1, $3); }
  ;

/* by a b limit=5: options may follow the fields (timechart ... by x
 * limit=5 useother=f).  The result is a holder: BY, then the OPTIONs. */
by_opt:
    %empty                      { $$ = NULL; }
  | BY by_items                 { $$ = by_clause(ls, @1, $2); }
  ;

by_items:
    by_item                     { $$ = holder(ls, $1); }
  | by_items by_item            { $$ = cq_ast_add($1, $2); }
  | by_items COMMA by_item      { $$ = cq_ast_add($1, $3); }
  ;

by_item: field | option ;

/* Options and fields in any order, commas optional, `f as g` allowed. */
opt_field:
    option
  | name_field
  | name_field AS as_name       { $$ = cq_ast_alias(A, $1, $3.text); }
  ;

optfields:
    opt_field                   { $$ = holder(ls, $1); }
  | optfields opt_field         { $$ = cq_ast_add($1, $2); }
  | optfields COMMA opt_field   { $$ = cq_ast_add($1, $3); }
  ;

optfields_opt:
    %empty                      { $$ = NULL; }
  | optfields
  ;

count_opt:
    %empty                      { $$ = NULL; }
  | NUMBER                      { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, "limit", @1),
                                                  cq_ast_number(A, $1.text, @1)); }
  ;

/* ---- stats family */

stats_cmd:
    CMD_STATS stats_items by_opt        { $$ = adopt(adopt(command(ls, $1, @1), $2), $3); }
  | CMD_CHART stats_items over_opt by_opt
                                        { $$ = adopt(cq_ast_add(adopt(command(ls, $1, @1), $2), $3), $4); }
  ;

over_opt:
    %empty                      { $$ = NULL; }
  | OVER field                  { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, "over", @1), $2); }
  ;

stats_items:
    stats_item                  { $$ = holder(ls, $1); }
  | stats_items stats_item      { $$ = cq_ast_add($1, $2); }
  | stats_items COMMA stats_item { $$ = cq_ast_add($1, $3); }
  ;

stats_item:
    option
  | agg
  ;

agg:
    agg_call
  | agg_call AS as_name         { $$ = cq_ast_alias(A, $1, $3.text); }
  | EVAL_OPEN expr RPAREN AS as_name
                                { $$ = cq_ast_alias(A, cq_ast_add(cq_ast_named(A, CQ_AST_AGG, "eval", @$), $2), $5.text); }
  ;

agg_call:
    WORD                        { $$ = cq_ast_named(A, CQ_AST_AGG, lc(ls, $1.text), @1); }
  | WORD LPAREN RPAREN          { $$ = cq_ast_named(A, CQ_AST_AGG, lc(ls, $1.text), @$); }
  | WORD LPAREN field RPAREN    { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_AGG, lc(ls, $1.text), @$), $3); }
  | WORD LPAREN EVAL_OPEN expr RPAREN RPAREN
                                { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_AGG, lc(ls, $1.text), @$), $4); }

  /* sparkline(count(x), 5m): an aggregation of an aggregation (parsed so the
   * engine can say it does not run it) */
  | WORD LPAREN WORD LPAREN field RPAREN spark_span RPAREN
                                { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_AGG, lc(ls, $1.text), @$),
                                      cq_ast_add(cq_ast_named(A, CQ_AST_AGG, lc(ls, $3.text), @3), $5)); }
  | WORD LPAREN WORD COMMA spark_arg RPAREN
                                { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_AGG, lc(ls, $1.text), @$),
                                      cq_ast_named(A, CQ_AST_AGG, lc(ls, $3.text), @3)); }
  ;

spark_span:
    %empty                      { }
  | COMMA spark_arg             { }
  ;

spark_arg: WORD { } | NUMBER { } ;

tstats_cmd:
    CMD_TSTATS stats_items from_opt where_opt by_opt
        { $$ = adopt(cq_ast_add(cq_ast_add(adopt(command(ls, $1, @1), $2), $3), $4), $5); }
  ;

from_opt:
    %empty                      { $$ = NULL; }
  | FROM option                 { $$ = $2; }
  ;

where_opt:
    %empty                      { $$ = NULL; }
  | WHERE s_and                 { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, "where", @1), $2); }
  ;

/* ---- field lists */

table_cmd:
    CMD_TABLE field_list        { $$ = adopt(command(ls, $1, @1), $2); }
  ;

fields_cmd:
    CMD_FIELDS field_list       { $$ = adopt(command(ls, $1, @1), $2); }
  | CMD_FIELDS PLUS field_list  { $$ = cq_ast_flag(adopt(command(ls, $1, @1), $3), CQ_AST_PLUS); }
  | CMD_FIELDS MINUS field_list { $$ = cq_ast_flag(adopt(command(ls, $1, @1), $3), CQ_AST_MINUS); }
  ;

rename_cmd:
    CMD_RENAME rename_list      { $$ = adopt(command(ls, $1, @1), $2); }
  ;

rename_list:
    rename_pair                 { $$ = holder(ls, $1); }
  | rename_list rename_pair     { $$ = cq_ast_add($1, $2); }
  | rename_list COMMA rename_pair { $$ = cq_ast_add($1, $3); }
  ;

/* rename "Web".* AS *: a quoted name and the word written right after it
 * are one name, as Splunk reads it (the CIM macro drop_dm_object_name
 * quotes its argument); with a space between them they are two. */
rename_pair:
    field AS field              { $$ = cq_ast_alias(A, cq_ast_named(A, CQ_AST_RENAME, $1->name, @$), $3->name); }
  | QSTRING WORD AS field       { if (!ls_adjacent(@1, @2)) {
                                      spaced_suffix(ls, @1, @2); YYABORT; }
                                  const char *from = cq_arena_printf(A, "%s%s", $1.text, $2.text);
                                  $$ = cq_ast_alias(A, cq_ast_named(A, CQ_AST_RENAME, from, @$), $4->name); }
  ;

/* ---- sort, head, dedup, top */

sort_cmd:
    CMD_SORT sortkeys           { $$ = adopt(command(ls, $1, @1), $2); }
  | CMD_SORT NUMBER sortkeys    { $$ = adopt(cq_ast_add(command(ls, $1, @1),
                                      cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, "limit", @2),
                                                 cq_ast_number(A, $2.text, @2))), $3); }
  | CMD_SORT options sortkeys   { $$ = adopt(adopt(command(ls, $1, @1), $2), $3); }
  ;

sortkeys:
    sortkey                     { $$ = holder(ls, $1); }
  | sortkeys sortkey            { $$ = cq_ast_add($1, $2); }
  | sortkeys COMMA sortkey      { $$ = cq_ast_add($1, $3); }
  ;

sortkey:
    name                        { $$ = cq_ast_named(A, CQ_AST_SORTKEY, $1.text, @$); }
  | name LPAREN name RPAREN     { $$ = sortkey_fn(ls, $1.text, $3.text, @$); }
  | MINUS sortkey               { $$ = respan(cq_ast_flag($2, CQ_AST_DESC), @$); }
  | PLUS sortkey                { $$ = respan($2, @$); }
  ;

/* head and tail are lexed as eval expressions (head count>10): a lone
 * number is the limit, a leading `limit=N` (null=, keeplast=) an option,
 * anything else the condition; options may follow. */
head_cmd:
    CMD_HEAD                    { $$ = command(ls, $1, @1); }
  | CMD_HEAD expr head_opts     { $$ = adopt(cq_ast_add(command(ls, $1, @1), head_first(ls, $2)), $3); }
  ;

head_opts:
    %empty                      { $$ = NULL; }
  | head_opts WORD EQ expr      { cq_ast *o = cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, $2.text,
                                                         cq_span_join(@2, @4)), head_value(ls, $4));
                                  $$ = $1 ? cq_ast_add($1, o) : holder(ls, o); }
  ;

dedup_cmd:
    CMD_DEDUP count_opt optfields sortby_opt
                                { $$ = adopt(adopt(cq_ast_add(command(ls, $1, @1), $2), $3), $4); }
  ;

sortby_opt:
    %empty                      { $$ = NULL; }
  | SORTBY sortkeys             { $$ = $2; }
  ;

/* top/rare [N] [options] fields [by fields]: N is limit=N (Splunk's syntax) */
top_cmd:
    CMD_TOP count_opt optfields by_opt
                                { $$ = adopt(adopt(cq_ast_add(command(ls, $1, @1), $2), $3), $4); }
  ;

/* ---- rex, regex, options-and-fields commands, convert */

rex_cmd:
    CMD_REX rex_items           { $$ = adopt(command(ls, $1, @1), $2); }
  ;

rex_items:
    rex_item                    { $$ = holder(ls, $1); }
  | rex_items rex_item          { $$ = cq_ast_add($1, $2); }
  ;

rex_item:
    option
  | QSTRING                     { $$ = cq_ast_text(A, CQ_AST_ARG, $1.text, CQ_AST_QUOTED, @1); }
  ;

regex_cmd:
    CMD_REGEX WORD EQ svalue    { $$ = cq_ast_add(command(ls, $1, @1),
                                      cq_ast_compare(A, $2.text, CQ_OP_EQ, $4->text, $4->flags, cq_span_join(@2, @4))); }
  | CMD_REGEX WORD NE svalue    { $$ = cq_ast_add(command(ls, $1, @1),
                                      cq_ast_compare(A, $2.text, CQ_OP_NE, $4->text, $4->flags, cq_span_join(@2, @4))); }
  | CMD_REGEX QSTRING           { $$ = cq_ast_add(command(ls, $1, @1),
                                      cq_ast_text(A, CQ_AST_ARG, $2.text, CQ_AST_QUOTED, @2)); }
  ;

optfields_cmd:
    CMD_OPTFIELDS optfields_opt { $$ = adopt(command(ls, $1, @1), $2); }
  ;

convert_cmd:
    CMD_CONVERT conv_items      { $$ = adopt(command(ls, $1, @1), $2); }
  ;

conv_items:
    conv_item                   { $$ = holder(ls, $1); }
  | conv_items conv_item        { $$ = cq_ast_add($1, $2); }
  | conv_items COMMA conv_item  { $$ = cq_ast_add($1, $3); }
  ;

conv_item:
    option
  | WORD LPAREN field RPAREN    { $$ = cq_ast_add(cq_ast_named(A, CQ_AST_CALL, lc(ls, $1.text), @$), $3); }
  | WORD LPAREN field RPAREN AS as_name
                                { $$ = cq_ast_alias(A, cq_ast_add(cq_ast_named(A, CQ_AST_CALL, lc(ls, $1.text), @$), $3), $6.text); }
  ;

/* ---- lookups, subsearches */

/* A comma may end the input fields (`lookup t a, b, OUTPUTNEW c`, as
 * detection content writes it). */
lookup_cmd:
    CMD_LOOKUP lk_head lk_fields output_opt
                                { $$ = cq_ast_add(adopt(adopt(command(ls, $1, @1), $2), $3), $4); }
  | CMD_LOOKUP lk_head lk_fields COMMA output_opt
                                { $$ = cq_ast_add(adopt(adopt(command(ls, $1, @1), $2), $3), $5); }
  ;

lk_head:
    WORD                        { $$ = holder(ls, cq_ast_text(A, CQ_AST_ARG, $1.text, 0, @1)); }
  | options WORD                { $$ = cq_ast_add($1, cq_ast_text(A, CQ_AST_ARG, $2.text, 0, @2)); }
  ;

lk_fields:
    lk_field                    { $$ = holder(ls, $1); }
  | lk_fields lk_field          { $$ = cq_ast_add($1, $2); }
  | lk_fields COMMA lk_field    { $$ = cq_ast_add($1, $3); }
  ;

lk_field:
    name_field
  | name_field AS as_name       { $$ = cq_ast_alias(A, $1, $3.text); }
  ;

output_opt:
    %empty                      { $$ = NULL; }
  | OUTPUT lk_fields            { $$ = adopt(cq_ast_named(A, CQ_AST_OPTION, $1.text, @1), $2); }
  ;

/* Options may come before and after the table (real content writes
 * `inputlookup t append=t`). */
inputlookup_cmd:
    CMD_INPUTLOOKUP lk_head where_opt
                                { $$ = cq_ast_add(adopt(command(ls, $1, @1), $2), $3); }
  | CMD_INPUTLOOKUP lk_head options where_opt
                                { $$ = cq_ast_add(adopt(adopt(command(ls, $1, @1), $2), $3), $4); }
  ;

join_cmd:
    CMD_JOIN optfields_opt subsearch
                                { $$ = cq_ast_add(adopt(command(ls, $1, @1), $2), $3); }
  ;

/* appendpipe [ stats ... ], foreach f* [ eval ... ]: options and fields,
 * then a pipeline of commands (the lexer reads a command name after `[`). */
subpipe_cmd:
    CMD_SUBPIPE optfields_opt subpipe
                                { $$ = cq_ast_add(adopt(command(ls, $1, @1), $2), $3); }
  ;

subpipe:
    LBRACKET subcmds RBRACKET   { $$ = cq_ast_add(cq_ast_new(A, CQ_AST_SUBSEARCH, @$), $2); }
  | LBRACKET PIPE subcmds RBRACKET
                                { $$ = cq_ast_add(cq_ast_new(A, CQ_AST_SUBSEARCH, @$), $3); }
  ;

subcmds:
    command                     { $$ = cq_ast_add(cq_ast_new(A, CQ_AST_PIPELINE, @1), $1); }
  | subcmds PIPE command        { $$ = cq_ast_add($1, $3); }
  ;

multisearch_cmd:
    CMD_MULTISEARCH subsearches { $$ = adopt(command(ls, $1, @1), $2); }
  ;

subsearches:
    subsearch                   { $$ = holder(ls, $1); }
  | subsearches subsearch       { $$ = cq_ast_add($1, $2); }
  ;

/* ---- return, format */

return_cmd:
    CMD_RETURN count_opt ret_items
                                { $$ = adopt(cq_ast_add(command(ls, $1, @1), $2), $3); }
  ;

ret_items:
    ret_item                    { $$ = holder(ls, $1); }
  | ret_items ret_item          { $$ = cq_ast_add($1, $2); }
  | ret_items COMMA ret_item    { $$ = cq_ast_add($1, $3); }
  ;

ret_item:
    WORD                        { $$ = cq_ast_named(A, CQ_AST_FIELD, $1.text, @1); }
  | WORD EQ VALUE               { $$ = cq_ast_alias(A, cq_ast_named(A, CQ_AST_FIELD, $3.text, @$), $1.text); }
  ;

format_cmd:
    CMD_FORMAT                  { $$ = command(ls, $1, @1); }
  | CMD_FORMAT fmt_items        { $$ = adopt(command(ls, $1, @1), $2); }
  ;

fmt_items:
    fmt_item                    { $$ = holder(ls, $1); }
  | fmt_items fmt_item          { $$ = cq_ast_add($1, $2); }
  ;

fmt_item:
    option
  | QSTRING                     { $$ = cq_ast_text(A, CQ_AST_ARG, $1.text, CQ_AST_QUOTED, @1); }
  ;

%%

/* ---- error messages: what was found, what was expected, and where */

static void yyerror(const CQ_YYLTYPE *loc, cq_lex_state *ls, yyscan_t scanner,
                    const char *msg)
{
    (void)scanner;
    /* Only "memory exhausted" reaches here: parse.error custom reports
     * syntax errors through yyreport_syntax_error. */
    if (strstr(msg, "exhausted"))
        cq_diag_set(ls->diag, *loc, "query nested too deeply");
    else
        cq_diag_set(ls->diag, *loc, "%s", msg);
}

/* How a token is named in "expected ..." (NULL: by its quoted spelling). */
static const char *describe(yysymbol_kind_t k)
{
    switch (k) {
    case YYSYMBOL_YYEOF: return "the end of the query";
    case YYSYMBOL_WORD: case YYSYMBOL_SQFIELD: case YYSYMBOL_OVER:
    case YYSYMBOL_SORTBY: case YYSYMBOL_OUTPUT: case YYSYMBOL_FROM:
        return "a field name";
    case YYSYMBOL_VALUE: return "a value";
    case YYSYMBOL_QSTRING: return "a quoted string";
    case YYSYMBOL_NUMBER: return "a number";
    case YYSYMBOL_CMD_SEARCH: case YYSYMBOL_CMD_WHERE: case YYSYMBOL_CMD_EVAL:
    case YYSYMBOL_CMD_STATS: case YYSYMBOL_CMD_CHART: case YYSYMBOL_CMD_TSTATS:
    case YYSYMBOL_CMD_TABLE: case YYSYMBOL_CMD_FIELDS: case YYSYMBOL_CMD_RENAME:
    case YYSYMBOL_CMD_SORT: case YYSYMBOL_CMD_HEAD: case YYSYMBOL_CMD_DEDUP:
    case YYSYMBOL_CMD_TOP: case YYSYMBOL_CMD_REX: case YYSYMBOL_CMD_REGEX:
    case YYSYMBOL_CMD_OPTFIELDS: case YYSYMBOL_CMD_CONVERT: case YYSYMBOL_CMD_LOOKUP:
    case YYSYMBOL_CMD_INPUTLOOKUP: case YYSYMBOL_CMD_JOIN:
    case YYSYMBOL_CMD_MULTISEARCH: case YYSYMBOL_CMD_RETURN: case YYSYMBOL_CMD_FORMAT:
        return "a command";
    default: return NULL;
    }
}

static int is_operator(yysymbol_kind_t k)
{
    switch (k) {
    case YYSYMBOL_AND: case YYSYMBOL_OR: case YYSYMBOL_XOR: case YYSYMBOL_LIKE:
    case YYSYMBOL_IN: case YYSYMBOL_EQ: case YYSYMBOL_EQEQ: case YYSYMBOL_NE:
    case YYSYMBOL_LT: case YYSYMBOL_LE: case YYSYMBOL_GT: case YYSYMBOL_GE:
    case YYSYMBOL_PLUS: case YYSYMBOL_MINUS: case YYSYMBOL_DOT: case YYSYMBOL_STAR:
    case YYSYMBOL_SLASH: case YYSYMBOL_PERCENT:
        return 1;
    default:
        return 0;
    }
}

static int has(const yysymbol_kind_t *exp, int n, yysymbol_kind_t k)
{
    for (int i = 0; i < n; i++)
        if (exp[i] == k)
            return 1;
    return 0;
}

/* "a, b or c" from the expected tokens, collapsing the long sets of a
 * search term or an eval expression into one phrase. */
static void expected_list(char *out, size_t size, const yysymbol_kind_t *exp, int n)
{
    if (has(exp, n, YYSYMBOL_VALUE)) {
        snprintf(out, size, "a value");
        return;
    }
    if (has(exp, n, YYSYMBOL_NOT) && has(exp, n, YYSYMBOL_CASE_OPEN)) {
        snprintf(out, size, "a search term");
        return;
    }
    if (has(exp, n, YYSYMBOL_CMD_STATS)) {
        snprintf(out, size, "a command");
        return;
    }
    if (has(exp, n, YYSYMBOL_NUMBER) && has(exp, n, YYSYMBOL_SQFIELD)) {
        snprintf(out, size, "an expression");
        return;
    }
    const char *items[6];
    char quoted[6][24];
    int m = 0;
    int ops = has(exp, n, YYSYMBOL_PLUS) && has(exp, n, YYSYMBOL_AND);
    if (ops)
        items[m++] = "an operator";
    for (int i = 0; i < n && m < 6; i++) {
        if (ops && is_operator(exp[i]))
            continue;
        const char *d = describe(exp[i]);
        if (!d) {
            snprintf(quoted[m], sizeof quoted[m], "\"%s\"", yysymbol_name(exp[i]));
            d = quoted[m];
        }
        int dup = 0;
        for (int j = 0; j < m; j++)
            dup |= !strcmp(items[j], d);
        if (!dup)
            items[m++] = d;
    }
    out[0] = '\0';
    for (int i = 0; i < m; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i == 0 ? "" : i == m - 1 ? " or " : ", ",
                 items[i]);
    }
}

/* The source text of a span, quoted and clipped, into buf. */
static const char *show(const cq_lex_state *ls, cq_span s, char *buf, size_t size)
{
    size_t n = s.end - s.start;
    int clip = n > 40;
    snprintf(buf, size, "\"%.*s%s\"", (int)(clip ? 40 : n), ls->text + s.start,
             clip ? "..." : "");
    return buf;
}

/* The innermost open ( or [, or NULL. */
static const cq_lex_bracket *open_top(const cq_lex_state *ls, char ch)
{
    if (ls->depth > 0 && ls->open[ls->depth - 1].ch == ch)
        return &ls->open[ls->depth - 1];
    return NULL;
}

/* Unbalanced ( ) [ ]: point at the unclosed opener or the stray closer.
 * Returns 1 when it reported. */
static int report_unbalanced(cq_lex_state *ls, yysymbol_kind_t found, cq_span at,
                             const yysymbol_kind_t *exp, int n)
{
    int ends = found == YYSYMBOL_YYEOF || found == YYSYMBOL_PIPE
        || found == YYSYMBOL_RBRACKET;
    const cq_lex_bracket *o;
    if (ends && has(exp, n, YYSYMBOL_RPAREN) && (o = open_top(ls, '('))) {
        cq_diag_set(ls->diag, o->span, "unbalanced parenthesis");
        cq_diag_hint(ls->diag, "this \"(\" is never closed");
        return 1;
    }
    if (found == YYSYMBOL_RPAREN && !has(exp, n, YYSYMBOL_RPAREN)) {
        cq_diag_set(ls->diag, at, "unbalanced parenthesis");
        cq_diag_hint(ls->diag, "this \")\" closes nothing");
        return 1;
    }
    if (found == YYSYMBOL_YYEOF && has(exp, n, YYSYMBOL_RBRACKET)
        && (o = open_top(ls, '['))) {
        cq_diag_set(ls->diag, o->span, "unbalanced bracket");
        cq_diag_hint(ls->diag, "this \"[\" is never closed");
        return 1;
    }
    if (found == YYSYMBOL_RBRACKET && !has(exp, n, YYSYMBOL_RBRACKET)) {
        cq_diag_set(ls->diag, at, "unbalanced bracket");
        cq_diag_hint(ls->diag, "this \"]\" closes nothing");
        return 1;
    }
    return 0;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, cq_lex_state *ls,
                                 yyscan_t scanner)
{
    (void)scanner;
    if (ls->diag->set)          /* the scanner already said what is wrong */
        return 0;
    yysymbol_kind_t found = yypcontext_token(ctx);
    cq_span at = *yypcontext_location(ctx);
    yysymbol_kind_t exp[64];
    int n = yypcontext_expected_tokens(ctx, exp, 64);
    if (n < 0)
        n = 0;
    if (found == YYSYMBOL_YYEOF && ls->n_tokens <= 1)
        return cq_diag_set(ls->diag, at, "empty query"), 0;
    if (report_unbalanced(ls, found, at, exp, n))
        return 0;
    char want[200], prev[64], got[64];
    expected_list(want, sizeof want, exp, n);
    if (!want[0])
        snprintf(want, sizeof want, "nothing more");
    char after[80] = "";
    if (ls->prev_span.start != UINT32_MAX)
        snprintf(after, sizeof after, " after %s", show(ls, ls->prev_span, prev, sizeof prev));
    if (found == YYSYMBOL_YYEOF)
        cq_diag_set(ls->diag, at, "expected %s%s", want, after);
    else
        cq_diag_set(ls->diag, at, "expected %s%s, found %s", want, after,
                    show(ls, at, got, sizeof got));
    if (has(exp, n, YYSYMBOL_VALUE))
        cq_diag_hint(ls->diag, "quote values that contain spaces, e.g. command=\"docker exec\"");
    else if (ls->prev_kind == TOK_PIPE && found == YYSYMBOL_PIPE)
        cq_diag_hint(ls->diag, "remove the empty \"|\"");
    return 0;
}

const char *cq_parse_token_name(int kind)
{
    return yysymbol_name(YYTRANSLATE(kind));
}

/* Function names are recorded in lower case (IF(...) is if). */
static const char *lc(cq_lex_state *ls, const char *s)
{
    char *out = cq_arena_strdup(A, s);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* num(f), str(f), ip(f) set a flag; any other function is kept as the
 * key's text for the resolver to reject. */
static cq_ast *sortkey_fn(cq_lex_state *ls, const char *fn, const char *field,
                          cq_span at)
{
    unsigned flag = sort_flag(fn);
    cq_ast *k = cq_ast_text(A, CQ_AST_SORTKEY, flag ? NULL : fn, flag, at);
    k->name = cq_arena_strdup(A, field);
    return k;
}

static unsigned sort_flag(const char *fn)
{
    if (!strcasecmp(fn, "num"))
        return CQ_AST_NUM;
    if (!strcasecmp(fn, "str"))
        return CQ_AST_STR;
    if (!strcasecmp(fn, "ip"))
        return CQ_AST_IP;
    return 0;
}

/* Lists are built in a holder node; adopt() moves its kids to the real
 * parent (a NULL holder adds nothing). */
static cq_ast *holder(cq_lex_state *ls, cq_ast *first)
{
    return cq_ast_add(cq_ast_new(A, CQ_AST_COMMAND, first->span), first);
}

static cq_ast *adopt(cq_ast *parent, cq_ast *h)
{
    if (!h)
        return parent;
    for (cq_ast *k = h->kids, *next; k; k = next) {
        next = k->next;
        cq_ast_add(parent, k);
    }
    return parent;
}

/* A prefix (- or + of a sort key) widens the node to cover it. */
static cq_ast *respan(cq_ast *n, cq_span at)
{
    n->span = at;
    return n;
}

static cq_ast *command(cq_lex_state *ls, cq_tok t, cq_span at)
{
    return cq_ast_named(A, CQ_AST_COMMAND, t.text, at);
}

static int ls_adjacent(cq_span a, cq_span b)
{
    return a.end == b.start;
}

static void spaced_name(cq_lex_state *ls, cq_span at)
{
    cq_diag_set(ls->diag, at, "a field name cannot have spaces around \".\"");
    cq_diag_hint(ls->diag, "write a.b, or quote the name: 'a.b'");
}

/* "Web" .*: the error a name without the rule would get, and how to
 * write the one name that was probably meant. */
static void spaced_suffix(cq_lex_state *ls, cq_span quoted, cq_span word)
{
    char q[64], w[64];
    cq_diag_set(ls->diag, word, "expected \"as\" after %s, found %s",
                show(ls, quoted, q, sizeof q), show(ls, word, w, sizeof w));
    int qn = (int)(quoted.end - quoted.start), wn = (int)(word.end - word.start);
    cq_diag_hint(ls->diag, "a quoted name and what follows it are one name only without a "
                 "space between them: %.*s%.*s", qn > 40 ? 40 : qn, ls->text + quoted.start,
                 wn > 40 ? 40 : wn, ls->text + word.start);
}

/* An option value written as an eval expression: a bare word (true,
 * sed) is a VALUE, as in other commands' options. */
static cq_ast *head_value(cq_lex_state *ls, cq_ast *v)
{
    if (v->kind == CQ_AST_FIELD && !(v->flags & CQ_AST_QUOTED))
        return cq_ast_text(A, CQ_AST_VALUE, v->name, 0, v->span);
    if (v->kind == CQ_AST_STRING)
        return cq_ast_text(A, CQ_AST_VALUE, v->text, CQ_AST_QUOTED, v->span);
    return v;
}

/* The first argument of head/tail: N is OPTION limit, limit=N (null=,
 * keeplast=) an OPTION, anything else the condition itself. */
static cq_ast *head_first(cq_lex_state *ls, cq_ast *e)
{
    if (e->kind == CQ_AST_NUMBER)
        return cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, "limit", e->span), e);
    cq_ast *l = cq_ast_kid(e, 0);
    if (e->kind == CQ_AST_BINARY && e->op == CQ_OP_EQ && l->kind == CQ_AST_FIELD
        && !(l->flags & CQ_AST_QUOTED)
        && (!strcmp(l->name, "limit") || !strcmp(l->name, "null") || !strcmp(l->name, "keeplast")))
        return cq_ast_add(cq_ast_named(A, CQ_AST_OPTION, l->name, e->span),
                          head_value(ls, cq_ast_kid(e, 1)));
    return e;
}

/* BY with the fields of items, followed by the options among them. */
static cq_ast *by_clause(cq_lex_state *ls, cq_span at, cq_ast *items)
{
    cq_ast *by = cq_ast_new(A, CQ_AST_BY, at);
    cq_ast *out = holder(ls, by);
    for (cq_ast *k = items->kids, *next; k; k = next) {
        next = k->next;
        k->next = NULL;
        cq_ast_add(k->kind == CQ_AST_OPTION ? out : by, k);
    }
    return out;
}

/* SPDX-License-Identifier: MIT */
/*
 * Subcommand dispatch and option parsing shared by `cellsync` and
 * `cellsyncd`: a table of {name, fn, summary}, `PROG help [CMD]`,
 * `PROG CMD --help`, `--version`, and one parser for every command's
 * options, declared as tables. Each command gets its own argv (argv[0] is
 * its name). Exit codes follow STYLE.md: 0 done, 1 failed, 2 usage error.
 */
#ifndef CELLSYNC_CLI_H
#define CELLSYNC_CLI_H

#include <stdarg.h>
#include <stdio.h>

#define CS_EXIT_OK      0
#define CS_EXIT_FAILURE 1
#define CS_EXIT_USAGE   2
/* Done, but the hub refused some changes (a sync, a reply taken in): they are listed. */
#define CS_EXIT_REFUSED 3

struct cs_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage; /* the arguments after the name, "" for none */
};

struct cs_cli {
    const char *prog;  /* "cellsync" */
    const char *about; /* a paragraph under the usage line */
    const struct cs_cmd *cmds;
    size_t ncmds;
};

/* Runs argv against the table; returns the exit code. Calls cs_init() first. */
int cs_cli_main(const struct cs_cli *cli, int argc, char **argv);

/* Prints a command's usage line and summary; used by its own --help. */
void cs_cli_cmd_usage(const struct cs_cli *cli, const struct cs_cmd *c, FILE *f);

/* ---- options ---- */

/*
 * One long option of a command. A command declares its options as a table
 * indexed by its own enum ([OPT_JSON] = {"json", 0, N_("print JSON")}), so
 * that its code reads each value by name.
 */
struct cs_cli_opt {
    const char *name; /* without dashes: "reply-dir" */
    int has_arg;      /* 0 a flag, 1 takes a value */
    const char *help; /* N_(), for cs_cli_print_options(); NULL: not listed */
};

/* A table of options and where their values go: val[i] is opts[i]'s. */
struct cs_cli_group {
    const struct cs_cli_opt *opts;
    size_t n;
    const char **val; /* OUT: the value, "" for a given flag, NULL if absent */
};

/* What a command's option step returns when the command goes on (any other value is its exit code).
 */
#define CS_CLI_GO_ON (-1)

/* The most options one command may take, over all its groups. */
#define CS_CLI_OPT_MAX 96

/*
 * Parses the options of one command (argv[0] is its name; operands may come
 * before, between and after options, as with getopt_long). `--help` or `-h`
 * anywhere sets *help and wins over any bad option. *rest is the index of
 * the first operand. Returns 0, or CS_EXIT_USAGE after printing what was
 * wrong with cs_cli_usage_error(prog, cmd, ...). cmd is the command as the
 * messages name it: "devices", "candidate add".
 */
int cs_cli_parse(const char *prog, const char *cmd, int argc, char **argv,
                 const struct cs_cli_group *groups, size_t ngroups, int *help, int *rest);

/*
 * Prints "PROG: CMD: <message>" and "Run 'PROG CMD --help' for its
 * options." to stderr; returns CS_EXIT_USAGE.
 */
int cs_cli_usage_error(const char *prog, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cs_cli_vusage_error(const char *prog, const char *cmd, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prints "  --name VALUE" and its help below for each option that has help. */
void cs_cli_print_options(FILE *f, const struct cs_cli_opt *opts, size_t n);

/*
 * What a person probably meant by a word typed wrong (a command, a verb, a
 * code): init with the word, add each name it could have been, then best
 * gives the one name that starts with it, else the nearest within 2 edits
 * (Levenshtein: letters added, dropped or changed) and nearer than its own
 * length, the first of equals; NULL when none is near.
 */
struct cs_cli_near {
    const char *typed;
    const char *nearest, *prefixed;
    size_t dist, nprefixed;
};
void cs_cli_near_init(struct cs_cli_near *n, const char *typed);
void cs_cli_near_add(struct cs_cli_near *n, const char *name);
const char *cs_cli_near_best(const struct cs_cli_near *n);

/* ---- whole numbers ---- */

/*
 * The years an option names (a target's, a report's, the holidays'): from
 * the founding of the Party (3 February 1930), before which no record of
 * an admission can exist, to 2100, the last year whose lunar holidays (Tết,
 * the Hùng Kings' day) are checked against published tables, so the last
 * a deadline can be counted in.
 */
#define CS_CLI_YEAR_MIN 1930
#define CS_CLI_YEAR_MAX 2100

/* What an option's number counts; each kind is refused in its own words. */
enum cs_cli_number { CS_CLI_YEAR, CS_CLI_DAYS, CS_CLI_SECONDS, CS_CLI_MONTHS, CS_CLI_COUNT };

/*
 * The value text of the option --name as a whole number of the kind, from
 * min to max: decimal digits only, no sign, space or anything after them,
 * so "20x6" and "5 " are refused rather than read as 20 or 5. 0 with *out
 * set, or CS_EINVAL with err naming the option, what was typed and the
 * range ("--year: '20x6' is not a year from 1930 to 2100").
 */
int cs_cli_number(const char *name, const char *text, enum cs_cli_number kind, long min, long max,
                  long *out, char *err, size_t errlen);

#endif

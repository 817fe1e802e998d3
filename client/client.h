/* SPDX-License-Identifier: MIT */
/*
 * What every `cellsync` command shares: the data directory and the open
 * replica, messages and exit codes, record fields described as data (one
 * table drives add, edit, show and --json), options and sub-verbs, and
 * finding a record from the short id a person types. Each section below
 * names the file that holds it.
 *
 * Exit codes (STYLE.md): 0 done, 1 failed, 2 usage error. Messages go to
 * stderr as "cellsync: <what failed>: <why>", lower case, subjects quoted.
 */
#ifndef CELLSYNC_CLIENT_H
#define CELLSYNC_CLIENT_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "cellsync/candidate.h"
#include "cellsync/cli.h"
#include "cellsync/codes.h"
#include "cellsync/id.h"
#include "cellsync/replica.h"
#include "cellsync/rules.h"
#include "cellsync/validate.h"

/* ---- the data directory and the replica in it (home.c) ---- */

#define CLIENT_REPLICA  "replica.db"
#define CLIENT_KEY      "device.key"
#define CLIENT_PUB      "device.pub"
#define CLIENT_HOLIDAYS "holidays"

struct client {
    char home[PATH_MAX];
    struct cs_replica *rep;
    sqlite3 *db;
    struct cs_date_holidays *hol; /* built-in, the hub's (cs_holiday_load), $home/holidays */
    int32_t today;                /* cs_replica_today(): $CELLSYNC_TODAY for tests */
    int duplicate_ok;             /* --duplicate-ok: fields_write() lets a likely duplicate in */
    const char *duplicate_hint;   /* what its refusal says to do; NULL: give --duplicate-ok */
    int clock_told;               /* the clock note is printed: client_close() is quiet */
    const char *prog;             /* named in hints: "cellsync", "cellsyncd" for the hub's */
};

/*
 * The data directory: $CELLSYNC_HOME, else $XDG_DATA_HOME/cellsync (an
 * absolute $XDG_DATA_HOME), else ~/.local/share/cellsync. 0 or -1 with a
 * message printed.
 */
int client_home(char *buf, size_t len);
void client_path(const struct client *c, const char *name, char *buf, size_t len);

/*
 * Opens the replica of the data directory, the holiday list and today's
 * date by the hub's time (the clock the replica corrects); prints what went
 * wrong and returns CS_EXIT_FAILURE if it cannot. For tests and
 * demonstrations, $CELLSYNC_CLOCK_SKEW (seconds, negative: behind) makes
 * this computer's clock read that far off, as a clock set wrong does.
 */
int client_open(struct client *c);
/* Closes it; first warns on stderr when this computer's clock is an hour or more off the hub's. */
void client_close(struct client *c);
/*
 * PRAGMA quick_check of the replica, before a command that moves records
 * to or from the hub (sync, bundle export and import): a damaged file is
 * refused with a message naming it, before anything is sent or written.
 * 0, or CS_EXIT_FAILURE with the message printed.
 */
int client_check_replica(struct client *c);
/* The same, the message in err instead (CS_ESQLITE); 0 when the file is sound. */
int client_check_replica_err(struct client *c, char *err, size_t errlen);

/* The last of this device's changes the hub acknowledged (0: none yet), for the unsent count. */
long long client_hub_acked(struct client *c);

/*
 * The FTS5 MATCH expression of the words typed in argv (cmd_search.c):
 * each word folded as the search tables are, quoted, with a prefix star.
 * *out malloc'd ("" when no word was left); 0 or CS_ENOMEM.
 */
int client_search_query(int argc, char **argv, char **out);
/*
 * `search` of the client and of the hub (search.c): the live candidates,
 * members and meetings that match query (client_search_query()) as a table
 * on stdout, best first, or a line saying that none does (naming the
 * nwords words as typed); with json a JSON array. 0 or the error with err.
 */
int search_print(struct client *c, const char *query, int nwords, char **words, int json, char *err,
                 size_t errlen);

/* ---- messages (common.c) ---- */

/* "cellsync: <message>" on stderr; return CS_EXIT_FAILURE / CS_EXIT_USAGE. */
int client_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int client_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- fields (fields.c) ---- */

enum field_type {
    FT_TEXT, /* free text */
    FT_DATE, /* YYYY-MM-DD or DD/MM/YYYY typed, stored as YYYY-MM-DD */
    FT_CODE, /* one of a code list */
    FT_REF,  /* the id of a live record of another table (its short id typed) */
    FT_INT,
};

struct field {
    const char *opt;    /* the long option, without dashes: "birth-date" */
    const char *column; /* the register column: "birth_date" */
    enum field_type type;
    const char *arg;   /* FT_CODE: the code list; FT_REF: the table */
    const char *label; /* N_() */
};

struct entity {
    const char *table;
    const struct field *fields;
    size_t nfields;
};

extern const struct entity ent_candidate, ent_member, ent_meeting;

const struct field *entity_field(const struct entity *e, const char *column);
/* The fields of e as options for --help: "--opt VALUE" and its label, a code list's choices. */
void fields_help(FILE *f, const struct entity *e);

/*
 * Checks and writes the given fields of one record in the open transaction.
 * Dates are normalised, codes checked, references resolved. On a bad value
 * returns CS_EINVAL with err naming the field and the value. A candidate or
 * member left without a full name, added or changed, is refused with
 * CS_EINVAL ("a member needs a full name"). A candidate or member given a name, date of birth or
 * cell that makes it look like a person already recorded in the cell (cs_person_duplicate()) is
 * refused with CS_EDUPLICATE, unless c->duplicate_ok.
 */
int fields_write(struct client *c, const struct entity *e, const struct cs_id *row, const char **fv,
                 char *err, size_t errlen);

/*
 * --duplicate-ok, which the verbs that write a person's fields take
 * (run_verb() adds it where fields_person() is true and sets
 * c->duplicate_ok), and whether an entity's records are people.
 */
extern const struct cs_cli_opt fields_duplicate_opt;
int fields_person(const struct entity *e);

/* Room for what a typed value may point into. Do not copy it while in use. */
struct field_buf {
    char text[CS_VALIDATE_BUFSZ]; /* a date, phone or card number as stored */
    struct cs_id ref;
};

/*
 * Checks and converts what a person typed for field f, as fields_write()
 * stores it: the checks of cs_validate_value() (dates normalised to
 * YYYY-MM-DD, a code or a label stored as the code, the formats of citizen
 * ids, phone and card numbers), references resolved from a short id; "" is
 * nil (clears the field).
 * *out may point into text or buf, which must outlive it. CS_EINVAL (or
 * records_find()'s codes) with err naming the field and the value.
 */
int field_value(struct client *c, const struct field *f, const char *text, struct field_buf *buf,
                struct cs_value *out, char *err, size_t errlen);

/*
 * Reads free text for an option value: "-" is standard input, "@FILE" a
 * file, anything else the text itself. When standard input is a terminal,
 * "-" first says on stderr to type the label's text (label: N_(), NULL for
 * "text") and that a line holding only "." ends it, as Ctrl-D does; from a
 * pipe or file it reads everything, lines of "." included.
 * OUT: *out malloc'd, caller frees.
 */
int fields_read_text(const char *arg, const char *label, char **out, char *err, size_t errlen);

/* ---- records (records.c) ---- */

/*
 * Finds a live record of table from what a person typed: its id as lists
 * show it or the start of it, the start or end of its whole id, or a
 * person's full name (cs_find_record()). CS_ENOTFOUND or CS_EAMBIGUOUS
 * with a message in err (the matches listed).
 */
int records_find(struct client *c, const char *table, const char *text, struct cs_id *out,
                 char *err, size_t errlen);

/*
 * The SQL expression of a record as a JSON object (id and every field,
 * codes as codes, references as ids) over the table aliased as alias.
 */
int records_json_expr(const struct entity *e, const char *alias, char *buf, size_t len);

/*
 * The SQL expression that shows field f of the table aliased as alias:
 * labels for codes (codes themselves with json), short ids for references
 * (whole ids with json).
 */
void records_field_expr(const struct field *f, const char *alias, int json, char *buf, size_t len);

/* Prints one record: "label: value" lines, or with json its JSON object (records_show.c). */
int records_show(struct client *c, const struct entity *e, const struct cs_id *row, int json);

/*
 * fields_write() in a transaction of its own: what `add` and `edit` of a
 * member or meeting, `candidate edit` and the web forms write. 0 or the
 * error with err set (rolled back: nothing written).
 */
int records_write(struct client *c, const struct entity *e, const struct cs_id *row,
                  const char **fv, char *err, size_t errlen);

/* The text of a record's column ("" if unset) into buf; 0 or CS_ENOTFOUND. */
int records_text(struct client *c, const char *table, const struct cs_id *row, const char *column,
                 char *buf, size_t len);

/* ---- meetings (meetings.c) ---- */

/*
 * The checks of a meeting's fields fv (ent_meeting's, as typed) before
 * they are written: a new meeting (adding) needs its date and is "regular"
 * when no kind is given (fv's kind set so), no meeting's date is cleared,
 * and every value that is not free text is checked as fields_write()
 * stores it. 0; CS_EINVAL with *missing the column that must be typed (err
 * empty: each front end says how), or with err naming the bad value.
 */
int meetings_check(struct client *c, const char **fv, int adding, const char **missing, char *err,
                   size_t errlen);

/* An assessment's texts: strengths, weaknesses, next steps. */
#define MEETINGS_ASSESS_TEXTS 3
/*
 * Writes a new assessment of candidate at meeting in the open transaction:
 * texts[MEETINGS_ASSESS_TEXTS], each NULL or "" left unset. OUT: *id, the
 * assessment's. 0 or the store's error with err.
 */
int meetings_assess_write(struct client *c, const struct cs_id *meeting,
                          const struct cs_id *candidate, const char *const *texts, struct cs_id *id,
                          char *err, size_t errlen);

struct cs_attend;
/* What one write of a meeting carries. */
struct meeting_rec {
    const char **fv;             /* ent_meeting's fields (meetings_check()ed); NULL: none */
    const struct cs_attend *att; /* natt attendance rows (cs_attend_write()) */
    size_t natt;
    const struct cs_id *candidate; /* an assessment of this candidate; NULL: none */
    const char *const *assess;     /* its MEETINGS_ASSESS_TEXTS texts */
};
/*
 * Writes the meeting row's fields, attendance and assessment of m in one
 * transaction: all of it or, on an error, nothing. OUT: *assessment, the
 * new assessment's id (when m has one). 0 or the error with err set.
 */
int meetings_write(struct client *c, const struct cs_id *row, const struct meeting_rec *m,
                   struct cs_id *assessment, char *err, size_t errlen);

/* ---- options and sub-verbs (`cellsync candidate add ...`; common.c) ---- */

/*
 * Parses the options of a command without verbs that checks them itself
 * before it opens the data directory (argv[0] is the command). --help
 * prints usage and about (both translated) and the options. Returns
 * CS_CLI_GO_ON with the operands from argv[*rest], or the exit code.
 */
int client_args(const char *cmd, const char *usage, const char *about, int argc, char **argv,
                const struct cs_cli_opt *opts, size_t nopts, const char **ov, int *rest);

struct verb_args {
    const char **fv; /* per entity field, NULL if not given */
    const char **ov; /* per option of the verb's table, NULL if not given, "" for a given flag */
    int argc;        /* the operands: argv[0..argc) */
    char **argv;
    /*
     * Options and operands in the order they were typed, typed[0] the
     * verb's name as getopt_long() wants it, for a verb whose options apply
     * to the operands after them (`meeting attend M --present A B --absent C`).
     */
    int ntyped;
    char **typed;
};

struct verb {
    const char *name; /* NULL for a command that is one verb (`cellsync sync`) */
    int (*fn)(struct client *c, const struct verb_args *a);
    const struct entity *e; /* fields it takes as options, or NULL */
    const struct cs_cli_opt *opts;
    size_t nopts;
    const char *operands; /* usage of the operands: "ID", "" */
    int min_operands, max_operands;
    const char *summary; /* N_() */
};

/*
 * Runs `cellsync CMD VERB [options] [operands]`: argv[0] is CMD. Handles
 * --help for the command and each verb, checks options and the operand
 * count, opens the data directory, calls the verb, closes.
 */
int run_verbs(const char *cmd, const struct verb *verbs, size_t n, int argc, char **argv);

/* The same for one verb: argv[0] is its name, or the command's for a command that is one verb. */
int run_verb(const char *cmd, const struct verb *v, int argc, char **argv);

/* ---- init and enrollment (cmd_init.c, cmd_enroll.c) ---- */

/*
 * `cellsync init` and the setup page: makes the data directory home (mode
 * 0700), this device's key pair (its id into site) and an empty replica,
 * of unit org when not NULL. Never overwrites: CS_EEXISTS when home
 * already holds a device's records. 0, or the code with err saying what
 * failed; a failure leaves no half-made key or replica behind.
 */
int client_init(const char *home, const char *org, unsigned flags, struct cs_id *site, char *err,
                size_t errlen);
/*
 * client_init()'s flags. Without CLIENT_INIT_UNENCRYPTED_DISK, home must be
 * on an encrypted disk (client_disk_check()): otherwise CS_EINVAL, nothing
 * made, and err says in plain words what is wrong and what to do. With it,
 * the replica remembers that it was made so (CS_META_UNENCRYPTED_DISK) and
 * `status` and the web pages' Home say so in red.
 */
#define CLIENT_INIT_UNENCRYPTED_DISK 1u

/* ---- the passphrase of a sealed device key (passphrase.c) ---- */

struct cs_key_pass;
/*
 * The one source of the passphrase every load of the device key uses
 * (cs_key_load_pass()): the kept one, $CELLSYNC_PASSPHRASE_FD,
 * $CELLSYNC_PASSPHRASE, or the terminal without echo.
 */
extern const struct cs_key_pass client_pass;
/*
 * A passphrase from the file descriptor named by $fd_env (one line), or
 * $env, or else asked with prompt on the terminal without echo, into buf
 * (at most cap bytes, no NUL) and *len. 0 or the error with err set.
 */
int client_pass_ask(const char *fd_env, const char *env, const char *prompt, char *buf, size_t cap,
                    size_t *len, char *err, size_t errlen);
/* Keeps pass (the unlock page's, checked) for the rest of the run; 0 or CS_ENOMEM. */
int client_pass_keep(const char *pass, size_t len);
/* Whether one is kept. */
int client_pass_kept(void);
/* The web pages: never ask on the terminal, whatever started them. */
void client_pass_no_terminal(void);

/* ---- the disk the records are on (disk.c) ---- */

enum client_disk {
    CLIENT_DISK_CRYPT,   /* on dm-crypt (LUKS), maybe under LVM */
    CLIENT_DISK_PLAIN,   /* on a disk or partition with no dm-crypt under it */
    CLIENT_DISK_NODEV,   /* on a filesystem with no block device (tmpfs, overlay, btrfs) */
    CLIENT_DISK_UNKNOWN, /* the kernel's sysfs does not say */
};
/*
 * What the filesystem of path (or of its nearest existing parent) sits on,
 * from sysfs ($CELLSYNC_SYSFS, default /sys); the device's name into dev.
 */
enum client_disk client_disk_check(const char *path, char *dev, size_t devlen);
/* The root of sysfs it reads: $CELLSYNC_SYSFS, else /sys. */
const char *client_sysfs(void);
/* Home's red line when the records were made on a disk not known to be encrypted, or NULL. */
const char *client_disk_warning(struct client *c);

/* What client_enroll() did: for the command's lines and the setup page's sentences. */
struct client_enrolled {
    char addr[128]; /* the hub's address as kept, HOST:PORT */
    char org[64];   /* the unit; "" by code, where the first sync brings it */
    char role[16];
    size_t adopted;  /* records written before enrollment that took the unit now */
    int64_t expired; /* the enrollment's end, when past by this computer's clock; else 0 */
};

/*
 * `cellsync enroll` and the setup page: binds the device to its hub, from
 * the enrollment file file, or from code and the hub's address hub
 * (HOST:PORT as link_address() writes it; with a file, it replaces the
 * file's). name: the device's name, NULL for the file's. 0 with *out
 * filled, or the code with err saying what is wrong: a wrong file, code or
 * address changes nothing.
 */
int client_enroll(struct client *c, const char *file, const char *code, const char *hub,
                  const char *name, struct client_enrolled *out, char *err, size_t errlen);
/* The warning for an enrollment past its end (out->expired), one sentence into buf. */
void client_enroll_expired(struct client *c, int64_t expires, char *buf, size_t len);

/* ---- reports (cmd_report.c) ---- */

struct cs_report_params;
/*
 * The parameters of `report` on this device: year (0: this year by the
 * hub's time), the unit root (NULL: the device's own, into org), today.
 */
void client_report_params(struct client *c, int year, const char *root, struct cs_report_params *p,
                          char *org, size_t orglen);

/* ---- the due list (common.c) ---- */

/*
 * The skipped callback of cs_candidate_due_fill() for `due` and `status`: a
 * candidate whose dates are out of range is left out of the deadlines with
 * a warning on stderr, and does not hide everyone else's.
 */
void client_due_skipped(void *ud, const struct cs_id *id);

/* ---- corrections (corrections.c) ---- */

/*
 * `CMD delete TEXT` and `CMD undelete TEXT` of a record of table: the
 * record named as records_find() (a deleted one, cs_find_deleted())
 * takes it; prints what was done and how to undo it. Exit codes.
 */
int client_delete(struct client *c, const char *cmd, const char *table, const char *text);
/*
 * What `delete` does, without printing: deletes the live record id of table
 * (cs_record_delete()) and gives the name it is known by (a person's name,
 * a meeting's date DD/MM/YYYY) into name. 0 or the error, with err set.
 */
int client_delete_record(struct client *c, const char *table, const struct cs_id *id, char *name,
                         size_t namelen, char *err, size_t errlen);
/* What names a record of table for a person: its name, or a meeting's date ("" if none). */
void client_record_name(struct client *c, const char *table, const struct cs_id *id, char *buf,
                        size_t len);
/*
 * What `undelete` does, without printing: restores the deleted record of
 * table text names (cs_find_deleted()) into *id, its name into name.
 */
int client_record_undelete(struct client *c, const char *table, const char *text, struct cs_id *id,
                           char *name, size_t len, char *err, size_t errlen);
int client_undelete(struct client *c, const char *cmd, const char *table, const char *text);
/* `CMD list --deleted`: the deleted records of table, with when and by which device. */
int client_list_deleted(struct client *c, const char *table, int json);
/*
 * `CMD show TEXT` for a record that records_find() did not find live: shows
 * the deleted one TEXT names, with when it was deleted and how to restore
 * it, or fails with notfound (the live search's message).
 */
int client_show_deleted(struct client *c, const char *cmd, const struct entity *e, const char *text,
                        int json, const char *notfound);

/* ---- a candidate's steps (casework.c): what `candidate` and the web pages write ---- */

/* The members a step names. */
struct step_members {
    struct cs_id helper, sponsor[CS_RULES_SPONSORS];
};

/*
 * The members a step names, found (records_find()) from what was typed or
 * the id a form sent, into m and the step's slots; NULL: not given. 0 or
 * records_find()'s code with err set.
 */
int client_step_members(struct client *c, const char *helper, const char *sp1, const char *sp2,
                        struct step_members *m, struct cs_step *s, char *err, size_t errlen);

/*
 * A new candidate, in one transaction: the identity fields fv (a full name
 * needed; fields_write(), so a likely duplicate is refused with
 * CS_EDUPLICATE unless c->duplicate_ok) and its steps
 * (cs_candidate_paper_steps(), cs_candidate_record()), judged with this
 * device's casework; force_reason (NULL: none) records an exception for a
 * failing rule, passing its message to excepted. 0 with *id set, or the
 * error with err set and nothing written: *failed is the step refused
 * (steps[*failed].field the input), -1 for the identity fields.
 */
int client_cand_add(struct client *c, const char **fv, struct cs_step *steps, size_t n,
                    const char *force_reason, void (*excepted)(void *ud, const char *message),
                    void *ud, struct cs_id *id, int *failed, char *err, size_t errlen);
/* cs_candidate_advance(), cs_candidate_undo(), cs_candidate_withdraw() with this device's casework.
 */
int client_cand_advance(struct client *c, const struct cs_id *id, struct cs_step *s,
                        const char *force_reason, void (*excepted)(void *ud, const char *message),
                        void *ud, char *err, size_t errlen);
int client_cand_undo(struct client *c, const struct cs_id *id, const char *reason,
                     enum cs_stage *from, enum cs_stage *to, char *err, size_t errlen);
int client_cand_withdraw(struct client *c, const struct cs_id *id, int32_t on, const char *reason,
                         char *err, size_t errlen);

#endif

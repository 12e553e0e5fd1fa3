/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * vudbadm.h - what the command groups of vudbadm(8) share: the context of
 * one invocation (store, --json, the open handle, the command's name for
 * messages), option parsing, the mapping of library status codes to
 * sysexits(3) exit codes, error messages, password input, and the output
 * helpers (aligned tables and JSON records).  The tool is a thin layer
 * over <vudb.h>: every rule about names, values, limits and passwords is
 * the library's.
 */
#ifndef VUDBADM_H
#define VUDBADM_H

#include <stdio.h>
#include <sysexits.h>

#include "vudb.h"
#include "json.h"
#include "format.h"

/* sysexits(3) has no code for "not found" (lookup, auth); 1, as grep(1) */
#define EX_NOTFOUND	1

struct ctx {
	const char	*store;		/* -d, or NULL: the library's default */
	int		 json;		/* --json */
	const char	*cmd;		/* "user add", for messages */
	const struct cmd *def;		/* the command's row in its table */
	struct vudb	*db;
	struct jw	 jw;		/* JSON writer on stdout */
};

/* One option of a command: "--quota" with an argument, or a flag. */
struct opt {
	const char	*name;		/* "--quota", "-s" */
	int		 has_arg;
	const char	**arg_r;	/* has_arg: where the argument goes */
	int		*flag_r;	/* !has_arg: set to 1 */
};

/* An option that sets an attribute: "--quota" -> quota_bytes. */
struct aopt {
	const char	*opt;
	const char	*attr;
	const char	*fixed;		/* a flag setting attr to this */
};

struct cmd {
	const char	*group;		/* "user", or NULL for top level */
	const char	*name;		/* "add" */
	int		(*fn)(struct ctx *, int, char **);
	const char	*usage;		/* arguments, for the usage line */
};

extern const struct cmd cmds_settings[], cmds_domain[], cmds_user[],
    cmds_value[], cmds_sender[], cmds_lookup[],
    cmds_export[], cmds_import[], cmds_verify[], cmds_log[];

/* vudbadm.c */
int	 parse_opts(struct ctx *, int, char **, const struct opt *, char **,
	    int);
int	 parse_attr_opts(struct ctx *, int, char **, const struct aopt *,
	    const struct opt *, char **, int, const char **);
int	 usage_error(struct ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 fail(struct ctx *, int, const char *);
int	 fail_msg(struct ctx *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 fail_rc(struct ctx *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 exit_code(int);
void	 warn_msg(struct ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 open_store(struct ctx *, int);
int	 interrupted(void);
int	 iter_next(struct vudb_iter *, struct vudb_obj **);
int	 known_setting(const char *);	/* cmd_settings.c */

/* entries.c: shared by the entry commands */
int	 set_attr(struct ctx *, int, const char *, const char *,
	    const char *);
int	 set_cmd(struct ctx *, int, int, char **, int);
int	 rename_cmd(struct ctx *, int, int, char **);
int	 list_entries(struct ctx *, int, const char *);
int	 list_cmd(struct ctx *, int, int, char **);
int	 entry_del(struct ctx *, int, int, char **);
int	 entry_show(struct ctx *, int, int, char **);
int	 enable_cmd(struct ctx *, int, int, char **, const char *);
int	 put_value(struct ctx *, int, int, int, char **, const char *);
char	*join_args(char **, int, const char *);

/* cmd_import.c */

/* password.c */
#define PW_MAX	1024
int	 pw_read_stdin(struct ctx *, char *, size_t);
int	 pw_read_tty(struct ctx *, char *, size_t, int);
int	 pw_random(char *, size_t);
int	 pw_get(struct ctx *, int, char *, size_t);
void	 pw_wipe(char *, size_t);

/* output.c */
struct table;
struct table *table_new(size_t, ...);
int	 table_add(struct table *, ...);
void	 table_print(struct table *, FILE *);
void	 table_free(struct table *);
const char *type_name(int);
#define OBJ_SHOW	0x1	/* obj_json: show and list */
#define OBJ_EXPORT	0x2	/* obj_json: export */
#define OBJ_TIMES	0x4	/* obj_json: export with created, updated */
void	 json_value(struct jw *, int, const char *);
void	 json_kv(struct jw *, const char *, int, const char *);
void	 obj_json(struct ctx *, const struct vudb_obj *, int);
void	 obj_show(struct ctx *, const struct vudb_obj *);
int	 list_domains(struct ctx *, char ***, size_t *, int);
void	 names_free(char **, size_t);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* VUDBADM_H */

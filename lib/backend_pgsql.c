/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * backend_pgsql.c - the PostgreSQL backend: "pgsql:" followed by a libpq
 * conninfo string ("host=/run/postgresql dbname=vudb") or a
 * "postgresql://" URI.  A store is one database; it knows nothing of
 * names, records or lookup semantics, like every backend.
 *
 * Layout.  One schema per domain, and a store schema "vudb":
 *
 *   vudb.meta      one row: the layout's version (checked at every open:
 *                  a newer one is VUDB_EVERSION), the change counter gen,
 *                  and the settings text (vudb.conf(5)'s form) with a
 *                  stamp that a trigger moves whenever the text changes
 *                  (an administrator's UPDATE too: readers look at it
 *                  once a second)
 *   vudb.domains   the catalog: domain name -> its schema, and (layout
 *                  2) the domain's change counter gen, which a trigger on
 *                  its records table moves at every statement that
 *                  changes them, with a NOTIFY "d:<domain>" (see
 *                  LAYOUT2_SQL): what keeps the answer caches of every
 *                  host exact
 *   <schema>.records (k bytea primary key, v bytea): the core's opaque
 *                  key/value bytes, in bytea's order (bytes, then length:
 *                  the order of every backend)
 *
 * Why a schema per domain and a catalog: a schema is PostgreSQL's unit of
 * isolation that pg_dump -n/pg_restore -n dump, restore and move alone,
 * that DROP SCHEMA removes alone, and on which a role can be granted
 * USAGE for one domain only, as a domain file is with the embedded
 * backends.  A domain name (up to 253 bytes, any IDNA A-label) cannot be
 * an identifier (at most 63 bytes), so the catalog maps it to a short
 * name of ours, "vd<id>_<the name's first 40 characters, [a-z0-9_]>",
 * readable by an administrator and unique by its id; the catalog is the
 * only place that says which domains exist, so a half-made schema is never
 * a domain.  Creating and dropping a domain are functions in the store
 * schema (vudb.dom_create, vudb.dom_drop), one statement for every host.
 *
 * Transactions.  A write without a transaction is one statement; a
 * transaction of the core is one server transaction (SERIALIZABLE, so that
 * two hosts' read-modify-write of a domain's counters never lose one; a
 * serialization failure or a deadlock is VUDB_ETEMP, which the core
 * retries).  Statements are prepared once per connection and domain
 * handle and deallocated when the handle closes.
 *
 * Failures.  Every failure of the server (unreachable, restarted, a
 * statement timeout, a dropped connection, a missing schema, a standby
 * refusing a write) is VUDB_ETEMP with libpq's or the server's words,
 * never VUDB_ENOTFOUND.  A lost connection makes alive() false: the core
 * closes the domain handles and calls reopen(), which reconnects, with a
 * backoff (100 ms doubling to 5 s) between failed attempts so that a dead
 * server costs a reader one refused connect, not a wait, per interval.
 *
 * Deadline.  Unless the conninfo sets them, a connection is made with
 * connect_timeout=2 (per host), tcp_user_timeout=5000 ms and TCP
 * keepalives (idle 5 s, interval 2 s, count 2), and runs with
 * statement_timeout=5000 ms and lock_timeout=2000 ms: a call of the
 * library waits for the server at most about 5 s (a connect of 2 s per
 * host tried, then 5 s per statement) before it answers VUDB_ETEMP.
 *
 * Change counter.  vudb.meta.gen moves on every change of a domain record
 * or a setting (changed(): vudb.changed(), which also NOTIFYs channel
 * "vudb" with the new value, delivered at commit).  A connection to a
 * primary LISTENs, and changes() consumes what arrived without blocking
 * (PQconsumeInput, PQnotifies): no query.  After a (re)connect the counter
 * is read again (notifications are not kept for a listener away).  A hot
 * standby never receives notifications: there changes() reads the counter
 * at most every 250 ms, so a reader of a standby sees a change within
 * 250 ms of its replay.
 *
 * Answer cache (layout 2).  The notifications "d:<domain>" and, on a
 * standby, the sums of the domains' counters compared at each poll tell
 * the core which slots of its answer cache moved (vudb__ctx_slot_moved).
 * A notification reaches the readers a moment after the commit, which is
 * too late for a reader on the writer's own host asked right after the
 * writer returned: host_page names a page of this host by the store's id
 * (vudb.meta.store_id, which a standby shares), which the core maps and
 * this host's writers advance before they return (cache.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "vudb_backend.h"

/* The layout this file makes and reads (vudb.meta.version). */
#define PG_LAYOUT	2
#define PG_CHANNEL	"vudb"
#define POLL_MS		250
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
/* pg_connect's flag: a reconnection (no look for a missing database) */
#define VUDB__PG_REOPEN	0x10000

struct pg_store {
	PGconn		*conn;
	char		*conninfo;	/* the location, as given */
	int		 broken;	/* the connection is lost */
	int		 in_txn;	/* a BEGIN is open */
	int		 listening;	/* on a primary: LISTEN vudb */
	unsigned long long gen;		/* the change counter, last seen */
	long long	 polled;	/* ms of the last read of gen */
	long long	 retry_at;	/* ms before which reopen does not try */
	long long	 backoff;	/* ms */
	unsigned long	 epoch;		/* moves with every connection */
	unsigned long	 serial;	/* names prepared statements */
	int		 rdonly;	/* opened VUDB_RDONLY */
	int		 layout;	/* the store's version */
	char		 store_id[40];	/* layout 2: names the host page */
	/* on a standby: the sum of the domains' counters, and per slot */
	unsigned long long dsum;
	unsigned long long *slotsum;
};

/* An open domain: its schema and its statements, prepared on demand. */
enum { Q_GET, Q_PUT, Q_NEW, Q_DEL, Q_ITER, Q_ITER_OPEN, Q_COUNT };

struct pg_dom {
	struct pg_store	*st;
	char		*domain;
	char		*name;		/* its schema */
	char		*schema;	/* the same, a quoted identifier */
	int		 gone;		/* removed since it was opened */
	unsigned long	 id;		/* statement names: q<op>_<id> */
	unsigned long	 epoch;		/* connection they were prepared on */
	unsigned int	 prepared;	/* bit per Q_* */
};

/* ------------------------------------------------------------ helpers */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one line of libpq's message: no trailing newline */
static void
oneline(char *dst, size_t len, const char *msg)
{
	size_t n;

	snprintf(dst, len, "%s", msg != NULL && *msg ? msg : "unknown error");
	for (n = strlen(dst); n > 0 && (dst[n - 1] == '\n' ||
	    dst[n - 1] == ' '); n--)
		dst[n - 1] = '\0';
	for (n = 0; dst[n] != '\0'; n++)
		if (dst[n] == '\n' || dst[n] == '\t')
			dst[n] = ' ';
}

/*
 * pg_fail - the status of a failed statement (res may be NULL), with its
 * detail: the one translation of PostgreSQL's errors.  A lost connection
 * marks the store broken, for alive().
 */
static int
pg_fail(struct vudb_bectx *ctx, struct pg_store *st, PGresult *res,
    const char *what)
{
	char msg[512];
	const char *state = NULL, *hint = "";

	if (res != NULL)
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	oneline(msg, sizeof(msg), res != NULL && PQresultErrorMessage(res)[0] ?
	    PQresultErrorMessage(res) : PQerrorMessage(st->conn));
	if (PQstatus(st->conn) != CONNECTION_OK || state == NULL ||
	    strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
		st->broken = 1;
		hint = " (connection lost: reconnecting)";
	} else if (strcmp(state, "23505") == 0)
		return vudb__ctx_seterr(ctx, VUDB_EEXIST, "pgsql: %s: %s",
		    what, msg);
	else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		hint = " (a concurrent change: try again)";
	else if (strcmp(state, "57014") == 0)
		hint = " (statement timeout)";
	else if (strcmp(state, "25006") == 0 ||
	    (strcmp(state, "0A000") == 0 && strstr(msg, "standby") != NULL))
		hint = " (a read-only server, a standby: writes go to the "
		    "primary)";
	else if (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)
		hint = " (a schema or table of the store is missing)";
	else if (strcmp(state, "42501") == 0)
		hint = " (the role lacks a privilege)";
	return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: %s: %s%s%s%s%s", what,
	    msg, state != NULL ? " [" : "", state != NULL ? state : "",
	    state != NULL ? "]" : "", hint);
}

/* ok - whether res is a success (PGRES_COMMAND_OK or TUPLES_OK) */
static int
ok(const PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);

	return res != NULL && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
}

/* exec - a statement without parameters; VUDB_OK or a failure */
static int
exec(struct vudb_bectx *ctx, struct pg_store *st, const char *sql,
    const char *what)
{
	PGresult *res;
	int rc = VUDB_OK;

	res = PQexec(st->conn, sql);
	if (!ok(res))
		rc = pg_fail(ctx, st, res, what);
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------ layout */

/* The audit log's table (a store made before it had one gets it with its
 * first line). */
#define AUDIT_SQL \
"CREATE TABLE IF NOT EXISTS vudb.audit ("\
"  id bigserial PRIMARY KEY,"\
"  line text NOT NULL)"

/*
 * Layout 2: every statement that changes a domain's records moves the
 * domain's counter vudb.domains.gen and NOTIFYs "d:<domain>" (at commit,
 * once a transaction), so that the long-lived readers of every host drop
 * the answers they kept from that domain (a standby's readers compare the
 * counters at their polls).  An administrator's own statements too.
 */
#define LAYOUT2_SQL \
"CREATE OR REPLACE FUNCTION vudb.rec_changed() RETURNS trigger"\
"  LANGUAGE plpgsql AS $$"\
"DECLARE d text;"\
"BEGIN"\
"  UPDATE vudb.domains SET gen = gen + 1 WHERE schema = TG_TABLE_SCHEMA"\
"      RETURNING name INTO d;"\
"  IF FOUND THEN PERFORM pg_notify('" PG_CHANNEL "', 'd:' || d); END IF;"\
"  RETURN NULL;"\
"END $$;"\
"CREATE OR REPLACE FUNCTION vudb.dom_create(d text) RETURNS name"\
"  LANGUAGE plpgsql AS $$"\
"DECLARE s name;"\
"BEGIN"\
"  SELECT schema INTO s FROM vudb.domains WHERE name = d;"\
"  IF FOUND THEN RETURN s; END IF;"\
"  s := 'vd' || nextval('vudb.domain_ids') || '_' ||"\
"      left(regexp_replace(lower(d), '[^a-z0-9]', '_', 'g'), 40);"\
"  INSERT INTO vudb.domains (name, schema) VALUES (d, s)"\
"      ON CONFLICT (name) DO NOTHING;"\
"  IF NOT FOUND THEN"\
"    SELECT schema INTO s FROM vudb.domains WHERE name = d;"\
"    RETURN s;"\
"  END IF;"\
"  EXECUTE format('CREATE SCHEMA %I', s);"\
"  EXECUTE format('CREATE TABLE %I.records (k bytea PRIMARY KEY,"\
"      v bytea NOT NULL)', s);"\
"  EXECUTE format('CREATE TRIGGER changed AFTER INSERT OR UPDATE OR"\
"      DELETE OR TRUNCATE ON %I.records FOR EACH STATEMENT"\
"      EXECUTE FUNCTION vudb.rec_changed()', s);"\
"  RETURN s;"\
"END $$"

/* A store of layout 1 made into one of layout 2 by its first writer. */
static const char upgrade2_sql[] =
"LOCK TABLE vudb.meta, vudb.domains IN EXCLUSIVE MODE;"
"ALTER TABLE vudb.meta ADD COLUMN IF NOT EXISTS store_id text;"
"ALTER TABLE vudb.domains ADD COLUMN IF NOT EXISTS gen bigint NOT NULL"
"  DEFAULT 0;"
LAYOUT2_SQL ";"
"DO $$"
"DECLARE s name;"
"BEGIN"
"  FOR s IN SELECT schema FROM vudb.domains LOOP"
"    EXECUTE format('DROP TRIGGER IF EXISTS changed ON %I.records', s);"
"    EXECUTE format('CREATE TRIGGER changed AFTER INSERT OR UPDATE OR"
"        DELETE OR TRUNCATE ON %I.records FOR EACH STATEMENT"
"        EXECUTE FUNCTION vudb.rec_changed()', s);"
"  END LOOP;"
"END $$;"
"UPDATE vudb.meta SET version = 2, store_id = coalesce(store_id,"
"  md5(random()::text || clock_timestamp()::text || pg_backend_pid()))"
"  WHERE id = 1;";

/* What vudbadm init makes in a database (one transaction). */
static const char layout_sql[] =
"CREATE SCHEMA vudb;"
"CREATE TABLE vudb.meta ("
"  id integer PRIMARY KEY CHECK (id = 1),"
"  version integer NOT NULL,"
"  gen bigint NOT NULL DEFAULT 0,"
"  conf text,"
"  conf_stamp bigint NOT NULL DEFAULT 1,"
"  store_id text);"
"INSERT INTO vudb.meta (id, version, store_id) VALUES (1, 2,"
"  md5(random()::text || clock_timestamp()::text || pg_backend_pid()));"
"CREATE FUNCTION vudb.meta_stamp() RETURNS trigger"
"  LANGUAGE plpgsql AS $$"
"BEGIN"
"  IF NEW.conf IS DISTINCT FROM OLD.conf THEN"
"    NEW.conf_stamp := OLD.conf_stamp + 1;"
"  END IF;"
"  RETURN NEW;"
"END $$;"
"CREATE TRIGGER meta_stamp BEFORE UPDATE ON vudb.meta"
"  FOR EACH ROW EXECUTE FUNCTION vudb.meta_stamp();"
"CREATE TABLE vudb.domains ("
"  name text PRIMARY KEY,"
"  schema name NOT NULL UNIQUE,"
"  created timestamptz NOT NULL DEFAULT now(),"
"  gen bigint NOT NULL DEFAULT 0);"
"CREATE SEQUENCE vudb.domain_ids;"
AUDIT_SQL ";"
LAYOUT2_SQL ";"
"CREATE FUNCTION vudb.dom_drop(d text) RETURNS boolean"
"  LANGUAGE plpgsql AS $$"
"DECLARE s name;"
"BEGIN"
"  DELETE FROM vudb.domains WHERE name = d RETURNING schema INTO s;"
"  IF NOT FOUND THEN RETURN false; END IF;"
"  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s);"
"  RETURN true;"
"END $$;"
"CREATE FUNCTION vudb.changed() RETURNS bigint"
"  LANGUAGE plpgsql AS $$"
"DECLARE g bigint;"
"BEGIN"
"  UPDATE vudb.meta SET gen = gen + 1 WHERE id = 1 RETURNING gen INTO g;"
"  PERFORM pg_notify('" PG_CHANNEL "', g::text);"
"  RETURN g;"
"END $$;";

/*
 * standby_poll - on a standby (no notifications): the domains' counters
 * compared with what the last poll saw, per slot of the answer cache; a
 * slot whose sum moved is told to the core.  first: only note them (a
 * connection made anew: the core forgets every answer kept before).
 */
static int
standby_poll(struct vudb_bectx *ctx, struct pg_store *st, int first)
{
	PGresult *res;
	unsigned long long *sums, sum = 0;
	int i, n, slot, rc = VUDB_OK;

	if (st->slotsum == NULL && (st->slotsum = calloc(VUDB_BE_SLOTS,
	    sizeof(*st->slotsum))) == NULL)
		return VUDB_ENOMEM;
	res = PQexec(st->conn, "SELECT coalesce(sum(gen), 0), count(*) "
	    "FROM vudb.domains");
	if (!ok(res) || PQntuples(res) != 1) {
		rc = pg_fail(ctx, st, res, "reading the domains' counters");
		PQclear(res);
		return rc;
	}
	sum = strtoull(PQgetvalue(res, 0, 0), NULL, 10) ^
	    (strtoull(PQgetvalue(res, 0, 1), NULL, 10) << 48);
	PQclear(res);
	if (!first && sum == st->dsum)
		return VUDB_OK;
	res = PQexec(st->conn, "SELECT name, gen FROM vudb.domains");
	if (!ok(res)) {
		rc = pg_fail(ctx, st, res, "reading the domains' counters");
		PQclear(res);
		return rc;
	}
	if ((sums = calloc(VUDB_BE_SLOTS, sizeof(*sums))) == NULL) {
		PQclear(res);
		return VUDB_ENOMEM;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		slot = vudb__ctx_slot(PQgetvalue(res, i, 0));
		if (slot >= 0 && slot < VUDB_BE_SLOTS)
			sums[slot] += strtoull(PQgetvalue(res, i, 1), NULL,
			    10) + 1;
	}
	PQclear(res);
	for (i = 0; i < VUDB_BE_SLOTS; i++)
		if (!first && sums[i] != st->slotsum[i])
			vudb__ctx_slot_moved(ctx, i);
	free(st->slotsum);
	st->slotsum = sums;
	st->dsum = sum;
	return VUDB_OK;
}

/*
 * layout_check - the store's layout in this database: its version, the
 * counter; made when missing and VUDB_CREATE is given.  VUDB_ENOSTORE when
 * the database holds no store.
 */
static int
layout_check(struct vudb_bectx *ctx, struct pg_store *st, int flags)
{
	PGresult *res;
	const char *state;
	int rc, version;

	res = PQexec(st->conn, "SELECT version, gen, pg_is_in_recovery(), "
	    "to_jsonb(m) ->> 'store_id' FROM vudb.meta m WHERE id = 1");
	if (!ok(res)) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state == NULL || (strcmp(state, "42P01") != 0 &&
		    strcmp(state, "3F000") != 0)) {
			rc = pg_fail(ctx, st, res, "reading vudb.meta");
			PQclear(res);
			return rc;
		}
		PQclear(res);
		if (!(flags & VUDB_CREATE))
			return vudb__ctx_seterr(ctx, VUDB_ENOSTORE, "pgsql: "
			    "database %s holds no store (no schema vudb; "
			    "vudbadm init makes one)", PQdb(st->conn));
		if ((rc = exec(ctx, st, "BEGIN", "init")) != VUDB_OK)
			return rc;
		if ((rc = exec(ctx, st, layout_sql, "init")) != VUDB_OK ||
		    (rc = exec(ctx, st, "COMMIT", "init")) != VUDB_OK) {
			(void)exec(ctx, st, "ROLLBACK", "init");
			return rc;
		}
		return layout_check(ctx, st, 0);
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		return vudb__ctx_seterr(ctx, VUDB_ECORRUPT, "pgsql: vudb.meta "
		    "has no row: the store is damaged");
	}
	version = atoi(PQgetvalue(res, 0, 0));
	st->gen = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	st->listening = strcmp(PQgetvalue(res, 0, 2), "f") == 0;
	snprintf(st->store_id, sizeof(st->store_id), "%s",
	    PQgetisnull(res, 0, 3) ? "" : PQgetvalue(res, 0, 3));
	PQclear(res);
	st->polled = now_ms();
	if (version > PG_LAYOUT)
		return vudb__ctx_seterr(ctx, VUDB_EVERSION, "pgsql: the store's "
		    "layout is version %d, newer than this libvudb's (%d): "
		    "use a newer libvudb", version, PG_LAYOUT);
	if (version < 1)
		return vudb__ctx_seterr(ctx, VUDB_ECORRUPT, "pgsql: the store's "
		    "layout version %d is not valid", version);
	if (version < 2 && !st->rdonly && st->listening) {
		/* the first writer of a newer libvudb: the domains'
		 * counters, in one transaction */
		if ((rc = exec(ctx, st, "BEGIN", "upgrade")) != VUDB_OK)
			return rc;
		if ((rc = exec(ctx, st, upgrade2_sql, "upgrading the layout "
		    "to version 2")) == VUDB_OK &&
		    (rc = exec(ctx, st, "COMMIT", "upgrade")) == VUDB_OK) {
			vudb__ctx_log(ctx, VUDB_LOG_INFO, "pgsql: the store's "
			    "layout is now version 2 (the domains' change "
			    "counters)");
			return layout_check(ctx, st, flags);
		}
		/* a role that may not (a reader's): on as layout 1, without
		 * the answer cache */
		vudb__ctx_log(ctx, VUDB_LOG_WARNING, "%s; the store stays "
		    "layout 1 (no answer cache) until its owner writes",
		    vudb__ctx_errmsg(ctx));
		if (!st->broken)
			(void)exec(ctx, st, "ROLLBACK", "upgrade");
		if (st->broken || PQstatus(st->conn) != CONNECTION_OK)
			return rc;
	}
	st->layout = version;
	if (version < 2)
		st->store_id[0] = '\0';	/* no answer cache */
	if (!st->listening && version >= 2 &&
	    (rc = standby_poll(ctx, st, 1)) != VUDB_OK)
		return rc;
	/* the primary tells readers of every host at commit; a standby
	 * cannot LISTEN (changes() polls there) */
	if (st->listening && (rc = exec(ctx, st, "LISTEN " PG_CHANNEL,
	    "LISTEN")) != VUDB_OK)
		return rc;
	return VUDB_OK;
}

/* ------------------------------------------------------------ connect */

/* The defaults of a connection, unless its conninfo says otherwise. */
static const char *const conn_defaults[][2] = {
	{ "connect_timeout",	"2" },
	{ "tcp_user_timeout",	"5000" },
	{ "keepalives",		"1" },
	{ "keepalives_idle",	"5" },
	{ "keepalives_interval", "2" },
	{ "keepalives_count",	"2" },
	{ "application_name",	"libvudb" },
};
#define NDEFAULTS	(sizeof(conn_defaults) / sizeof(conn_defaults[0]))

/*
 * connect_db - a connection with conninfo's parameters, the defaults
 * above for those it leaves unset, and dbname replaced by dbname when not
 * NULL.  *conn_r is set even on failure (PQfinish it); VUDB_OK, or
 * VUDB_EINVAL for a conninfo libpq cannot parse, VUDB_ETEMP else.
 */
static int
connect_db(struct vudb_bectx *ctx, const char *conninfo, const char *dbname,
    PGconn **conn_r, int *timeouts_r)
{
	PQconninfoOption *opts, *o;
	const char **kw = NULL, **val = NULL;
	char *err = NULL, msg[512];
	size_t n = 0, i, j;
	int rc = VUDB_OK;

	*conn_r = NULL;
	*timeouts_r = 0;
	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		oneline(msg, sizeof(msg), err);
		PQfreemem(err);
		return vudb__ctx_seterr(ctx, VUDB_EINVAL, "pgsql: invalid "
		    "conninfo: %s", msg);
	}
	for (o = opts; o->keyword != NULL; o++)
		n++;
	if ((kw = calloc(n + NDEFAULTS + 1, sizeof(*kw))) == NULL ||
	    (val = calloc(n + NDEFAULTS + 1, sizeof(*val))) == NULL) {
		rc = VUDB_ENOMEM;
		goto out;
	}
	for (i = 0, o = opts; o->keyword != NULL; o++) {
		const char *v = o->val;

		if (dbname != NULL && strcmp(o->keyword, "dbname") == 0)
			v = dbname;
		for (j = 0; v == NULL && j < NDEFAULTS; j++)
			if (strcmp(o->keyword, conn_defaults[j][0]) == 0)
				v = conn_defaults[j][1];
		if (v == NULL)
			continue;
		if (strcmp(o->keyword, "options") == 0 &&
		    strstr(v, "statement_timeout") != NULL)
			*timeouts_r = 1;
		kw[i] = o->keyword;
		val[i++] = v;
	}
	if (dbname != NULL) {
		for (j = 0; j < i && strcmp(kw[j], "dbname") != 0; j++)
			;
		if (j == i) {
			kw[i] = "dbname";
			val[i++] = dbname;
		}
	}
	*conn_r = PQconnectdbParams(kw, val, 0);
	if (*conn_r == NULL)
		rc = VUDB_ENOMEM;
	else if (PQstatus(*conn_r) != CONNECTION_OK) {
		oneline(msg, sizeof(msg), PQerrorMessage(*conn_r));
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: cannot connect: "
		    "%s", msg);
	}
out:
	free(kw);
	free(val);
	PQconninfoFree(opts);
	return rc;
}

/*
 * missing_db - after a failed connection: whether its database is missing,
 * asked of the maintenance database "postgres" with the same parameters.
 * Then VUDB_CREATE makes it (the role needs CREATEDB): VUDB_OK; without
 * it, VUDB_ENOSTORE.  Anything else (the server is down, the database is
 * there, postgres cannot be reached): VUDB_ETEMP, and the first failure
 * stands.
 */
static int
missing_db(struct vudb_bectx *ctx, const char *conninfo, int flags)
{
	PQconninfoOption *opts, *o;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	const char *param[1];
	char *dbname = NULL, *q = NULL, *sql = NULL, msg[512];
	int rc = VUDB_ETEMP, timeouts;

	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return VUDB_ETEMP;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL)
			dbname = strdup(o->val);
	if (dbname == NULL)
		for (o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, "user") == 0 && o->val != NULL)
				dbname = strdup(o->val);
	PQconninfoFree(opts);
	if (dbname == NULL || strcmp(dbname, "postgres") == 0)
		goto out;
	if (connect_db(NULL, conninfo, "postgres", &conn, &timeouts) !=
	    VUDB_OK)
		goto out;
	param[0] = dbname;
	res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1",
	    1, NULL, param, NULL, NULL, 0);
	if (!ok(res) || PQntuples(res) != 0)
		goto out;	/* it exists: the first failure stands */
	if (!(flags & VUDB_CREATE)) {
		rc = vudb__ctx_seterr(ctx, VUDB_ENOSTORE, "pgsql: no database "
		    "%s on the server (vudbadm init makes one)", dbname);
		goto out;
	}
	if ((q = PQescapeIdentifier(conn, dbname, strlen(dbname))) == NULL ||
	    asprintf(&sql, "CREATE DATABASE %s", q) < 0) {
		sql = NULL;
		goto out;
	}
	PQclear(res);
	res = PQexec(conn, sql);
	if (ok(res))
		rc = VUDB_OK;
	else {
		oneline(msg, sizeof(msg), PQresultErrorMessage(res));
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: cannot create "
		    "database %s: %s", dbname, msg);
	}
out:
	PQclear(res);
	PQfreemem(q);
	free(sql);
	free(dbname);
	PQfinish(conn);
	return rc;
}

/*
 * notices (DROP ... CASCADE's) are no business of a program's stderr; but
 * a FATAL one, which the server sends to an idle connection it is about
 * to close (a shutdown, pg_terminate_backend), means the connection is
 * lost now: an answer kept from it must not be given before the loss is
 * seen at the next read (notifications would no longer come)
 */
static void
no_notice(void *arg, const char *message)
{
	struct pg_store *st = arg;

	if (st != NULL && strncmp(message, "FATAL", 5) == 0)
		st->broken = 1;
}

/* pg_connect - st->conn connected and checked (flags: VUDB_CREATE) */
static int
pg_connect(struct vudb_bectx *ctx, struct pg_store *st, int flags)
{
	char saved[VUDB_BE_ERRMAX];
	int rc, timeouts;

	PQfinish(st->conn);
	st->conn = NULL;
	st->broken = 1;
	st->in_txn = 0;
	st->listening = 0;
	st->epoch++;
	rc = connect_db(ctx, st->conninfo, NULL, &st->conn, &timeouts);
	if (rc == VUDB_ETEMP && !(flags & VUDB__PG_REOPEN)) {
		snprintf(saved, sizeof(saved), "%s", vudb__ctx_errmsg(ctx));
		switch (missing_db(ctx, st->conninfo, flags)) {
		case VUDB_OK:		/* made: connect to it */
			PQfinish(st->conn);
			rc = connect_db(ctx, st->conninfo, NULL, &st->conn,
			    &timeouts);
			break;
		case VUDB_ENOSTORE:
			rc = VUDB_ENOSTORE;
			break;
		default:
			if (strstr(vudb__ctx_errmsg(ctx), "cannot create") ==
			    NULL)
				vudb__ctx_seterr(ctx, rc, "%s", saved);
			break;
		}
	}
	if (rc != VUDB_OK)
		return rc;
	st->broken = 0;
	PQsetNoticeProcessor(st->conn, no_notice, st);
	/* nothing waits for the server longer than the deadline above */
	if (!timeouts && (rc = exec(ctx, st, "SET statement_timeout = 5000; "
	    "SET lock_timeout = 2000", "setting timeouts")) != VUDB_OK)
		return rc;
	return layout_check(ctx, st, flags);
}

static int
pg_store_open(struct vudb_bectx *ctx, const char *path, int flags,
    void **st_r)
{
	struct pg_store *st;
	int rc;

	*st_r = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->conninfo = strdup(path)) == NULL) {
		free(st);
		return VUDB_ENOMEM;
	}
	st->backoff = BACKOFF_MIN_MS;
	st->rdonly = (flags & VUDB_RDONLY) != 0;
	if ((rc = pg_connect(ctx, st, flags)) != VUDB_OK) {
		PQfinish(st->conn);
		free(st->conninfo);
		free(st->slotsum);
		free(st);
		return rc;
	}
	*st_r = st;
	return VUDB_OK;
}

static void
pg_store_close(struct vudb_bectx *ctx, void *vst)
{
	struct pg_store *st = vst;

	(void)ctx;
	if (st == NULL)
		return;
	PQfinish(st->conn);
	free(st->conninfo);
	free(st->slotsum);
	free(st);
}

static int
pg_alive(struct vudb_bectx *ctx, void *vst)
{
	struct pg_store *st = vst;

	(void)ctx;
	return !st->broken && PQstatus(st->conn) == CONNECTION_OK;
}

/* pg_reopen - connect again, not more often than the backoff allows */
static int
pg_reopen(struct vudb_bectx *ctx, void *vst)
{
	struct pg_store *st = vst;
	long long now = now_ms();
	int rc;

	if (now < st->retry_at)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: the server is "
		    "unreachable; next attempt in %lld ms", st->retry_at - now);
	if ((rc = pg_connect(ctx, st, VUDB__PG_REOPEN)) != VUDB_OK) {
		st->broken = 1;
		st->retry_at = now + st->backoff;
		st->backoff = st->backoff * 2 > BACKOFF_MAX_MS ?
		    BACKOFF_MAX_MS : st->backoff * 2;
		return rc == VUDB_ENOSTORE ? VUDB_ETEMP : rc;
	}
	st->backoff = BACKOFF_MIN_MS;
	st->retry_at = 0;
	vudb__ctx_log(ctx, VUDB_LOG_INFO, "pgsql: connected again to %s",
	    PQdb(st->conn));
	return VUDB_OK;
}

/* ------------------------------------------------------------ domains */

/*
 * dom_schema - the schema of domain (malloc'd, unquoted) from the
 * catalog; VUDB_ENOTFOUND if the catalog has none, VUDB_ETEMP (with
 * detail) when the catalog names a schema that is missing
 */
static int
dom_schema(struct vudb_bectx *ctx, struct pg_store *st, const char *domain,
    int create, char **schema_r)
{
	PGresult *res;
	const char *param[1] = { domain };
	int rc = VUDB_OK;

	*schema_r = NULL;
	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	if (create)
		res = PQexecParams(st->conn, "SELECT s, to_regclass(quote_ident(s)"
		    " || '.records') IS NOT NULL FROM vudb.dom_create($1) s",
		    1, NULL, param, NULL, NULL, 0);
	else
		res = PQexecParams(st->conn, "SELECT schema, to_regclass("
		    "quote_ident(schema) || '.records') IS NOT NULL "
		    "FROM vudb.domains WHERE name = $1",
		    1, NULL, param, NULL, NULL, 0);
	if (!ok(res))
		rc = pg_fail(ctx, st, res, create ? "creating a domain" :
		    "reading the catalog");
	else if (PQntuples(res) == 0)
		rc = VUDB_ENOTFOUND;
	else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: domain %s: its "
		    "schema %s, which vudb.domains names, is missing: restore "
		    "it (pg_restore -n %s)", domain, PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 0));
	else if ((*schema_r = strdup(PQgetvalue(res, 0, 0))) == NULL)
		rc = VUDB_ENOMEM;
	PQclear(res);
	return rc;
}

static int
pg_dom_open(struct vudb_bectx *ctx, void *vst, const char *domain, int flags,
    void **h_r)
{
	struct pg_store *st = vst;
	struct pg_dom *d;
	char *schema;
	int rc;

	*h_r = NULL;
	if ((rc = dom_schema(ctx, st, domain, (flags & VUDB_CREATE) != 0,
	    &schema)) != VUDB_OK)
		return rc;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		free(schema);
		return VUDB_ENOMEM;
	}
	d->name = schema;
	d->schema = PQescapeIdentifier(st->conn, schema, strlen(schema));
	if (d->schema == NULL || (d->domain = strdup(domain)) == NULL) {
		PQfreemem(d->schema);
		free(d->name);
		free(d);
		return VUDB_ENOMEM;
	}
	d->st = st;
	d->id = ++st->serial;
	d->epoch = st->epoch;
	*h_r = d;
	return VUDB_OK;
}

static void
pg_dom_close(struct vudb_bectx *ctx, void *vst, void *h)
{
	struct pg_store *st = vst;
	struct pg_dom *d = h;
	char sql[64];
	int q;

	(void)ctx;
	if (d == NULL)
		return;
	/* the server forgets a lost connection's statements itself */
	if (d->epoch == st->epoch && !st->broken && !st->in_txn)
		for (q = 0; q < Q_COUNT; q++) {
			if (!(d->prepared & (1u << q)))
				continue;
			snprintf(sql, sizeof(sql), "DEALLOCATE q%d_%lu", q,
			    d->id);
			PQclear(PQexec(st->conn, sql));
		}
	PQfreemem(d->schema);
	free(d->name);
	free(d->domain);
	free(d);
}

/* pg_verify - the domain's schema and table are there (the server checks
 * its pages itself: data_checksums) */
static int
pg_verify(struct vudb_bectx *ctx, void *vst, const char *domain)
{
	char *schema;
	int rc;

	if ((rc = dom_schema(ctx, vst, domain, 0, &schema)) == VUDB_ENOTFOUND)
		rc = vudb__ctx_seterr(ctx, VUDB_ENOTFOUND, "pgsql: %s: no such "
		    "domain in vudb.domains", domain);
	free(schema);
	return rc;
}

static int
pg_dom_remove(struct vudb_bectx *ctx, void *vst, const char *domain)
{
	struct pg_store *st = vst;
	PGresult *res;
	const char *param[1] = { domain };
	int rc = VUDB_OK;

	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	res = PQexecParams(st->conn, "SELECT vudb.dom_drop($1)", 1, NULL,
	    param, NULL, NULL, 0);
	if (!ok(res))
		rc = pg_fail(ctx, st, res, "removing a domain");
	/* a domain the catalog lists no more is removed already */
	PQclear(res);
	return rc;
}

static int
pg_dom_list(struct vudb_bectx *ctx, void *vst, vudb_name_cb cb, void *arg)
{
	struct pg_store *st = vst;
	PGresult *res;
	int i, n, rc = VUDB_OK;

	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	res = PQexec(st->conn, "SELECT name FROM vudb.domains");
	if (!ok(res)) {
		rc = pg_fail(ctx, st, res, "listing domains");
		PQclear(res);
		return rc;
	}
	n = PQntuples(res);
	for (i = 0; i < n && rc == VUDB_OK; i++)
		rc = cb(arg, PQgetvalue(res, i, 0));
	PQclear(res);
	return rc;
}

/* size - the one-number answer of a query with params */
static int
size_query(struct vudb_bectx *ctx, struct pg_store *st, const char *sql,
    const char *param, unsigned long long *bytes_r)
{
	PGresult *res;
	int rc = VUDB_OK;

	*bytes_r = 0;
	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	res = PQexecParams(st->conn, sql, param != NULL, NULL, &param, NULL,
	    NULL, 0);
	if (!ok(res))
		rc = pg_fail(ctx, st, res, "sizes");
	else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		rc = VUDB_ENOTFOUND;
	else
		*bytes_r = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

static int
pg_dom_size(struct vudb_bectx *ctx, void *vst, const char *domain,
    unsigned long long *bytes_r)
{
	return size_query(ctx, vst, "SELECT (SELECT coalesce(sum("
	    "pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN "
	    "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
	    "d.schema AND c.relkind = 'r') FROM vudb.domains d WHERE "
	    "d.name = $1", domain, bytes_r);
}

static int
pg_store_size(struct vudb_bectx *ctx, void *vst, unsigned long long *bytes_r)
{
	return size_query(ctx, vst, "SELECT pg_database_size("
	    "current_database())", NULL, bytes_r);
}

/* ------------------------------------------------------------ records */

/* prepare - statement q of d on this connection, prepared once */
static int
prepare(struct vudb_bectx *ctx, struct pg_dom *d, int q, char name[32])
{
	/* each statement: what comes before the schema and after it */
	static const char *const sql[Q_COUNT][2] = {
		[Q_GET] = { "SELECT v FROM ", ".records WHERE k = $1" },
		[Q_PUT] = { "INSERT INTO ", ".records (k, v) VALUES ($1, $2) "
		    "ON CONFLICT (k) DO UPDATE SET v = excluded.v" },
		[Q_NEW] = { "INSERT INTO ", ".records (k, v) VALUES ($1, $2) "
		    "ON CONFLICT (k) DO NOTHING" },
		[Q_DEL] = { "DELETE FROM ", ".records WHERE k = $1" },
		[Q_ITER] = { "SELECT k, v FROM ", ".records WHERE k >= $1 "
		    "AND k < $2 ORDER BY k" },
		[Q_ITER_OPEN] = { "SELECT k, v FROM ", ".records WHERE "
		    "k >= $1 ORDER BY k" },
	};
	struct pg_store *st = d->st;
	PGresult *res;
	char *text;
	int rc = VUDB_OK;

	snprintf(name, 32, "q%d_%lu", q, d->id);
	if (st->broken || d->epoch != st->epoch)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	if (d->prepared & (1u << q))
		return VUDB_OK;
	if (asprintf(&text, "%s%s%s", sql[q][0], d->schema,
	    sql[q][1]) < 0)
		return VUDB_ENOMEM;
	res = PQprepare(st->conn, name, text, 0, NULL);
	free(text);
	if (!ok(res))
		rc = pg_fail(ctx, st, res, "prepare");
	else
		d->prepared |= 1u << q;
	PQclear(res);
	return rc;
}

/* run - prepared statement q of d with bytea parameters, binary results */
static PGresult *
run(struct pg_dom *d, const char *name, int n, const void *p1, size_t l1,
    const void *p2, size_t l2)
{
	const char *values[2] = { p1, p2 };
	int lengths[2] = { (int)l1, (int)l2 };
	int formats[2] = { 1, 1 };

	/* a zero-length bytea must not be a NULL pointer (SQL NULL) */
	if (values[0] == NULL)
		values[0] = "";
	if (n > 1 && values[1] == NULL)
		values[1] = "";
	return PQexecPrepared(d->st->conn, name, n, values, lengths, formats,
	    1);
}

/*
 * rec_fail - the failure of a statement on d's records.  A table that is
 * not there any more is a domain removed (or removed and made again, in
 * another schema) since d was opened, when the catalog says so: then d
 * is empty, as a file removed under a reader is (VUDB_ENOTFOUND: the core
 * reads the domain record, finds none, and opens the domain anew).  Else
 * the catalog names a schema that is missing: a failure.
 */
static int
rec_fail(struct vudb_bectx *ctx, struct pg_dom *d, PGresult *res,
    const char *what)
{
	struct pg_store *st = d->st;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	PGresult *cat;
	const char *param[1] = { d->domain };
	int rc;

	rc = pg_fail(ctx, st, res, what);
	if (state == NULL || (strcmp(state, "42P01") != 0 &&
	    strcmp(state, "3F000") != 0) || st->in_txn || st->broken)
		return rc;
	cat = PQexecParams(st->conn, "SELECT schema FROM vudb.domains WHERE "
	    "name = $1", 1, NULL, param, NULL, NULL, 0);
	if (ok(cat) && (PQntuples(cat) == 0 ||
	    strcmp(PQgetvalue(cat, 0, 0), d->name) != 0)) {
		d->gone = 1;
		/* not a failure: no detail */
		rc = vudb__ctx_seterr(ctx, VUDB_ENOTFOUND, "%s", "");
	} else if (ok(cat))
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: domain %s: its "
		    "schema %s, which vudb.domains names, is missing: restore "
		    "it (pg_restore -n %s)", d->domain, d->name, d->name);
	PQclear(cat);
	return rc;
}

static int
too_big(struct vudb_bectx *ctx, size_t len)
{
	return len > 0x3fffffff ? vudb__ctx_seterr(ctx, VUDB_EINVAL,
	    "pgsql: a record of %zu bytes is too large", len) : VUDB_OK;
}

static int
pg_get(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen, struct vudb_buf *val)
{
	struct pg_dom *d = h;
	PGresult *res;
	char name[32];
	size_t len;
	int rc;

	(void)txn;
	if ((rc = too_big(ctx, klen)) != VUDB_OK ||
	    (rc = prepare(ctx, d, Q_GET, name)) != VUDB_OK)
		return rc;
	if (d->gone)
		return VUDB_ENOTFOUND;
	res = run(d, name, 1, key, klen, NULL, 0);
	if (!ok(res))
		rc = rec_fail(ctx, d, res, "get");
	else if (PQntuples(res) == 0)
		rc = VUDB_ENOTFOUND;
	else {
		len = (size_t)PQgetlength(res, 0, 0);
		if ((rc = vudb__buf_reserve(val, len + 1)) == VUDB_OK) {
			memcpy(val->data, PQgetvalue(res, 0, 0), len);
			val->len = len;
		}
	}
	PQclear(res);
	return rc;
}

static int
pg_put(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen, const void *val, size_t vlen, int flags)
{
	struct pg_dom *d = h;
	PGresult *res;
	char name[32];
	int rc, q = (flags & VUDB_PUT_NEW) ? Q_NEW : Q_PUT;

	(void)txn;
	if (d->gone)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: domain %s was "
		    "removed meanwhile", d->domain);
	if ((rc = too_big(ctx, klen)) != VUDB_OK ||
	    (rc = too_big(ctx, vlen)) != VUDB_OK ||
	    (rc = prepare(ctx, d, q, name)) != VUDB_OK)
		return rc;
	res = run(d, name, 2, key, klen, val, vlen);
	if (!ok(res))
		rc = pg_fail(ctx, d->st, res, "put");
	else if (strcmp(PQcmdTuples(res), "0") == 0)
		rc = VUDB_EEXIST;	/* only VUDB_PUT_NEW does nothing */
	PQclear(res);
	return rc;
}

static int
pg_del(struct vudb_bectx *ctx, void *h, void *txn, const void *key,
    size_t klen)
{
	struct pg_dom *d = h;
	PGresult *res;
	char name[32];
	int rc;

	(void)txn;
	if ((rc = too_big(ctx, klen)) != VUDB_OK ||
	    (rc = prepare(ctx, d, Q_DEL, name)) != VUDB_OK)
		return rc;
	if (d->gone)
		return VUDB_ENOTFOUND;
	res = run(d, name, 1, key, klen, NULL, 0);
	if (!ok(res))
		rc = rec_fail(ctx, d, res, "del");
	else if (strcmp(PQcmdTuples(res), "0") == 0)
		rc = VUDB_ENOTFOUND;
	PQclear(res);
	return rc;
}

/*
 * pg_iter - every record whose key starts with prefix, in key order: the
 * keys from prefix up to (not including) the first key after all those
 * that start with it (the prefix with its last byte below 0xff raised by
 * one, what follows cut), or to the end when there is none
 */
static int
pg_iter(struct vudb_bectx *ctx, void *h, void *txn, const void *prefix,
    size_t plen, vudb_iter_cb cb, void *arg)
{
	struct pg_dom *d = h;
	PGresult *res;
	unsigned char *end = NULL;
	size_t elen = plen;
	char name[32];
	int i, n, rc, q = Q_ITER_OPEN;

	(void)txn;
	if ((rc = too_big(ctx, plen)) != VUDB_OK)
		return rc;
	if (plen > 0) {
		if ((end = malloc(plen)) == NULL)
			return VUDB_ENOMEM;
		memcpy(end, prefix, plen);
		while (elen > 0 && end[elen - 1] == 0xff)
			elen--;
		if (elen > 0) {
			end[elen - 1]++;
			q = Q_ITER;
		}
	}
	if ((rc = prepare(ctx, d, q, name)) != VUDB_OK) {
		free(end);
		return rc;
	}
	if (d->gone) {
		free(end);
		return VUDB_OK;
	}
	res = run(d, name, q == Q_ITER ? 2 : 1, prefix, plen, end, elen);
	free(end);
	if (!ok(res)) {
		rc = rec_fail(ctx, d, res, "iter");
		PQclear(res);
		return rc == VUDB_ENOTFOUND ? VUDB_OK : rc;
	}
	n = PQntuples(res);
	for (i = 0; i < n && rc == 0; i++)
		rc = cb(arg, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0),
		    PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------ transactions */

/* The transaction object: the store itself (one per connection). */
static int
pg_begin(struct vudb_bectx *ctx, void *vst, void **txn_r)
{
	struct pg_store *st = vst;
	int rc;

	*txn_r = NULL;
	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	if (st->in_txn)
		return vudb__ctx_seterr(ctx, VUDB_EINVAL, "pgsql: a transaction "
		    "is open on this handle");
	if ((rc = exec(ctx, st, "BEGIN ISOLATION LEVEL SERIALIZABLE",
	    "begin")) != VUDB_OK)
		return rc;
	st->in_txn = 1;
	*txn_r = st;
	return VUDB_OK;
}

static int
pg_commit(struct vudb_bectx *ctx, void *vst, void *txn)
{
	struct pg_store *st = txn != NULL ? txn : vst;
	PGresult *res;
	int rc = VUDB_OK;

	if (!st->in_txn)
		return vudb__ctx_seterr(ctx, VUDB_EINVAL, "pgsql: no "
		    "transaction to commit");
	st->in_txn = 0;
	res = PQexec(st->conn, "COMMIT");
	if (!ok(res))
		rc = pg_fail(ctx, st, res, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		/* a transaction that failed earlier ends rolled back */
		rc = vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: commit: the "
		    "transaction was rolled back");
	PQclear(res);
	return rc;
}

static void
pg_abort(struct vudb_bectx *ctx, void *vst, void *txn)
{
	struct pg_store *st = txn != NULL ? txn : vst;

	(void)ctx;
	if (!st->in_txn)
		return;
	st->in_txn = 0;
	if (!st->broken)
		PQclear(PQexec(st->conn, "ROLLBACK"));
}

/* ------------------------------------------------------------ counter */

/*
 * The changes this process made, added to every handle's counter: a
 * notification reaches the other connections a moment after the commit
 * (their server processes send it when they are woken), so a handle of
 * the writer's own process could otherwise answer from a cached domain
 * record once more after the writer returned.  Other processes, here or on
 * other hosts, see the change when the notification arrives (on a
 * standby: at the next poll).  The sum of two counters that only grow
 * only grows.
 */
static unsigned long long own_changes;

/*
 * pg_changes - the change counter: on a primary what the notifications
 * that arrived say (no query, no wait); on a standby the counter read at
 * most every POLL_MS
 */
static int
pg_changes(struct vudb_bectx *ctx, void *vst, unsigned long long *gen_r)
{
	struct pg_store *st = vst;
	PGnotify *nf;
	PGresult *res;
	unsigned long long g;
	long long now;
	int rc = VUDB_OK;

	*gen_r = st->gen;
	if (st->broken || st->conn == NULL)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	/* what arrived: notifications (on a primary), or the server's
	 * word that it closes the connection (no_notice) */
	if (!PQconsumeInput(st->conn))
		return pg_fail(ctx, st, NULL, "reading notifications");
	while ((nf = PQnotifies(st->conn)) != NULL) {
		if (strncmp(nf->extra, "d:", 2) == 0)
			/* a domain's records (layout 2) */
			vudb__ctx_slot_moved(ctx, vudb__ctx_slot(nf->extra + 2));
		else if ((g = strtoull(nf->extra, NULL, 10)) > st->gen)
			st->gen = g;
		PQfreemem(nf);
	}
	if (st->broken || PQstatus(st->conn) != CONNECTION_OK)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: the server "
		    "closed the connection");
	if (!st->listening && !st->in_txn &&
	    (now = now_ms()) - st->polled >= POLL_MS) {
		res = PQexec(st->conn, "SELECT gen FROM vudb.meta WHERE id = 1");
		if (!ok(res) || PQntuples(res) != 1)
			rc = pg_fail(ctx, st, res, "reading the change counter");
		else {
			st->gen = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
			st->polled = now;
		}
		PQclear(res);
		if (rc == VUDB_OK && st->layout >= 2)
			rc = standby_poll(ctx, st, 0);
	}
	*gen_r = st->gen + __atomic_load_n(&own_changes, __ATOMIC_ACQUIRE);
	return rc;
}

static void
pg_changed(struct vudb_bectx *ctx, void *vst)
{
	struct pg_store *st = vst;
	PGresult *res;

	__atomic_add_fetch(&own_changes, 1, __ATOMIC_ACQ_REL);
	if (st->broken)
		return;
	res = PQexec(st->conn, "SELECT vudb.changed()");
	if (!ok(res)) {
		(void)pg_fail(ctx, st, res, "moving the change counter");
		vudb__ctx_log(ctx, VUDB_LOG_WARNING, "%s", vudb__ctx_errmsg(ctx));
	} else if (!st->listening)
		st->gen = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
}

/*
 * pg_host_page - the page of this host for the store (layout 2): named by
 * the store's id, which a standby shares with its primary, so that this
 * host's writers to the primary reach the readers of either
 */
static int
pg_host_page(struct vudb_bectx *ctx, void *vst, char *name, size_t len)
{
	struct pg_store *st = vst;

	(void)ctx;
	if (st->store_id[0] == '\0' || strspn(st->store_id,
	    "0123456789abcdef") != strlen(st->store_id))
		return VUDB_ENOTSUP;
	snprintf(name, len, "vudb-pg-%s", st->store_id);
	return VUDB_OK;
}

/* ------------------------------------------------------------ settings */

static int
pg_conf_read(struct vudb_bectx *ctx, void *vst, char **text_r,
    long long *stamp_r)
{
	struct pg_store *st = vst;
	PGresult *res;
	int rc = VUDB_OK;

	*stamp_r = 0;
	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	res = PQexec(st->conn, text_r != NULL ?
	    "SELECT conf_stamp, conf FROM vudb.meta WHERE id = 1" :
	    "SELECT conf_stamp, conf IS NULL FROM vudb.meta WHERE id = 1");
	if (!ok(res) || PQntuples(res) != 1)
		rc = pg_fail(ctx, st, res, "reading the settings");
	else {
		*stamp_r = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (text_r == NULL)
			rc = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ?
			    VUDB_ENOTFOUND : VUDB_OK;
		else if (PQgetisnull(res, 0, 1))
			rc = VUDB_ENOTFOUND;
		else if ((*text_r = strdup(PQgetvalue(res, 0, 1))) == NULL)
			rc = VUDB_ENOMEM;
	}
	PQclear(res);
	return rc;
}

/* pg_conf_edit - the settings row locked, edited, written, committed */
static int
pg_conf_edit(struct vudb_bectx *ctx, void *vst, vudb_text_cb edit, void *arg)
{
	struct pg_store *st = vst;
	PGresult *res;
	const char *param[1];
	char *text = NULL;
	int rc, own = !st->in_txn;

	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	if (own && (rc = exec(ctx, st, "BEGIN", "settings")) != VUDB_OK)
		return rc;
	res = PQexec(st->conn, "SELECT conf FROM vudb.meta WHERE id = 1 "
	    "FOR UPDATE");
	if (!ok(res) || PQntuples(res) != 1)
		rc = pg_fail(ctx, st, res, "reading the settings");
	else
		rc = edit(arg, PQgetisnull(res, 0, 0) ? NULL :
		    PQgetvalue(res, 0, 0), &text);
	PQclear(res);
	if (rc == VUDB_OK) {
		param[0] = text;
		/* the trigger moves the stamp (a hand UPDATE too) */
		res = PQexecParams(st->conn, "UPDATE vudb.meta SET conf = $1 "
		    "WHERE id = 1", 1, NULL, param,
		    NULL, NULL, 0);
		if (!ok(res))
			rc = pg_fail(ctx, st, res, "writing the settings");
		PQclear(res);
	}
	free(text);
	if (own && rc == VUDB_OK)
		rc = exec(ctx, st, "COMMIT", "writing the settings");
	else if (own && !st->broken)
		PQclear(PQexec(st->conn, "ROLLBACK"));
	return rc;
}

/* ------------------------------------------------------------ audit */

/*
 * pg_audit_append - one line into vudb.audit, made when missing (a store
 * of layout 1 made before it).  Inside a batch (a setting's line) under a
 * savepoint, so that its failure does not end the batch: the line then
 * commits with it.
 */
static int
pg_audit_append(struct vudb_bectx *ctx, void *vst, const char *line,
    size_t len)
{
	struct pg_store *st = vst;
	PGresult *res;
	const char *param[1];
	const char *state;
	char *text;
	int rc = VUDB_OK, i;

	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	if ((text = strndup(line, len)) == NULL)
		return VUDB_ENOMEM;
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	param[0] = text;
	if (st->in_txn && (rc = exec(ctx, st, "SAVEPOINT vudb_audit",
	    "audit log")) != VUDB_OK)
		goto out;
	for (i = 0; i < 2; i++) {
		res = PQexecParams(st->conn, "INSERT INTO vudb.audit (line) "
		    "VALUES ($1)", 1, NULL, param, NULL, NULL, 0);
		if (ok(res)) {
			rc = VUDB_OK;
			PQclear(res);
			break;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (i == 0 && state != NULL && strcmp(state, "42P01") == 0) {
			PQclear(res);
			if (st->in_txn)
				PQclear(PQexec(st->conn, "ROLLBACK TO "
				    "SAVEPOINT vudb_audit"));
			if ((rc = exec(ctx, st, AUDIT_SQL, "audit log")) ==
			    VUDB_OK)
				continue;
			break;
		}
		rc = pg_fail(ctx, st, res, "audit log");
		PQclear(res);
		break;
	}
	if (st->in_txn && !st->broken)
		PQclear(PQexec(st->conn, rc == VUDB_OK ? "RELEASE SAVEPOINT "
		    "vudb_audit" : "ROLLBACK TO SAVEPOINT vudb_audit"));
out:
	free(text);
	return rc;
}

/* pg_audit_read - every line of vudb.audit, oldest first (none when the
 * store has no table yet) */
static int
pg_audit_read(struct vudb_bectx *ctx, void *vst, vudb_line_cb cb, void *arg)
{
	struct pg_store *st = vst;
	PGresult *res;
	const char *state;
	int rc = VUDB_OK, i, n;

	if (st->broken)
		return vudb__ctx_seterr(ctx, VUDB_ETEMP, "pgsql: connection "
		    "lost");
	res = PQexec(st->conn, "SELECT line FROM vudb.audit ORDER BY id");
	if (!ok(res)) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strcmp(state, "42P01") == 0 &&
		    !st->in_txn)
			rc = VUDB_OK;
		else
			rc = pg_fail(ctx, st, res, "reading the audit log");
		PQclear(res);
		return rc;
	}
	n = PQntuples(res);
	for (i = 0; i < n && rc == VUDB_OK; i++)
		rc = cb(arg, PQgetvalue(res, i, 0));
	PQclear(res);
	return rc;
}

const struct vudb_backend vudb__backend_pgsql = {
	.abi = VUDB_BACKEND_ABI,
	.name = "pgsql",
	.caps = VUDB_CAP_WRITE | VUDB_CAP_TXN,
	.store_open = pg_store_open,
	.store_close = pg_store_close,
	.dom_open = pg_dom_open,
	.dom_close = pg_dom_close,
	.dom_remove = pg_dom_remove,
	.dom_list = pg_dom_list,
	.get = pg_get,
	.put = pg_put,
	.del = pg_del,
	.iter = pg_iter,
	.begin = pg_begin,
	.commit = pg_commit,
	.abort = pg_abort,
	.verify = pg_verify,
	.alive = pg_alive,
	.reopen = pg_reopen,
	.dom_size = pg_dom_size,
	.store_size = pg_store_size,
	.changes = pg_changes,
	.changed = pg_changed,
	.conf_read = pg_conf_read,
	.conf_edit = pg_conf_edit,
	.audit_append = pg_audit_append,
	.audit_read = pg_audit_read,
	.host_page = pg_host_page,
};

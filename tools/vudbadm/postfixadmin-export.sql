-- postfixadmin-export.sql - a PostfixAdmin database on PostgreSQL as the
-- JSON lines of vudbadm import (vudbadm(8), MIGRATION).  Run it with psql
-- as a role that may read PostfixAdmin's tables, and pipe the lines into
-- vudbadm:
--
--   psql -XAtq -v ON_ERROR_STOP=1 -f /usr/share/vudb/postfixadmin-export.sql \
--       postfixadmin | vudbadm import --dry-run
--
-- It only reads.  What it gives, in an order import can take (a domain
-- before its users and aliases, an alias domain after its target):
--   domain        every domain but ALL and backup MX domains (those are
--                 relayed, not hosted: keep them in Postfix's relay_domains);
--                 inactive ones disabled; description; mailboxes and
--                 aliases > 0 as max_users and max_aliases
--   alias_domain  the alias domain with its target (inactive ones left out:
--                 Postfix does not use them either)
--   mailbox       a user: its hash (PostfixAdmin's crypt forms get their
--                 {SCHEME} prefix; {SCHEME}hash forms are kept), quota in
--                 bytes (> 0), display name, and its maildir, so that mail
--                 already delivered stays where it is; inactive ones disabled
--   alias         an alias, but not the row PostfixAdmin keeps for every
--                 mailbox that points at the mailbox itself; a mailbox's
--                 forwarding keeps the mailbox among its destinations when
--                 PostfixAdmin did ("deliver to the mailbox too").  The
--                 vacation address (user#domain@VACATION_DOMAIN) is left out:
--                 set -v vacation_domain=... to PostfixAdmin's
--                 $CONF['vacation_domain'] (default autoreply.example.org).
--                 Inactive aliases are left out.
-- A hash in a form no login can use (PostfixAdmin's "cleartext" or plain
-- "md5" encryption) is passed on without a prefix: import refuses that
-- line.  Run import --dry-run first: it names every line it would refuse
-- and imports nothing.  Lines come grouped by domain, so that import makes
-- one transaction of each domain's users and aliases.
\if :{?vacation_domain}
\else
\set vacation_domain autoreply.example.org
\endif
\set ON_ERROR_STOP on
SET client_encoding = 'UTF8';

SELECT line FROM (
	SELECT 1 AS part, lower(d.domain) AS dom, lower(d.domain) AS k,
	    json_build_object('type', 'domain', 'name', lower(d.domain),
		'attrs', json_strip_nulls(json_build_object(
		    'enabled', CASE WHEN d.active THEN NULL ELSE 'no' END,
		    'description', NULLIF(d.description, ''),
		    'max_users', CASE WHEN d.mailboxes > 0
			THEN d.mailboxes::text END,
		    'max_aliases', CASE WHEN d.aliases > 0
			THEN d.aliases::text END)))::text AS line
	FROM domain d
	WHERE lower(d.domain) <> 'all' AND NOT d.backupmx
	    AND d.domain NOT IN (SELECT alias_domain FROM alias_domain)
	UNION ALL
	SELECT 2, lower(a.alias_domain), lower(a.alias_domain),
	    json_build_object('type', 'domain', 'name', lower(a.alias_domain),
		'attrs', json_build_object('target',
		    lower(a.target_domain)))::text
	FROM alias_domain a
	WHERE a.active
	UNION ALL
	SELECT 3, lower(split_part(m.username, '@', 2)), lower(m.username),
	    json_build_object('type', 'user', 'name', lower(m.username),
		'attrs', json_strip_nulls(json_build_object(
		    'password', CASE
			WHEN m.password LIKE '{%}%' THEN m.password
			WHEN m.password LIKE '$1$%' THEN '{MD5-CRYPT}' || m.password
			WHEN m.password LIKE '$5$%' THEN '{SHA256-CRYPT}' || m.password
			WHEN m.password LIKE '$6$%' THEN '{SHA512-CRYPT}' || m.password
			WHEN m.password ~ '^\$2[aby]\$' THEN '{BLF-CRYPT}' || m.password
			WHEN m.password LIKE '$argon2id$%' THEN '{ARGON2ID}' || m.password
			WHEN m.password LIKE '$argon2i$%' THEN '{ARGON2I}' || m.password
			ELSE m.password END,
		    'enabled', CASE WHEN m.active THEN NULL ELSE 'no' END,
		    'quota_bytes', CASE WHEN m.quota > 0 THEN m.quota::text END,
		    'name', NULLIF(m.name, ''),
		    'maildir', NULLIF(m.maildir, ''))))::text
	FROM mailbox m
	UNION ALL
	SELECT 4, lower(split_part(x.address, '@', 2)), lower(x.address),
	    json_build_object('type', 'alias', 'name', lower(x.address),
		'attrs', json_build_object('dest', x.dest))::text
	FROM (
		SELECT a.address,
		    (SELECT string_agg(g, ',' ORDER BY n)
		     FROM (SELECT lower(btrim(g)) AS g, n
			   FROM unnest(string_to_array(a.goto, ','))
			       WITH ORDINALITY AS t(g, n)) AS t
		     WHERE g <> '' AND g NOT LIKE '%@' || lower(:'vacation_domain'))
		    AS dest
		FROM alias a
		WHERE a.active
	) AS x
	WHERE x.dest IS NOT NULL AND x.dest <> lower(x.address)
) AS lines
ORDER BY part, dom, k;

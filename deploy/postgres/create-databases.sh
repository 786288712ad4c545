#!/bin/sh
# Creates one PostgreSQL role and one database per service, owned by that role,
# so that no service can read another's tables. Safe to run at every start:
# existing roles and databases are kept (the role's password is reset to
# SERVICE_DB_PASSWORD so that it follows the .env file).
#
# Environment:
#   DATABASES            space-separated names, e.g. "housing_p01 housing_p07 projection"
#                        (lower-case letters, digits and underscores; role name = database name)
#   SERVICE_DB_PASSWORD  password of the service roles
#   PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE   the superuser connection (libpq variables)
set -eu

: "${DATABASES:?set DATABASES to the space-separated database names}"
: "${SERVICE_DB_PASSWORD:?set SERVICE_DB_PASSWORD}"

for db in $DATABASES; do
  case "$db" in
    "" | [!a-z]* | *[!a-z0-9_]*)
      echo "create-databases: invalid database name '$db' (use [a-z][a-z0-9_]*)" >&2
      exit 2
      ;;
  esac
  psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --set=db="$db" --set=pw="$SERVICE_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'db')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'db')\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'db', :'pw')\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'db')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db')\gexec
SQL
  echo "create-databases: database '$db' ready"
done

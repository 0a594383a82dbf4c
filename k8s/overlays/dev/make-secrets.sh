#!/bin/sh
# make-secrets.sh: make the dev overlay's secret files (git ignores them) before
#   kubectl apply -k k8s/overlays/dev
#
# Usage: sh k8s/overlays/dev/make-secrets.sh
#
# Writes into k8s/overlays/dev/secrets/ (mode 600), keeping files that exist so the password
# stays the one the PostgreSQL volume was created with:
#   postgresql-password        random; the dev role `axr` owns every service's database
#   NAME-database-url          postgresql://axr:PASSWORD@axr-postgresql:5432/DATABASE, one per
#                              line of scripts/services.list (a new service gets its file)
#   jwt-private.pem            RSA 2048 signing key of the account service (openssl genpkey)
# kustomization.yaml turns them into Secrets axr-postgresql, axr-NAME-database and
# axr-jwt-signing. Values have no trailing newline (they are used as they are).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$HERE/../../.." && pwd -P)
OUT=$HERE/secrets

die() { printf 'make-secrets: error: %s\n' "$*" >&2; exit 1; }
command -v openssl >/dev/null 2>&1 || die "openssl is needed"

umask 077
mkdir -p "$OUT"

# write NAME: stdin into secrets/NAME unless it exists.
write() {
	if [ -e "$OUT/$1" ]; then
		cat >/dev/null
		echo "make-secrets: kept    secrets/$1"
	else
		cat >"$OUT/$1.tmp" && mv "$OUT/$1.tmp" "$OUT/$1"
		echo "make-secrets: created secrets/$1"
	fi
}

openssl rand -hex 24 | tr -d '\n' | write postgresql-password
password=$(cat "$OUT/postgresql-password")
case $password in
'' | *[!A-Za-z0-9._~-]*) die "secrets/postgresql-password must be URL-safe ([A-Za-z0-9._~-]); remove it to make a new one" ;;
esac

services=$(sh "$ROOT/scripts/gateway.sh" services) || die "cannot read scripts/services.list"
printf '%s\n' "$services" | while read -r name _port database; do
	printf 'postgresql://axr:%s@axr-postgresql:5432/%s' "$password" "$database" | write "$name-database-url"
done

if [ ! -e "$OUT/jwt-private.pem" ]; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OUT/jwt-private.pem.tmp" 2>/dev/null ||
		die "openssl genpkey failed"
	mv "$OUT/jwt-private.pem.tmp" "$OUT/jwt-private.pem"
	echo "make-secrets: created secrets/jwt-private.pem"
else
	echo "make-secrets: kept    secrets/jwt-private.pem"
fi

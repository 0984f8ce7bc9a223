#!/usr/bin/env bash
# sqlcmd against the compose SQL Server, with whichever mssql-tools the image carries
# (mssql-tools18 in current 2022 images, mssql-tools in older ones). Extra arguments go to sqlcmd.
#   SQLSERVER_HOST (default localhost), MSSQL_SA_PASSWORD (required)
set -euo pipefail
: "${MSSQL_SA_PASSWORD:?MSSQL_SA_PASSWORD is required}"
for bin in /opt/mssql-tools18/bin/sqlcmd /opt/mssql-tools/bin/sqlcmd; do
  if [[ -x "$bin" ]]; then
    trust=()
    # tools18 encrypts by default; the container's certificate is self-signed.
    [[ "$bin" == *tools18* ]] && trust=(-C)
    exec "$bin" "${trust[@]}" -S "${SQLSERVER_HOST:-localhost}" -U sa -P "$MSSQL_SA_PASSWORD" -b "$@"
  fi
done
echo "sqlcmd.sh: no sqlcmd in this image" >&2
exit 127

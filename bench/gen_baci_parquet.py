"""Writes N rows shaped like CEPII BACI (`t,i,j,k,v,q`) to a Parquet file, with DuckDB: years 2017-2022, exporters
and importers drawn from BACI's own country codes (data/trade/baci-country-codes.csv, so 490 Taiwan and the "nes"
areas appear), 5,000 six-digit product codes kept as text, values in thousands of USD spread over six orders of
magnitude, quantities missing in about 2 % of rows as in BACI. Seeded by the row number: the same file every run.

    python3 bench/gen_baci_parquet.py N OUT.parquet
"""
import csv
import sys

import duckdb

n, out = int(sys.argv[1]), sys.argv[2]
with open("data/trade/baci-country-codes.csv", newline="") as f:
    codes = [int(r["country_code"]) for r in csv.DictReader(f)]
con = duckdb.connect()
con.execute(f"SET threads TO {2}")
codes_sql = ", ".join(str(c) for c in codes)
con.execute(
    f"""
    COPY (
      WITH c AS (SELECT [{codes_sql}] AS codes)
      SELECT CAST(2017 + r % 6 AS BIGINT) AS t,
             CAST(codes[CAST(1 + hash(r * 3 + 1) % {len(codes)} AS BIGINT)] AS BIGINT) AS i,
             CAST(codes[CAST(1 + hash(r * 5 + 2) % {len(codes)} AS BIGINT)] AS BIGINT) AS j,
             lpad(CAST(10100 + (hash(r * 7 + 3) % 5000) * 197 AS VARCHAR), 6, '0') AS k,
             round(exp((hash(r * 11 + 4) % 1000000) / 1000000.0 * 14.0) / 100.0, 3) AS v,
             CASE WHEN hash(r * 13 + 5) % 50 = 0 THEN NULL
                  ELSE round((hash(r * 17 + 6) % 100000) / 10.0, 3) END AS q
      FROM range({n}) t(r), c
    ) TO '{out}' (FORMAT PARQUET, ROW_GROUP_SIZE 1048576)
    """
)
print(con.execute(f"SELECT COUNT(*), COUNT(DISTINCT k), SUM(v) FROM '{out}'").fetchone())

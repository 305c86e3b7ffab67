"""DuckDB (the Python package) running the queries `tiergate exposure FILE --by period,tier --format jsonl` runs,
on the same Parquet file: the row count, the bad-row count, and the grouping of flows joined with BACI's codes and
the tiers, each group beside its period's total. Prints one JSON object per group, as tiergate does, so the
benchmark can check that both give the same answer.

    python3 bench/exposure_duckdb.py FILE.parquet TIERS.csv CODES.csv
"""
import json
import sys

import duckdb

path, tiers, codes = sys.argv[1:4]
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute(f"CREATE TABLE tiers AS SELECT * FROM read_csv('{tiers}', header=true, columns={{'country': 'VARCHAR', 'tier': 'BIGINT'}})")
con.execute(f"CREATE TABLE baci_codes AS SELECT * FROM read_csv('{codes}', header=true, columns={{'code': 'BIGINT', 'iso': 'VARCHAR'}})")
con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet('{path}')")
rows = con.execute("SELECT COUNT(*) FROM raw").fetchone()[0]
bad = con.execute(
    "SELECT COUNT(*) FROM raw WHERE t IS NULL OR k IS NULL OR TRY_CAST(v AS DOUBLE) IS NULL OR TRY_CAST(v AS DOUBLE) < 0"
).fetchone()[0]
groups = con.execute(
    """
    WITH flows AS (
      SELECT CAST(r.t AS VARCHAR) AS period,
             COALESCE(e.iso, 'BACI:' || CAST(r.i AS VARCHAR)) AS exporter,
             COALESCE(m.iso, 'BACI:' || CAST(r.j AS VARCHAR)) AS importer,
             CAST(r.k AS VARCHAR) AS product, TRY_CAST(r.v AS DOUBLE) * 1000.0 AS value_usd,
             TRY_CAST(r.q AS DOUBLE) AS quantity, CAST(NULL AS VARCHAR) AS customer
      FROM raw r LEFT JOIN baci_codes e ON CAST(r.i AS BIGINT) = e.code LEFT JOIN baci_codes m ON CAST(r.j AS BIGINT) = m.code
      WHERE r.t IS NOT NULL AND r.k IS NOT NULL AND TRY_CAST(r.v AS DOUBLE) >= 0),
    x0 AS (SELECT f.period, f.importer AS country, f.product, f.value_usd, f.customer, t.tier
           FROM flows f LEFT JOIN tiers t ON f.importer = t.country WHERE TRUE),
    totals AS (SELECT period, SUM(value_usd) AS total FROM x0 GROUP BY period)
    SELECT x0.period, x0.tier, SUM(x0.value_usd) AS value_usd,
           CASE WHEN MAX(totals.total) > 0 THEN SUM(x0.value_usd) / MAX(totals.total) ELSE 0.0 END AS share,
           COUNT(*) AS flows, COUNT(DISTINCT COALESCE(x0.customer, x0.country)) AS counterparties
    FROM x0 JOIN totals ON totals.period = x0.period
    GROUP BY x0.period, x0.tier ORDER BY x0.period, x0.tier
    """
).fetchall()
for period, tier, value, share, flows, parties in groups:
    print(json.dumps({"period": period, "tier": tier, "value_usd": value, "share": share, "flows": flows, "counterparties": parties}))
print(json.dumps({"rows": rows, "bad_rows": bad}), file=sys.stderr)

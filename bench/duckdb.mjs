// bench/duckdb.mjs - DuckDB, the peer to beat, on the questions of
// bench/search.sh: loads the audit JSON Lines into a persisted DuckDB file
// once, then times open + query in this process (node's own start is not
// counted), best of RUNS, with 1 and 2 threads.
//
//   node bench/duckdb.mjs load AUDIT.json DB.duckdb
//   node bench/duckdb.mjs query DB.duckdb THREADS RUNS QNAME...
//   node bench/duckdb.mjs hashcsv FILE       (cquery's --format csv answer)
//
// `query` prints one line per question: "QNAME <best ms> <rows> <answer
// hash>"; the hash is over the answer's rows as text, numbers with at most
// six decimals, sorted; `hashcsv` prints "<rows> <hash>" of a CSV file
// (header dropped) the same way, so the two answers can be compared.  Needs
// the npm package @duckdb/node-api (it bundles libduckdb), installed by
// search.sh.
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';

// The same questions as search.sh's, in DuckDB's SQL.  Struct fields are
// the JSON objects read_json made of them.
const QUESTIONS = {
    Q1: `SELECT verb, avg(length(requestURI)) AS "avg(l)", count(*) AS count
         FROM audit GROUP BY verb`,
    Q2: `SELECT "user".username AS "user.username", count(*) AS count
         FROM audit WHERE "user".username IS NOT NULL GROUP BY 1`,
    Q3: `SELECT count(*) AS count FROM audit`,
    Q4: `SELECT "user".username AS "user.username", count(*) AS count FROM audit
         WHERE verb = 'create' AND objectRef.subresource = 'exec'
           AND "user".username IS NOT NULL GROUP BY 1`,
    Q5: `SELECT objectRef.resource AS "objectRef.resource", verb, count(*) AS count
         FROM audit WHERE responseStatus.code >= 400 AND objectRef.resource IS NOT NULL
         GROUP BY 1, 2`,
    Q6: `SELECT requestReceivedTimestamp AS _time, verb, "user".username AS "user.username"
         FROM audit ORDER BY requestReceivedTimestamp DESC LIMIT 100000`,
};

function fmt(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(6);
    if (typeof v === 'bigint') return v.toString();
    return String(v);
}

// A CSV cell as fmt() would print the same value.
function fmtText(t) {
    if (/^-?[0-9]+\.[0-9]+$/.test(t)) return fmt(Number(t));
    return t;
}

function hashLines(lines) {
    lines.sort();
    return createHash('md5').update(lines.join('\n')).digest('hex').slice(0, 8);
}

async function hashcsv(file) {
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(file, 'utf8').split('\n').slice(1).filter(l => l.length)
        .map(l => l.replace(/"/g, '').split(',').map(fmtText).join(','));
    console.log(`${lines.length} ${hashLines(lines)}`);
}

async function load(json, db) {
    const t0 = process.hrtime.bigint();
    const inst = await DuckDBInstance.create(db);
    const con = await inst.connect();
    await con.run(`CREATE OR REPLACE TABLE audit AS SELECT * FROM read_json('${json.replace(/'/g, "''")}',
                   format = 'newline_delimited', maximum_object_size = 16777216)`);
    con.closeSync?.();
    inst.closeSync?.();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`load ${ms.toFixed(0)} ms`);
}

async function once(db, threads, sql) {
    const t0 = process.hrtime.bigint();
    const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY', threads: String(threads) });
    const con = await inst.connect();
    const reader = await con.runAndReadAll(sql);
    const rows = reader.getRows();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    con.closeSync?.();
    inst.closeSync?.();
    return { ms, rows };
}

async function query(db, threads, runs, names) {
    for (const name of names) {
        const sql = QUESTIONS[name];
        if (!sql) throw new Error(`unknown question ${name}`);
        let best = Infinity, rows = [];
        for (let r = 0; r < runs; r++) {
            const res = await once(db, threads, sql);
            if (res.ms < best) best = res.ms;
            rows = res.rows;
        }
        const hash = hashLines(rows.map(row => row.map(fmt).join(',')));
        console.log(`${name} ${best.toFixed(1)} ${rows.length} ${hash}`);
    }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'load') await load(args[0], args[1]);
else if (mode === 'query') await query(args[0], Number(args[1]), Number(args[2]), args.slice(3));
else if (mode === 'hashcsv') await hashcsv(args[0]);
else {
    console.error('usage: duckdb.mjs load JSON DB | query DB THREADS RUNS Q... | hashcsv FILE');
    process.exit(2);
}

// Helpers for tests/compat/gateway-cron.sh, run with the Node 24 the check installs.
//
//   gateway-cron.mjs cooldown STATE PROFILE MINUTES  plant a rate-limit cooldown on PROFILE in
//                                                    the 2026.9.6 shared SQLite store, the way
//                                                    OpenClaw records one after a 429
//   gateway-cron.mjs job LIST NAME EVERY_MS COMMAND  `openclaw cron list --json` holds exactly one
//                                                    job NAME: a command job `sh -lc COMMAND` every
//                                                    EVERY_MS, not delivered anywhere; prints its id
//   gateway-cron.mjs no-job LIST NAME               no job NAME in `openclaw cron list --json`
//   gateway-cron.mjs has-run LIST NAME              job NAME has finished a run
//   gateway-cron.mjs ran LIST NAME SUMMARY          job NAME's last run was ok and its output
//                                                    (lastDiagnosticSummary) starts with SUMMARY
//   gateway-cron.mjs next LIST NAME / last-run LIST NAME   the job's next / last run, ISO
//                                                    to the second (as clawshift shows times)
//   gateway-cron.mjs first ORDER PROFILE            `openclaw models auth order get --json` puts
//                                                    PROFILE first
//   gateway-cron.mjs sent LOG TEXT...                the loopback A2A inbox got exactly these
//                                                    messages, in order, each starting with its TEXT;
//                                                    a message that arrived twice in a row counts
//                                                    once (OpenClaw's own delivery queue retries a
//                                                    refused `message send` too), and is named
//   gateway-cron.mjs queued STATE TEXT               OpenClaw's delivery queue (state/openclaw.sqlite,
//                                                    delivery_queue_entries) holds TEXT for a retry
//   gateway-cron.mjs turn OUT TEXT RESULTS          `openclaw agent --json` ended ok with TEXT, its
//                                                    attempts' results being RESULTS (comma-separated)
//   gateway-cron.mjs asked LOG FIRST SERVED [NEVER]  in the ChatGPT stand-in's log, the first Codex
//                                                    responses request came from account FIRST (- for
//                                                    any), the last POST (the reply) from SERVED, and
//                                                    none from NEVER
//   gateway-cron.mjs cooled STATUS PROFILE           `openclaw models status --json` shows PROFILE
//                                                    cooling down; prints when it ends (ms)
//   gateway-cron.mjs rehome STATE FROM              rewrite the plugin install index OpenClaw keeps in
//                                                    STATE/state/openclaw.sqlite (absolute paths)
//                                                    from the template state dir FROM to STATE
// Each check prints what it found and exits 1 when it disagrees.
import fs from "node:fs";
import path from "node:path";

const [cmd, ...args] = process.argv.slice(2);
const readJson = (f) => JSON.parse(fs.readFileSync(f, "utf8"));
function fail(what) {
  console.error(`disagree: ${what}`);
  process.exit(1);
}

async function cooldown(state, profile, minutes) {
  const { DatabaseSync } = await import("node:sqlite");
  const now = Date.now();
  const db = new DatabaseSync(path.join(state, "state/openclaw.sqlite"));
  db.exec("BEGIN IMMEDIATE");
  const row = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.state'").get();
  const doc = row ? JSON.parse(row.value_json) : { version: 1 };
  doc.usageStats = {
    ...(doc.usageStats || {}),
    [profile]: { cooldownUntil: now + Number(minutes) * 60e3, errorCount: 1, failureCounts: { rate_limit: 1 }, lastFailureAt: now },
  };
  db.prepare("INSERT INTO config_machine_state (state_key, value_json, updated_at_ms) VALUES ('authProfiles.state', ?, ?) " +
    "ON CONFLICT(state_key) DO UPDATE SET value_json = excluded.value_json, updated_at_ms = excluded.updated_at_ms")
    .run(JSON.stringify(doc), now);
  db.exec("COMMIT");
  db.close();
}

function jobsNamed(list, name) {
  return (readJson(list).jobs || []).filter((j) => j.name === name);
}

function job(list, name, everyMs, command) {
  const jobs = jobsNamed(list, name);
  if (jobs.length !== 1) fail(`${jobs.length} jobs named ${name}, expected 1`);
  const j = jobs[0];
  const want = { kind: "every", everyMs: Number(everyMs) };
  if (j.schedule?.kind !== want.kind || j.schedule?.everyMs !== want.everyMs)
    fail(`schedule ${JSON.stringify(j.schedule)}, expected ${JSON.stringify(want)}`);
  const argv = JSON.stringify(j.payload?.argv);
  if (j.payload?.kind !== "command" || argv !== JSON.stringify(["sh", "-lc", command]))
    fail(`payload ${JSON.stringify(j.payload)}, expected a command job sh -lc ${JSON.stringify(command)}`);
  if (j.delivery?.mode !== "none") fail(`delivery ${JSON.stringify(j.delivery)}, expected mode none`);
  if (j.enabled !== true) fail(`job ${name} is not enabled`);
  console.log(j.id);
}

function noJob(list, name) {
  const jobs = jobsNamed(list, name);
  if (jobs.length !== 0) fail(`${jobs.length} jobs named ${name}, expected none`);
}

function theJob(list, name) {
  const jobs = jobsNamed(list, name);
  if (jobs.length !== 1) fail(`${jobs.length} jobs named ${name}, expected 1`);
  return jobs[0];
}

function hasRun(list, name) {
  if (!theJob(list, name).state?.lastRunAtMs) fail(`job ${name} has not run yet`);
}

function ran(list, name, summary) {
  const st = theJob(list, name).state || {};
  if (!st.lastRunAtMs) fail(`job ${name} has not run: ${JSON.stringify(st)}`);
  if (st.lastRunStatus !== "ok") fail(`job ${name} last run ${st.lastRunStatus}: ${st.lastError || ""} ${st.lastDiagnosticSummary || ""}`);
  if (!String(st.lastDiagnosticSummary || "").startsWith(summary))
    fail(`job ${name}'s output ${JSON.stringify(st.lastDiagnosticSummary)}, expected it to start with ${JSON.stringify(summary)}`);
  if (st.lastDeliveryError) fail(`job ${name}'s run recorded a delivery error: ${st.lastDeliveryError}`);
  console.log(`  ${name} ran at ${new Date(st.lastRunAtMs).toISOString()}: ${st.lastRunStatus}: ${st.lastDiagnosticSummary}`);
}

const isoS = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
function next(list, name) {
  console.log(isoS(theJob(list, name).state?.nextRunAtMs));
}
function lastRun(list, name) {
  console.log(isoS(theJob(list, name).state?.lastRunAtMs));
}

function first(orderFile, profile) {
  const o = jsonIn(orderFile);
  const order = o.order || o.authOrder || [];
  if (order[0] !== profile) fail(`auth order ${JSON.stringify(o)}, expected ${profile} first`);
}

function sent(log, ...want) {
  const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  const texts = lines.map((l) => JSON.parse(l).req?.params?.message?.parts?.map((p) => p.text).join(""));
  const once = texts.filter((t, i) => i === 0 || t !== texts[i - 1]);
  if (once.length !== want.length || want.some((w, i) => !once[i].startsWith(w)))
    fail(`the inbox got ${JSON.stringify(texts)}, expected messages starting with ${JSON.stringify(want)}`);
  if (once.length !== texts.length) console.log(`  (the inbox got ${texts.length - once.length} message(s) twice: ${JSON.stringify(texts)})`);
}

async function queued(state, text) {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path.join(state, "state/openclaw.sqlite"), { readOnly: true });
  const rows = db.prepare("SELECT status, retry_count, last_error, entry_json FROM delivery_queue_entries").all();
  db.close();
  const ours = rows.filter((r) => JSON.parse(r.entry_json).mirror?.text === text);
  if (ours.length !== 1) fail(`${ours.length} delivery queue entries hold ${JSON.stringify(text)}, expected 1`);
  const { status, retry_count: retries, last_error: error } = ours[0];
  console.log(`  OpenClaw queued it for a retry itself: status ${status}, ${retries} retries, last error ${JSON.stringify(error)}`);
}

// The JSON document in a CLI's stdout (OpenClaw can print a warning box before it).
function jsonIn(file) {
  const raw = fs.readFileSync(file, "utf8");
  return JSON.parse(raw.slice(raw.search(/^\{/m)));
}

function turn(out, text, results) {
  const d = jsonIn(out);
  const got = d.result?.payloads?.map((p) => p.text).join("");
  const attempts = (d.result?.meta?.executionTrace?.attempts || []).map((a) => a.result).join(",");
  if (d.status !== "ok" || got !== text || attempts !== results)
    fail(`agent turn: status ${d.status}, text ${JSON.stringify(got)}, attempts ${attempts}; expected ok, ${JSON.stringify(text)}, ${results}`);
}

// The Codex responses requests (websocket attempts and POSTs) in the stand-in's log.
function responseRequests(log) {
  return fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
    .filter((l) => l.path.split("?")[0].endsWith("/codex/responses"));
}

function asked(log, first, servedBy, never) {
  const reqs = responseRequests(log);
  const seen = JSON.stringify(reqs.map((r) => `${r.method} ${r.account}`));
  if (first !== "-" && reqs[0]?.account !== first) fail(`the first Codex request came from ${reqs[0]?.account}, expected ${first}: ${seen}`);
  const posts = reqs.filter((r) => r.method === "POST");
  if (posts.at(-1)?.account !== servedBy) fail(`the last Codex POST came from ${posts.at(-1)?.account}, expected ${servedBy}: ${seen}`);
  if (never && reqs.some((r) => r.account === never)) fail(`${never} was asked: ${seen}`);
}

function cooled(statusFile, profile) {
  const d = jsonIn(statusFile);
  const u = (d.auth?.unusableProfiles || []).find((p) => p.profileId === profile);
  if (!u || u.kind !== "cooldown" || !(u.until > Date.now()))
    fail(`${profile} is not cooling down: ${JSON.stringify(d.auth?.unusableProfiles)}`);
  console.log(u.until);
}

async function rehome(state, from) {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path.join(state, "state/openclaw.sqlite"));
  const row = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = 'plugins.installedIndex'").get();
  if (!row) fail(`no plugins.installedIndex in ${state}`);
  db.prepare("UPDATE config_machine_state SET value_json = ? WHERE state_key = 'plugins.installedIndex'")
    .run(row.value_json.split(from).join(state));
  db.close();
}

const commands = { cooldown, job, "no-job": noJob, "has-run": hasRun, ran, next, "last-run": lastRun, first, sent, queued, turn, asked, cooled, rehome };
if (!commands[cmd]) fail(`unknown command ${cmd}`);
await commands[cmd](...args);

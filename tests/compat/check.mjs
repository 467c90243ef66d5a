// Helpers for tests/compat/run.sh, run with the Node 24 the check installs.
//
//   check.mjs auth-json FILE ACCOUNT EMAIL    write a Codex auth.json with fake unsigned JWTs
//   check.mjs plant STATE LAYOUT PROVIDER     alice: 1 h rate-limit cooldown; bob: 2 h billing disable
//   check.mjs compare OURS REAL ORDER PROVIDER compare `clawshift status --json` with the real
//                                             `models status --json` / `models auth order get --json`
//   check.mjs switched DECISION REAL ORDER ID  `clawshift switch --json` chose ID (a profile, or a
//                                             model), and the real OpenClaw reports its model and order
//   check.mjs plant-token STATE LAYOUT        add an Anthropic token profile (anthropic:me)
//   check.mjs report REPORT BEFORE AFTER MODEL PROFILE
//                                             `set_model`'s {changed, applied, skipped} agrees
//                                             with what the real OpenClaw reports before and
//                                             after (BEFORE/AFTER: JSON {status, order})
//   check.mjs pair STATUS ORDER OUT           write {status, order} from the two real outputs
//   check.mjs wrong IN OUT                    a copy of `clawshift status --json` with one
//                                             expiry off by a second (the comparator canary)
import fs from "node:fs";
import path from "node:path";

const [cmd, ...args] = process.argv.slice(2);
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const jwt = (claims) => `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.sig`;
// Whole seconds, so `expires` (ms) is exactly exp × 1000.
const nowS = Math.floor(Date.now() / 1000);

function authJson(file, account, email) {
  const auth = { chatgpt_account_id: account, chatgpt_plan_type: "plus" };
  const tokens = {
    id_token: jwt({ exp: nowS + 3600, email, "https://api.openai.com/auth": auth }),
    access_token: jwt({
      exp: nowS + 10 * 86400,
      "https://api.openai.com/auth": auth,
      "https://api.openai.com/profile": { email },
    }),
    refresh_token: `rt_FAKE_compat_${account}_${nowS}`,
    account_id: account,
  };
  fs.writeFileSync(file, JSON.stringify({ auth_mode: "chatgpt", OPENAI_API_KEY: null, tokens }, null, 2), { mode: 0o600 });
}

function plant(state, layout, p) {
  const now = Date.now();
  const stats = {
    [`${p}:alice`]: { cooldownUntil: now + 3600e3, errorCount: 1, failureCounts: { rate_limit: 1 }, lastFailureAt: now },
    [`${p}:bob`]: { disabledUntil: now + 7200e3, disabledReason: "billing", errorCount: 3, lastFailureAt: now },
  };
  const agent = path.join(state, "agents/main/agent");
  if (layout === "sqlite") {
    return import("node:sqlite").then(({ DatabaseSync }) => {
      const db = new DatabaseSync(path.join(state, "state/openclaw.sqlite"));
      db.exec("BEGIN IMMEDIATE");
      const row = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.state'").get();
      const doc = row ? JSON.parse(row.value_json) : { version: 1 };
      doc.usageStats = { ...(doc.usageStats || {}), ...stats };
      db.prepare("INSERT INTO config_machine_state (state_key, value_json, updated_at_ms) VALUES ('authProfiles.state', ?, ?) " +
        "ON CONFLICT(state_key) DO UPDATE SET value_json = excluded.value_json, updated_at_ms = excluded.updated_at_ms")
        .run(JSON.stringify(doc), now);
      db.exec("COMMIT");
      db.close();
    });
  }
  const file = path.join(agent, layout === "split-json" ? "auth-state.json" : "auth-profiles.json");
  const doc = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : { version: 1 };
  doc.usageStats = { ...(doc.usageStats || {}), ...stats };
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + "\n", { mode: 0o600 });
}

// An Anthropic token profile, the way `openclaw models auth paste-token` stores one.
function plantToken(state, layout) {
  const id = "anthropic:me";
  const cred = { type: "token", provider: "anthropic", token: "sk-ant-oat01-FAKE-compat" };
  if (layout === "sqlite") {
    return import("node:sqlite").then(({ DatabaseSync }) => {
      const db = new DatabaseSync(path.join(state, "state/openclaw.sqlite"));
      db.exec("BEGIN IMMEDIATE");
      const row = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.store'").get();
      const doc = JSON.parse(row.value_json);
      doc.profiles[id] = cred;
      db.prepare("UPDATE config_machine_state SET value_json = ?, updated_at_ms = ? WHERE state_key = 'authProfiles.store'")
        .run(JSON.stringify(doc), Date.now());
      db.exec("COMMIT");
      db.close();
    });
  }
  const file = path.join(state, "agents/main/agent/auth-profiles.json");
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  doc.profiles[id] = cred;
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + "\n", { mode: 0o600 });
}

// Moves PROFILE's access token past its expiry, keeping its refresh token: what an
// account the agent has not used for ten days looks like.
function plantExpired(state, layout, id) {
  const past = Date.now() - 3600e3;
  const edit = (doc) => { doc.profiles[id].expires = past; return doc; };
  if (layout === "sqlite") {
    return import("node:sqlite").then(({ DatabaseSync }) => {
      const db = new DatabaseSync(path.join(state, "state/openclaw.sqlite"));
      db.exec("BEGIN IMMEDIATE");
      const row = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.store'").get();
      db.prepare("UPDATE config_machine_state SET value_json = ?, updated_at_ms = ? WHERE state_key = 'authProfiles.store'")
        .run(JSON.stringify(edit(JSON.parse(row.value_json))), Date.now());
      db.exec("COMMIT");
      db.close();
    });
  }
  const file = path.join(state, "agents/main/agent/auth-profiles.json");
  fs.writeFileSync(file, JSON.stringify(edit(JSON.parse(fs.readFileSync(file, "utf8"))), null, 2) + "\n", { mode: 0o600 });
}

function fail(problems) {
  if (problems.length) {
    console.log(problems.map((x) => `  mismatch: ${x}`).join("\n"));
    process.exit(1);
  }
}

// The report of one `set_model(MODEL, PROFILE)` call against the real OpenClaw's view
// before and after it: a change OpenClaw now shows must be under `applied`, one that was
// already in place under `skipped`, and `changed` must say whether anything was applied.
// Without a gateway the main session can only be skipped.
function report(reportFile, beforeFile, afterFile, model, profile) {
  const r = JSON.parse(fs.readFileSync(reportFile, "utf8"));
  const before = JSON.parse(fs.readFileSync(beforeFile, "utf8"));
  const after = JSON.parse(fs.readFileSync(afterFile, "utf8"));
  const problems = [];
  const p = profile.split(":")[0];
  const first = (x) => (x.order.order || [])[0];
  const check = (what, prefix, wasBefore, isAfter) => {
    const inApplied = r.applied.filter((x) => x.startsWith(prefix));
    const inSkipped = r.skipped.filter((x) => x.startsWith(prefix));
    if (!isAfter) problems.push(`${what}: openclaw does not show it after set_model (report: ${JSON.stringify(r)})`);
    else if (wasBefore && (inApplied.length || inSkipped.length !== 1))
      problems.push(`${what}: already in place, so it must be skipped once; applied ${JSON.stringify(inApplied)}, skipped ${JSON.stringify(inSkipped)}`);
    else if (!wasBefore && (inApplied.length !== 1 || inSkipped.length))
      problems.push(`${what}: openclaw shows it changed, so it must be applied once; applied ${JSON.stringify(inApplied)}, skipped ${JSON.stringify(inSkipped)}`);
  };
  check("default model", "default model:", before.status.defaultModel === model, after.status.defaultModel === model);
  check(`order ${p}`, `order ${p}:`, first(before) === profile, first(after) === profile);
  const session = r.skipped.filter((x) => x.startsWith("main session: no gateway is listening"));
  if (session.length !== 1 || r.applied.some((x) => x.startsWith("main session:")))
    problems.push(`main session: no gateway runs, so it must be skipped as such; report ${JSON.stringify(r)}`);
  const changed = before.status.defaultModel !== model || first(before) !== profile;
  if (r.changed !== changed) problems.push(`changed is ${r.changed}, but openclaw shows ${changed ? "a" : "no"} change`);
  const keys = Object.keys(r).sort().join(",");
  if (keys !== "applied,changed,skipped") problems.push(`report keys ${keys}`);
  fail(problems);
  console.log(`  report agrees: changed ${r.changed}, applied ${JSON.stringify(r.applied)}, skipped ${r.skipped.length}`);
}

function pair(statusFile, orderFile, out) {
  const status = JSON.parse(fs.readFileSync(statusFile, "utf8"));
  const order = JSON.parse(fs.readFileSync(orderFile, "utf8"));
  fs.writeFileSync(out, JSON.stringify({ status, order }));
}

function wrong(inFile, outFile) {
  const ours = JSON.parse(fs.readFileSync(inFile, "utf8"));
  const prov = Object.values(ours.providers).find((x) => x.profiles && x.profiles.length);
  prov.profiles[0].expires += 1000;
  fs.writeFileSync(outFile, JSON.stringify(ours));
}

function compare(oursFile, realFile, orderFile, p) {
  const ours = JSON.parse(fs.readFileSync(oursFile, "utf8"));
  const real = JSON.parse(fs.readFileSync(realFile, "utf8"));
  const order = JSON.parse(fs.readFileSync(orderFile, "utf8"));
  const problems = [];
  const same = (what, a, b) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${what}: clawshift ${JSON.stringify(a)} vs openclaw ${JSON.stringify(b)}`);
  };
  same("default model", ours.default_model, real.defaultModel);
  same("fallbacks", ours.fallbacks, real.fallbacks);
  same("order", ours.providers[p].order, order.order);

  const realOauth = new Map(real.auth.oauth.profiles.map((x) => [x.profileId, x]));
  const realUnusable = new Map(real.auth.unusableProfiles.map((x) => [x.profileId, x]));
  const ids = ours.providers[p].profiles.map((x) => x.id);
  same("profiles", ids.slice().sort(), [...realOauth.keys()].filter((id) => id.startsWith(`${p}:`)).sort());
  for (const prof of ours.providers[p].profiles) {
    const r = realOauth.get(prof.id);
    if (!r) continue;
    same(`${prof.id} expiry`, prof.expires, r.expiresAt);
    const u = realUnusable.get(prof.id);
    same(`${prof.id} kind`, prof.kind ?? null, u ? u.kind : null);
    same(`${prof.id} until`, prof.until ?? null, u ? u.until : null);
    if (u && u.reason) same(`${prof.id} reason`, prof.reason, u.reason);
    // Past `expires` with a refresh token: OpenClaw says `expired` (keeping expiresAt)
    // and leaves it out of unusableProfiles; clawshift says `refresh-due`, usable.
    if (!u && r.status === "expired" && r.expiresAt) {
      same(`${prof.id} state`, prof.state, "refresh-due");
      same(`${prof.id} usable`, prof.usable, true);
    }
    if (prof.state === "refresh-due") same(`${prof.id} openclaw status`, r.status, "expired");
  }
  fail(problems);
  console.log(`  agree: ${ids.length} profiles (expiry, cooldown/disabled, until), order ${JSON.stringify(order.order)}, default ${real.defaultModel}`);
}

function switched(decisionFile, realFile, orderFile, expected) {
  const d = JSON.parse(fs.readFileSync(decisionFile, "utf8"));
  const real = JSON.parse(fs.readFileSync(realFile, "utf8"));
  const order = JSON.parse(fs.readFileSync(orderFile, "utf8"));
  const problems = [];
  if ((d.profile ?? d.model) !== expected) problems.push(`switch chose ${d.profile}, expected ${expected} (block ends first)`);
  if (real.defaultModel !== d.model) problems.push(`openclaw default ${real.defaultModel}, switch chose ${d.model}`);
  if (d.profile && (!order.order || order.order[0] !== d.profile)) problems.push(`openclaw order ${JSON.stringify(order.order)} does not start with ${d.profile}`);
  // The chain clawshift wrote: every candidate's model but the primary, in priority
  // order, each once (the user's only other fallback, Opus, is a candidate too).
  if (d.change) {
    const chain = [...new Set(d.candidates.map((c) => c.model))].filter((m) => m !== d.model);
    if (JSON.stringify(real.fallbacks) !== JSON.stringify(chain)) problems.push(`openclaw fallbacks ${JSON.stringify(real.fallbacks)}, expected the chain ${JSON.stringify(chain)}`);
  }
  if ((real.fallbacks || []).includes(real.defaultModel)) problems.push(`openclaw fallbacks ${JSON.stringify(real.fallbacks)} repeat the primary ${real.defaultModel}`);
  fail(problems);
  console.log(`  switch: ${d.action} to ${d.model}${d.profile ? "@" + d.profile : ""}; openclaw reports default ${real.defaultModel}, fallbacks ${JSON.stringify(real.fallbacks)}, order ${JSON.stringify(order.order)}`);
}

if (cmd === "auth-json") authJson(...args);
else if (cmd === "switched") switched(...args);
else if (cmd === "plant-token") await plantToken(...args);
else if (cmd === "plant-expired") await plantExpired(...args);
else if (cmd === "plant") await plant(...args);
else if (cmd === "compare") compare(...args);
else if (cmd === "report") report(...args);
else if (cmd === "pair") pair(...args);
else if (cmd === "wrong") wrong(...args);
else { console.error(`unknown command ${cmd}`); process.exit(2); }

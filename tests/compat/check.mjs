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
//   check.mjs agent CONFIG ID MODEL           give agent ID a model of its own
//                                             (agents.entries.ID.model) in CONFIG
//   check.mjs agent-model OURS REAL MODEL     `clawshift --agent ID status --json` and the real
//                                             `models status --agent ID --json` agree on the
//                                             agent's model and fallbacks, and it is MODEL,
//                                             the agent's own (defaultSource "agent")
// For tests/compat/gateway.sh (a VIEW is `gather`'s file: the real OpenClaw's status and
// openai order, and through the live gateway models.authStatus, sessions.describe,
// chat.metadata and sessions.list):
//   check.mjs gather OUT KEY FILE...          write {KEY: parsed FILE, ...}
//   check.mjs live REPORT BEFORE AFTER MODEL PROFILE|- patched|already|refused
//                                             a set_model report or `switch --json` decision
//                                             agrees with the gateway's view before and after
//   check.mjs session VIEW MODEL PROFILE|-    the gateway shows the main session on MODEL[@PROFILE]
//   check.mjs same-order VIEW1 VIEW2          the order is the same in both views
//   check.mjs written-back VIEW1 VIEW2        the gateway rewrote the main session's entry in between
//   check.mjs quiet DECISION LOG              a `switch` that changed nothing sent one read
//                                             (the gateway's ws log of that run)
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

// The config is JSON5 as people write it (comments, trailing commas, bare keys): read as
// the object literal it is, written back as plain JSON, which OpenClaw reads too. A
// roster of several agents needs `ownership: "explicit"` from 2026.9.
function agent(configFile, id, model) {
  const cfg = new Function(`return (${fs.readFileSync(configFile, "utf8")});`)();
  cfg.agents ??= {};
  cfg.agents.ownership = "explicit";
  cfg.agents.entries = { ...(cfg.agents.entries ?? {}), main: cfg.agents.entries?.main ?? {}, [id]: { model } };
  fs.writeFileSync(configFile, JSON.stringify(cfg, null, 2) + "\n");
}

function agentModel(oursFile, realFile, model) {
  const ours = JSON.parse(fs.readFileSync(oursFile, "utf8"));
  const real = JSON.parse(fs.readFileSync(realFile, "utf8"));
  const problems = [];
  const same = (what, a, b) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${what}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  };
  same("agent", ours.agent, real.agentId);
  same("default model (clawshift vs openclaw)", ours.default_model, real.defaultModel);
  same("fallbacks (clawshift vs openclaw)", ours.fallbacks, real.fallbacks);
  same("the agent's model (openclaw vs expected)", real.defaultModel, model);
  same("where openclaw reads it", real.modelConfig?.defaultSource, "agent");
  fail(problems);
  console.log(`  agree: agent ${real.agentId} runs its own ${real.defaultModel}, fallbacks ${JSON.stringify(real.fallbacks)}`);
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

const KEY = "agent:main:main";
const readJson = (f) => JSON.parse(fs.readFileSync(f, "utf8"));

function gather(out, ...pairs) {
  const o = {};
  for (let i = 0; i < pairs.length; i += 2) o[pairs[i]] = readJson(pairs[i + 1]);
  fs.writeFileSync(out, JSON.stringify(o));
}

// The gateway's order for PROVIDER (models.authStatus), checked against the stored order
// `models auth order get` reads for openai: the two must never disagree.
function gwOrder(v, provider, problems) {
  // A provider without a stored order (one token profile) has no profileOrder: its
  // profiles, as listed, are the order OpenClaw tries.
  const p = (v.auth.providers || []).find((x) => x.provider === provider);
  const order = p ? p.profileOrder || (p.profiles || []).map((x) => x.profileId) : [];
  if (provider === "openai" && JSON.stringify(order) !== JSON.stringify(v.order.order || []))
    problems.push(`openai order: the gateway says ${JSON.stringify(order)}, the store ${JSON.stringify(v.order.order)}`);
  return order;
}

// The main session's route as the gateway tells it.
function route(v) {
  const s = v.describe.session;
  const row = ((v.list.sessions || []).find((x) => x.key === KEY)) || null;
  return {
    model: s && s.modelProvider && s.model ? `${s.modelProvider}/${s.model}` : null,
    own: !!(s && s.modelOverrideSource),
    profile: (v.meta.accountSelection || {}).authProfileId || null,
    listed: row && row.modelProvider && row.model ? `${row.modelProvider}/${row.model}` : null,
  };
}
const shows = (v, model, profile) => {
  const r = route(v);
  return r.own && r.model === model && r.profile === profile && r.listed === model;
};

function live(reportFile, beforeFile, afterFile, model, profileArg, expect) {
  const profile = profileArg === "-" ? null : profileArg;
  const r = readJson(reportFile);
  const before = readJson(beforeFile);
  const after = readJson(afterFile);
  const problems = [];
  const decision = "action" in r;
  if (decision && (r.model !== model || (r.profile ?? null) !== profile))
    problems.push(`switch chose ${r.model}@${r.profile}, expected ${model}@${profile ?? "(no profile)"}`);
  const rep = decision ? r.applied : r;
  if (!rep || !Array.isArray(rep.applied)) {
    fail([...problems, `no set_model report in ${JSON.stringify(r)}`]);
  }
  const lines = (prefix) => [rep.applied.filter((x) => x.startsWith(prefix)), rep.skipped.filter((x) => x.startsWith(prefix))];
  const check = (what, prefix, wasBefore, isAfter, how) => {
    const [a, sk] = lines(prefix);
    if (!isAfter) problems.push(`${what}: the gateway does not show it afterwards (report: ${JSON.stringify(rep)})`);
    else if (wasBefore && (a.length || sk.length !== 1))
      problems.push(`${what}: already in place, so it must be skipped once; applied ${JSON.stringify(a)}, skipped ${JSON.stringify(sk)}`);
    else if (!wasBefore && (a.length !== 1 || sk.length))
      problems.push(`${what}: the gateway shows it changed, so it must be applied once; applied ${JSON.stringify(a)}, skipped ${JSON.stringify(sk)}`);
    else if (!wasBefore && how && !a[0].includes(how)) problems.push(`${what}: applied ${JSON.stringify(a[0])}, not ${how}`);
  };
  check("default model", "default model:", before.status.defaultModel === model, after.status.defaultModel === model);
  // Without a profile (a model-level candidate) set_model leaves every order alone.
  const p = profile ? profile.split(":")[0] : model.split("/")[0];
  const firstBefore = gwOrder(before, p, problems)[0];
  const firstAfter = gwOrder(after, p, problems)[0];
  if (profile) check(`order ${p}`, `order ${p}:`, firstBefore === profile, firstAfter === profile, "through the gateway's models.authOrderSet");
  else if (lines("order ").flat().length) problems.push(`order: no profile, yet ${JSON.stringify(lines("order ").flat())}`);
  if (decision && r.change) {
    const chain = [...new Set(r.candidates.map((c) => c.model))].filter((m) => m !== r.model);
    if (JSON.stringify(after.status.fallbacks) !== JSON.stringify(chain))
      problems.push(`fallbacks ${JSON.stringify(after.status.fallbacks)}, expected the switch's chain ${JSON.stringify(chain)}`);
  }
  const target = profile ? `${model}@${profile}` : model;
  const [sa, ss] = lines("main session:");
  const was = shows(before, model, profile), is = shows(after, model, profile);
  const sessionChanged = JSON.stringify(route(before)) !== JSON.stringify(route(after));
  if (expect === "patched") {
    if (was || !is) problems.push(`main session: expected a patch to ${target}; the gateway showed ${JSON.stringify(route(before))}, now ${JSON.stringify(route(after))}`);
    if (sa.length !== 1 || !sa[0].startsWith(`main session: ${KEY} patched to ${target} (sessions.patch; was `) || ss.length)
      problems.push(`main session: patched, so one applied line; applied ${JSON.stringify(sa)}, skipped ${JSON.stringify(ss)}`);
  } else if (expect === "already") {
    if (!was || !is) problems.push(`main session: expected ${target} before and after; the gateway showed ${JSON.stringify(route(before))}, now ${JSON.stringify(route(after))}`);
    if (sa.length || ss.length !== 1 || ss[0] !== `main session: already ${target}`)
      problems.push(`main session: already in place, so skipped once; applied ${JSON.stringify(sa)}, skipped ${JSON.stringify(ss)}`);
  } else if (expect === "refused") {
    if (sessionChanged) problems.push(`main session: refused, yet the gateway changed it: ${JSON.stringify(route(before))} -> ${JSON.stringify(route(after))}`);
    if (sa.length || ss.length !== 1 || !ss[0].startsWith("main session: the gateway refused sessions.patch (") || !ss[0].includes('agent harness "codex"'))
      problems.push(`main session: refused for want of the codex harness, so skipped once saying so; applied ${JSON.stringify(sa)}, skipped ${JSON.stringify(ss)}`);
  } else problems.push(`unknown expectation ${expect}`);
  const changed = before.status.defaultModel !== after.status.defaultModel || (profile && firstBefore !== firstAfter) || sessionChanged;
  if (rep.changed !== changed) problems.push(`changed is ${rep.changed}, but the gateway shows ${changed ? "a" : "no"} change`);
  fail(problems);
  console.log(`  gateway agrees: ${target}, session ${expect}; applied ${JSON.stringify(rep.applied)}; skipped ${JSON.stringify(rep.skipped)}`);
}

function session(viewFile, model, profileArg) {
  const profile = profileArg === "-" ? null : profileArg;
  const v = readJson(viewFile);
  const r = route(v);
  const problems = [];
  if (!shows(v, model, profile)) problems.push(`main session: the gateway shows ${JSON.stringify(r)}, expected ${model}@${profile} (its own model, also in sessions.list)`);
  const p = profile && profile.split(":")[0];
  if (p && gwOrder(v, p, problems)[0] !== profile) problems.push(`order ${p}: the gateway's starts with ${gwOrder(v, p, [])[0]}, expected ${profile}`);
  fail(problems);
  console.log(`  gateway session: ${r.model}${r.profile ? "@" + r.profile : ", no pinned account"} (describe, metadata, sessions.list)${p ? `, order ${p} starts with ${profile}` : ""}`);
}

function sameOrder(aFile, bFile) {
  const [a, b] = [readJson(aFile), readJson(bFile)];
  const orders = (v) => Object.fromEntries((v.auth.providers || []).map((p) => [p.provider, p.profileOrder || []]));
  const problems = [];
  if (JSON.stringify(orders(a)) !== JSON.stringify(orders(b))) problems.push(`the gateway's order moved: ${JSON.stringify(orders(a))} -> ${JSON.stringify(orders(b))}`);
  if (JSON.stringify(a.order.order) !== JSON.stringify(b.order.order)) problems.push(`the stored order moved: ${JSON.stringify(a.order.order)} -> ${JSON.stringify(b.order.order)}`);
  if (a.status.defaultModel !== b.status.defaultModel) problems.push(`the default model moved: ${a.status.defaultModel} -> ${b.status.defaultModel}`);
  fail(problems);
  console.log(`  unchanged: order ${JSON.stringify(orders(b))}, default ${b.status.defaultModel}`);
}

// A switch that changed nothing: in the gateway's ws log of that run, one connection,
// and only the read (sessions.describe and chat.metadata, once each).
function quiet(decisionFile, logFile) {
  const d = readJson(decisionFile);
  const log = fs.readFileSync(logFile, "utf8");
  const problems = [];
  if (d.change !== false) problems.push(`switch changed something: ${JSON.stringify(d)}`);
  const opens = (log.match(/\[ws\] ← open /g) || []).length;
  const reqs = [...log.matchAll(/\[ws\] ← req (\S+)/g)].map((m) => m[1]).sort();
  if (opens !== 1) problems.push(`${opens} connections, expected 1`);
  if (JSON.stringify(reqs) !== JSON.stringify(["chat.metadata", "sessions.describe"])) problems.push(`requests ${JSON.stringify(reqs)}, expected only the read`);
  fail(problems);
  console.log(`  no change: ${opens} connection, requests ${JSON.stringify(reqs)}`);
}

// The gateway wrote the main session's entry between two views (an agent turn ends by
// saving it), so a later "still there" means the change survived a write-back.
function writtenBack(aFile, bFile) {
  const [a, b] = [readJson(aFile).describe.session, readJson(bFile).describe.session];
  const problems = [];
  if (!a || !b || !(b.updatedAt > a.updatedAt)) problems.push(`the session entry was not rewritten: updatedAt ${a && a.updatedAt} -> ${b && b.updatedAt}`);
  fail(problems);
  console.log(`  the gateway rewrote the session entry (updatedAt +${b.updatedAt - a.updatedAt} ms, status ${b.status})`);
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
else if (cmd === "agent") agent(...args);
else if (cmd === "agent-model") agentModel(...args);
else if (cmd === "gather") gather(...args);
else if (cmd === "live") live(...args);
else if (cmd === "session") session(...args);
else if (cmd === "same-order") sameOrder(...args);
else if (cmd === "quiet") quiet(...args);
else if (cmd === "written-back") writtenBack(...args);
else { console.error(`unknown command ${cmd}`); process.exit(2); }

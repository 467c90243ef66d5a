#!/usr/bin/env python3
"""Build fake OpenClaw auth state for the compatibility tests (fabricated, non-secret values).

Subcommands (STATE = an OpenClaw state dir, i.e. $S/.openclaw):

  ocstate.py legacy STATE [--provider openai-codex] [--indent 2]
      era A: agents/main/agent/auth-profiles.json = {version, profiles, order, lastGood, usageStats}
  ocstate.py split STATE [--provider openai-codex] [--indent 2]
      era B: auth-profiles.json = {version, profiles} + auth-state.json = {version, order, lastGood, usageStats}
  ocstate.py config STATE [--provider openai]
      openclaw.json with agents.defaults.model + auth.profiles/auth.order (2-space JSON)
  ocstate.py mkdb STATE [--schema tests/fixtures/openclaw-real/schema-state-2026.9.6.sql]
                        [--user-version 18] [--no-meta] [--auto-vacuum 2]
      create state/openclaw.sqlite from a schema dump, without running OpenClaw
  ocstate.py put-auth STATE [--provider openai] [--pretty] [--no-shared-store] [--updated-at MS]
      era D: upsert config_machine_state rows auth.sharedStore, authProfiles.store, authProfiles.state
  ocstate.py dump STATE [--full]
      print config_machine_state (state DB) and auth_profile_* (main agent DB) rows as JSON lines
      (values over 4 KB, e.g. plugins.installedIndex, only as their length unless --full)

Profiles: anthropic:me (token), <p>:alice and <p>:bob (oauth, unsigned JWT access token with
exp = now+10d, refresh "rt_FAKE_<hex>"). usageStats: alice in cooldown for 1 h (rate_limit),
bob disabled for 2 h (billing). order <p> = [alice, bob] ([bob, alice] with --order-reversed, so that
the stored order can be told apart from the config's auth.order); lastGood <p> = alice.
"""
import argparse, base64, json, os, secrets, sqlite3, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "fixtures", "openclaw-real", "schema-state-2026.9.6.sql")


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()


def fake_jwt(acct, email, exp_s):
    hdr = {"alg": "none", "typ": "JWT"}
    body = {"exp": exp_s, "iat": exp_s - 864000, "iss": "https://auth.openai.com",
            "https://api.openai.com/auth": {"chatgpt_account_id": acct, "chatgpt_plan_type": "plus"},
            "https://api.openai.com/profile": {"email": email}}
    return b64(hdr) + "." + b64(body) + "."


def build(provider, now_ms=None, reverse_order=False):
    now_ms = now_ms or int(time.time() * 1000)
    exp_s = now_ms // 1000 + 10 * 86400

    def oauth(name, acct):
        email = f"{name}@example.com"
        return {"type": "oauth", "provider": provider, "access": fake_jwt(acct, email, exp_s),
                "refresh": "rt_FAKE_" + secrets.token_hex(20), "expires": exp_s * 1000,
                "accountId": acct, "email": email}

    profiles = {
        "anthropic:me": {"type": "token", "provider": "anthropic",
                         "token": "sk-ant-oat01-FAKE-" + secrets.token_hex(16)},
        f"{provider}:alice": oauth("alice", "acct-alice-0001"),
        f"{provider}:bob": oauth("bob", "acct-bob-0002"),
    }
    state = {
        "version": 1,
        "order": {provider: [f"{provider}:alice", f"{provider}:bob"][::-1 if reverse_order else 1],
                  "anthropic": ["anthropic:me"]},
        "lastGood": {provider: f"{provider}:alice"},
        "usageStats": {
            f"{provider}:alice": {"lastUsed": now_ms - 60000, "cooldownUntil": now_ms + 3600 * 1000,
                                  "errorCount": 1, "failureCounts": {"rate_limit": 1},
                                  "lastFailureAt": now_ms - 60000},
            f"{provider}:bob": {"lastUsed": now_ms - 7200000, "errorCount": 3,
                                "disabledUntil": now_ms + 2 * 3600 * 1000, "disabledReason": "billing",
                                "lastFailureAt": now_ms - 120000},
        },
    }
    return {"version": 1, "profiles": profiles}, state


def write_json(path, obj, indent):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        if indent < 0:
            json.dump(obj, f, separators=(",", ":"))
        else:
            json.dump(obj, f, indent=indent)
        f.write("\n")
    os.chmod(path, 0o600)


def agent_dir(state):
    return os.path.join(state, "agents", "main", "agent")


def cmd_legacy(a):
    store, st = build(a.provider, reverse_order=a.order_reversed)
    merged = dict(store)
    merged.update({k: st[k] for k in ("order", "lastGood", "usageStats")})
    write_json(os.path.join(agent_dir(a.state), "auth-profiles.json"), merged, a.indent)


def cmd_split(a):
    store, st = build(a.provider, reverse_order=a.order_reversed)
    write_json(os.path.join(agent_dir(a.state), "auth-profiles.json"), store, a.indent)
    write_json(os.path.join(agent_dir(a.state), "auth-state.json"), st, a.indent)


def cmd_config(a):
    p = a.provider
    model_provider = "openai" if p == "openai" else p
    cfg = {
        "agents": {"defaults": {"model": {"primary": f"{model_provider}/gpt-5.5",
                                          "fallbacks": ["anthropic/claude-opus-4-7"]}}},
        "auth": {"profiles": {"anthropic:me": {"provider": "anthropic", "mode": "token"},
                              f"{p}:alice": {"provider": p, "mode": "oauth"},
                              f"{p}:bob": {"provider": p, "mode": "oauth"}},
                 "order": {p: [f"{p}:alice", f"{p}:bob"], "anthropic": ["anthropic:me"]}},
    }
    write_json(os.path.join(a.state, "openclaw.json"), cfg, 2)


def state_db(state):
    return os.path.join(state, "state", "openclaw.sqlite")


def cmd_mkdb(a):
    path = state_db(a.state)
    if os.path.exists(path):
        sys.exit(f"{path} exists")
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    sql = open(a.schema).read()
    # sqlite_sequence is created implicitly by AUTOINCREMENT tables; .schema dumps list it anyway.
    sql = "\n".join(l for l in sql.splitlines() if not l.startswith("CREATE TABLE sqlite_sequence"))
    db = sqlite3.connect(path, isolation_level=None)
    if a.auto_vacuum is not None and a.auto_vacuum >= 0:
        db.execute(f"PRAGMA auto_vacuum={int(a.auto_vacuum)}")   # must precede the first table
    db.executescript(sql)
    db.execute("PRAGMA journal_mode=WAL")
    if a.user_version is not None:
        db.execute(f"PRAGMA user_version={int(a.user_version)}")
    if not a.no_meta:
        now = int(time.time() * 1000)
        db.execute("INSERT INTO schema_meta(meta_key, role, schema_version, agent_id, app_version, created_at, updated_at)"
                   " VALUES ('primary','global',?,NULL,NULL,?,?)", (int(a.user_version or 0), now, now))
    db.close()
    os.chmod(path, 0o600)


def cmd_put_auth(a):
    store, st = build(a.provider, reverse_order=a.order_reversed)
    enc = (lambda o: json.dumps(o, indent=2)) if a.pretty else (lambda o: json.dumps(o, separators=(",", ":")))
    now = int(time.time() * 1000) if a.updated_at is None else a.updated_at
    db = sqlite3.connect(state_db(a.state), timeout=10, isolation_level=None)
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("BEGIN IMMEDIATE")
    rows = [("authProfiles.store", enc(store)), ("authProfiles.state", enc(st))]
    if not a.no_shared_store:
        rows.insert(0, ("auth.sharedStore", enc({"location": "state-db"})))
    for k, v in rows:
        db.execute("INSERT INTO config_machine_state(state_key, value_json, updated_at_ms) VALUES (?,?,?)"
                   " ON CONFLICT(state_key) DO UPDATE SET value_json=excluded.value_json,"
                   " updated_at_ms=excluded.updated_at_ms", (k, v, now))
    db.execute("COMMIT")
    db.close()


def cmd_dump(a):
    p = state_db(a.state)
    if os.path.exists(p):
        db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        for k, v, t in db.execute("SELECT state_key, value_json, updated_at_ms FROM config_machine_state ORDER BY state_key"):
            if len(v) > 4096 and not a.full:   # e.g. plugins.installedIndex (~400 KB)
                print(json.dumps({"db": "state", "state_key": k, "updated_at_ms": t, "value_len": len(v)}))
            else:
                print(json.dumps({"db": "state", "state_key": k, "updated_at_ms": t, "value": json.loads(v)}))
    p = os.path.join(agent_dir(a.state), "openclaw-agent.sqlite")
    if os.path.exists(p):
        db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        for t in ("auth_profile_store", "auth_profile_state"):
            try:
                rows = db.execute(f"SELECT * FROM {t}").fetchall()
                cols = [d[0] for d in db.execute(f"SELECT * FROM {t} LIMIT 0").description]
            except sqlite3.Error as e:
                print(json.dumps({"db": "agent", "table": t, "error": str(e)}))
                continue
            for r in rows:
                print(json.dumps({"db": "agent", "table": t, "row": dict(zip(cols, r))}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, fn, prov in (("legacy", cmd_legacy, "openai-codex"), ("split", cmd_split, "openai-codex")):
        s = sub.add_parser(name); s.add_argument("state"); s.add_argument("--provider", default=prov)
        s.add_argument("--indent", type=int, default=2, help="-1 = compact"); s.set_defaults(fn=fn)
        s.add_argument("--order-reversed", action="store_true", help="stored order [bob, alice] (config keeps [alice, bob])")
    s = sub.add_parser("config"); s.add_argument("state"); s.add_argument("--provider", default="openai"); s.set_defaults(fn=cmd_config)
    s = sub.add_parser("mkdb"); s.add_argument("state"); s.add_argument("--schema", default=DEFAULT_SCHEMA)
    s.add_argument("--user-version", type=int, default=18); s.add_argument("--no-meta", action="store_true")
    s.add_argument("--auto-vacuum", type=int, default=2, help="OpenClaw uses 2 (INCREMENTAL); -1 = leave default")
    s.set_defaults(fn=cmd_mkdb)
    s = sub.add_parser("put-auth"); s.add_argument("state"); s.add_argument("--provider", default="openai")
    s.add_argument("--pretty", action="store_true"); s.add_argument("--no-shared-store", action="store_true")
    s.add_argument("--updated-at", type=int); s.set_defaults(fn=cmd_put_auth)
    s.add_argument("--order-reversed", action="store_true", help="stored order [bob, alice] (config keeps [alice, bob])")
    s = sub.add_parser("dump"); s.add_argument("state"); s.add_argument("--full", action="store_true", help="also print values > 4 KB")
    s.set_defaults(fn=cmd_dump)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()

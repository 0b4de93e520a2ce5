/** Baseline for `npm run bench`: one RPC to a SQLite Durable Object that increments a counter. */
import { DurableObject } from "cloudflare:workers";

interface TrivialEnv {
  COUNTER: DurableObjectNamespace<Counter>;
}

export class Counter extends DurableObject<TrivialEnv> {
  constructor(ctx: DurableObjectState, env: TrivialEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    ctx.storage.sql.exec("INSERT OR IGNORE INTO c (id, n) VALUES (1, 0)");
  }

  increment(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("UPDATE c SET n = n + 1 WHERE id = 1 RETURNING n").one().n;
  }
}

export default {
  async fetch(req: Request, env: TrivialEnv): Promise<Response> {
    if (new URL(req.url).pathname === "/healthz") return Response.json({ ok: true });
    const stub = env.COUNTER.get(env.COUNTER.idFromName("one"));
    return Response.json({ n: await stub.increment() });
  },
};

/** Worker entry: the Hono app plus the Durable Object classes wrangler binds. */
import app from "./app";

export { Directory } from "./objects/directory";
export { AccountObject } from "./objects/account";
export { PoolObject } from "./objects/pool";

export default app;

/** Worker entry: the Hono app plus the Durable Object classes wrangler binds. */
import app from "./http/app";

export { Directory } from "./directory/directory";
export { AccountObject } from "./account/account";
export { PoolObject } from "./pool/pool";

export default app;

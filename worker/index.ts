/** Worker entry: the Hono app plus the Durable Object classes wrangler binds. */
import app from "./http/app";

export { AccountObject } from "./account/account";
export { CallLog } from "./calllog/call-log";
export { Directory } from "./directory/directory";
export { PoolObject } from "./pool/pool";

export default app;

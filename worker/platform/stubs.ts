/** Durable Object stubs by name: one Directory, one object per account, one per pool shard. */
import { shardName } from "../domain/shards";

export const directory = (env: Env) => env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
export const account = (env: Env, accountId: string) => env.ACCOUNTS.get(env.ACCOUNTS.idFromName(accountId));
export const poolShard = (env: Env, accountId: string, poolId: string, shard: number) =>
  env.POOLS.get(env.POOLS.idFromName(shardName(accountId, poolId, shard)));

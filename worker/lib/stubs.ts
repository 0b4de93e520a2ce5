/** Durable Object stubs by name: one Directory, one object per account, one per pool. */
export const directory = (env: Env) => env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
export const account = (env: Env, accountId: string) => env.ACCOUNTS.get(env.ACCOUNTS.idFromName(accountId));

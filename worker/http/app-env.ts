/** Hono environment of the app: the Worker's bindings and what middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: { accountId: string };
}
